// A handler worker actor: runs the user's callback for each job it gets
// (alone or in a batch), in the order the jobs arrive, and tells the
// dispatcher when they are done.
// Spawned detached (a thread of its own) since callbacks may block.
#pragma once

#include <functional>
#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/interfaces.hpp"

namespace slackrtm {

class logger;

/// Calls the user's handler for one event of `workspace`.
using event_callback =
    std::function<void(std::uint32_t workspace, const event& ev)>;

/// What a worker needs.
struct handler_worker_config {
  event_callback callback;
  /// For reporting callbacks that throw.
  std::shared_ptr<const logger> log;
  /// Incremented for each callback that throws (may be null).
  std::shared_ptr<std::atomic<std::uint64_t>> errors;
};

/// Spawns with `system.spawn<caf::detached>(handler_worker, cfg)`. It
/// confirms each job (`job_done`) or batch (`jobs_done`) to whoever sent it:
/// the dispatcher, on this process or on the hub.
worker_actor::behavior_type handler_worker(worker_actor::pointer self,
                                           handler_worker_config cfg);

} // namespace slackrtm

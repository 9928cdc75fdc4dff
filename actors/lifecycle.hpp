// The lifecycle actor: runs the application's lifecycle handlers for each
// `lifecycle_note` a supervisor sends, in order. Spawned detached (a thread
// of its own), since the handlers may block.
#pragma once

#include <functional>
#include <memory>

#include "actors/interfaces.hpp"

namespace slackrtm {

class logger;

/// Calls the application's lifecycle handlers with one note.
using lifecycle_callback = std::function<void(const lifecycle_note&)>;

/// Spawns with `system.spawn<caf::detached>(lifecycle_reporter, fn, log)`.
/// A handler that throws is logged, and the next notes still run.
lifecycle_actor::behavior_type
lifecycle_reporter(lifecycle_actor::pointer self, lifecycle_callback fn,
                   std::shared_ptr<const logger> log);

} // namespace slackrtm

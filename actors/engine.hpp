// The runtime a client owns, or a hub shares among its workspaces: one actor
// system, one socket thread, one dispatcher and the handler workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/dispatcher.hpp"
#include "actors/handler_worker.hpp"
#include "actors/lifecycle.hpp"
#include "actors/messages.hpp"
#include "slackrtm/options.hpp"
#include "transport/ws_transport.hpp"
#include "util/logger.hpp"

namespace slackrtm {

/// How the engine is built.
struct engine_options {
  /// Threads of CAF's scheduler (0: one per core).
  std::size_t scheduler_threads = 0;
  /// The socket transport takes its certificate checks, deadline and proxy
  /// from these (`tls`, `timeout`, `proxy`, `no_proxy`), as the Web API does.
  web_client_options web;
  std::shared_ptr<const logger> log;
  /// Load CAF's middleman (handler nodes join over the network).
  bool network = false;
  /// Counts handler calls that threw (null: the engine keeps its own).
  std::shared_ptr<std::atomic<std::uint64_t>> handler_errors;
};

/// An actor system configuration with our message types, `threads`
/// scheduler threads (0: one per core), and with `network` CAF's middleman
/// (TLS between nodes is `tls_tunnel`'s business).
std::unique_ptr<caf::actor_system_config>
make_system_config(std::size_t threads, bool network);

/// The engine settings of `opts` (socket TLS, deadline, proxy, threads).
engine_options engine_options_for(const client_options& opts,
                                  std::shared_ptr<const logger> log);

/// Handlers of one event type and how many workers they get.
struct handler_spec {
  std::string type;
  event_callback callback;
  std::size_t workers = 1;
};

class engine {
public:
  // -- constructors -----------------------------------------------------------

  explicit engine(const engine_options& options);

  /// Stops the workers and the dispatcher, then waits for every actor.
  ~engine();

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // -- mutators ---------------------------------------------------------------

  /// Spawns the workers of `specs` and the dispatcher (once).
  void start(std::vector<handler_spec> specs, dispatcher_config base);

  /// Spawns a detached worker that runs `callback` for each job it gets.
  worker_actor spawn_worker(event_callback callback);

  /// Spawns a detached lifecycle actor that runs `callback` for each note.
  lifecycle_actor spawn_lifecycle(lifecycle_callback callback);

  /// Routes the events of workspace `id` from now on.
  void add_workspace(std::uint32_t id, workspace_config config);

  /// Stops routing the events of workspace `id`.
  void remove_workspace(std::uint32_t id);

  /// Waits up to `grace` until no handler call is queued or running; false
  /// when some still are. Never call from an actor or a handler.
  bool await_idle(std::chrono::milliseconds grace);

  /// Ends the workers, lifecycle actors and the dispatcher (a detached
  /// actor's thread only ends once no handle refers to it anymore).
  void stop_workers();

  // -- observers --------------------------------------------------------------

  caf::actor_system& system() noexcept { return *system_; }

  const std::shared_ptr<ws_transport>& transport() const noexcept {
    return transport_;
  }

  const dispatcher_actor& dispatcher() const noexcept { return dispatcher_; }

  /// Handler calls that threw.
  std::uint64_t handler_errors() const noexcept { return *errors_; }

  /// The dispatcher's counters (zeros before `start`).
  dispatch_stats stats();

  /// Handler calls queued or running.
  std::uint64_t load();

private:
  std::shared_ptr<const logger> log_;
  std::shared_ptr<std::atomic<std::uint64_t>> errors_;
  // Declared before the actor system: sessions held by actors must go first.
  std::shared_ptr<ws_transport> transport_;
  std::unique_ptr<caf::actor_system_config> config_;
  std::unique_ptr<caf::actor_system> system_;
  dispatcher_actor dispatcher_;
  std::vector<worker_actor> workers_;
  std::vector<lifecycle_actor> reporters_;
};

} // namespace slackrtm

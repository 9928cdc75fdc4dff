// Builds the actor system (with CAF's middleman when nodes may join), the
// socket transport, the handler workers and the dispatcher.
#include "actors/engine.hpp"

#include <algorithm>
#include <thread>

#include <caf/io/all.hpp>

namespace slackrtm {

std::unique_ptr<caf::actor_system_config>
make_system_config(std::size_t threads, bool network) {
  auto config = std::make_unique<caf::actor_system_config>();
  add_message_types(*config);
  // One thread per core by default (CAF's own default is at least 4, more
  // threads than a 2-core machine has cores, which only adds switches).
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  config->set("scheduler.max-threads", threads);
  // An idle scheduler thread spins briefly, naps 20 times 50 us (free to
  // steal an actor another thread holds), then sleeps until work comes.
  // CAF's default naps 500 times: a context switch each, which cost more
  // than the work between two events.
  config->set("work-stealing.moderate-poll-attempts", std::size_t{20});
  // An actor yields its thread after 16 messages (CAF's default: once its
  // mailbox is empty). A busy connection then cannot keep the dispatcher
  // it just woke waiting on the same thread while the others sleep.
  config->set("scheduler.max-throughput", std::size_t{16});
  if (network) {
    config->load<caf::io::middleman>();
    // Heartbeats both ways: a peer that dies without closing its socket
    // (power loss, a cable pulled) is dropped, and its workers' jobs handed
    // on, within the timeout.
    config->set("middleman.heartbeat-interval",
                caf::timespan{std::chrono::milliseconds{500}});
    config->set("middleman.connection-timeout",
                caf::timespan{std::chrono::milliseconds{3000}});
  }
  return config;
}

engine_options engine_options_for(const client_options& opts,
                                  std::shared_ptr<const logger> log) {
  engine_options result;
  result.scheduler_threads = opts.scheduler_threads;
  result.web = opts;
  result.log = std::move(log);
  return result;
}

engine::engine(const engine_options& options)
    : log_(options.log),
      errors_(options.handler_errors
                  ? options.handler_errors
                  : std::make_shared<std::atomic<std::uint64_t>>(0)) {
  config_ = make_system_config(options.scheduler_threads, options.network);
  system_ = std::make_unique<caf::actor_system>(*config_);
  transport_ = make_beast_ws_transport(
      options.web.tls, options.web.timeout, log_,
      make_proxy_settings(options.web.proxy, options.web.no_proxy));
}

engine::~engine() {
  stop_workers();
  system_.reset();
  transport_.reset();
}

void engine::start(std::vector<handler_spec> specs, dispatcher_config base) {
  if (dispatcher_)
    return;
  std::vector<handler_group> groups;
  for (auto& spec : specs) {
    handler_group group{spec.type, {}};
    for (std::size_t i = 0; i < std::max<std::size_t>(spec.workers, 1); ++i) {
      auto worker = spawn_worker(spec.callback);
      group.workers.push_back(worker);
    }
    groups.push_back(std::move(group));
  }
  base.groups = std::move(groups);
  dispatcher_ = system_->spawn(slackrtm::dispatcher, std::move(base));
}

worker_actor engine::spawn_worker(event_callback callback) {
  auto worker = system_->spawn<caf::detached>(
      handler_worker,
      handler_worker_config{std::move(callback), log_, errors_});
  workers_.push_back(worker);
  return worker;
}

lifecycle_actor engine::spawn_lifecycle(lifecycle_callback callback) {
  auto reporter = system_->spawn<caf::detached>(lifecycle_reporter,
                                                std::move(callback), log_);
  reporters_.push_back(reporter);
  return reporter;
}

void engine::add_workspace(std::uint32_t id, workspace_config config) {
  caf::anon_send(dispatcher_, add_workspace_atom::value, id, std::move(config));
}

void engine::remove_workspace(std::uint32_t id) {
  if (dispatcher_)
    caf::anon_send(dispatcher_, remove_workspace_atom::value, id);
}

std::uint64_t engine::load() {
  if (!dispatcher_)
    return 0;
  std::uint64_t result = 0;
  caf::scoped_actor self{*system_};
  self->request(dispatcher_, std::chrono::seconds{1}, in_flight_atom::value)
      .receive([&](std::uint64_t x) { result = x; }, [](caf::error&) {});
  return result;
}

dispatch_stats engine::stats() {
  dispatch_stats result;
  if (!dispatcher_)
    return result;
  caf::scoped_actor self{*system_};
  self->request(dispatcher_, std::chrono::seconds{1}, stats_atom::value)
      .receive([&](dispatch_stats& x) { result = x; }, [](caf::error&) {});
  return result;
}

bool engine::await_idle(std::chrono::milliseconds grace) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    auto pending = load();
    if (pending == 0)
      return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      log_->warning("closing with ", pending, " handler call(s) unfinished");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

void engine::stop_workers() {
  for (auto& w : workers_)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  for (auto& r : reporters_)
    caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  reporters_.clear();
  if (dispatcher_)
    caf::anon_send_exit(dispatcher_, caf::exit_reason::user_shutdown);
  workers_.clear();
  dispatcher_ = nullptr;
}

} // namespace slackrtm

// A handler node: an actor system with CAF's middleman, the handlers'
// workers, and a relay actor that carries their calls to the hub.
#include "slackrtm/node.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <unordered_map>

#include <caf/io/all.hpp>

#include "actors/engine.hpp"
#include "actors/handler_worker.hpp"
#include "actors/interfaces.hpp"
#include "actors/node_relay.hpp"
#include "actors/relay.hpp"
#include "slackrtm/context.hpp"
#include "slackrtm/error.hpp"
#include "slackrtm/web_client.hpp"
#include "src/access.hpp"
#include "src/context_origin.hpp"
#include "src/handler_list.hpp"
#include "transport/tls_tunnel.hpp"
#include "util/json_depth.hpp"
#include "util/logger.hpp"
#include "util/secret_proof.hpp"

namespace slackrtm {

namespace {

// A context's origin on a node: a workspace of the hub.
class remote_origin final : public detail::context_origin {
public:
  remote_origin(node_relay_actor relay, std::uint32_t workspace)
      : relay_(relay), workspace_(workspace),
        web_(detail::access::relayed(
            web_client_options{},
            [relay, workspace](std::string_view encoding,
                               std::string_view method,
                               const nlohmann::json& params) {
              relay_request req;
              req.workspace = workspace;
              req.encoding = std::string{encoding};
              req.method = std::string{method};
              req.payload = params.dump();
              return unpack_relayed(relay_and_wait(relay, std::move(req)),
                                    std::string{method});
            })) {
    // nop
  }

  slackrtm::web_client& web_client() override { return *web_; }

  std::future<nlohmann::json> send(nlohmann::json frame) override {
    if (!frame.is_object())
      throw std::invalid_argument("slackrtm: a frame must be a JSON object");
    auto promise = std::make_shared<std::promise<nlohmann::json>>();
    auto result = promise->get_future();
    relay_request req;
    req.what = relay_request::kind::send;
    req.workspace = workspace_;
    req.payload = frame.dump();
    req.done = [promise](relay_answer answer) {
      try {
        promise->set_value(unpack_relayed(answer, "rtm.send"));
      } catch (...) {
        promise->set_exception(std::current_exception());
      }
    };
    caf::anon_send(relay_, std::move(req));
    return result;
  }

  client* local_client() noexcept override { return nullptr; }

  std::string workspace() const override { return info().value("name", ""); }

  std::string team_id() const override { return info().value("team_id", ""); }

private:
  // The workspace's name and team, asked of the hub once.
  nlohmann::json info() const {
    std::lock_guard<std::mutex> guard{mtx_};
    if (info_.is_null()) {
      relay_request req;
      req.what = relay_request::kind::info;
      req.workspace = workspace_;
      auto answer = relay_and_wait(relay_, std::move(req));
      if (!answer.ok)
        return nlohmann::json::object(); // asked again next time
      info_ = parse_json(answer.body);
      if (!info_.is_object())
        info_ = nlohmann::json::object();
    }
    return info_;
  }

  node_relay_actor relay_;
  std::uint32_t workspace_;
  std::unique_ptr<slackrtm::web_client> web_;
  mutable std::mutex mtx_;
  mutable nlohmann::json info_;
};

const node_options& checked(const node_options& opts) {
  if (opts.hub_port == 0)
    throw std::invalid_argument("slackrtm: a node needs the hub's port");
  if (opts.secret.empty())
    throw std::invalid_argument("slackrtm: a node needs the hub's secret");
  if (opts.tls_cert.empty() != opts.tls_key.empty() ||
      opts.tls_cert.empty() != opts.tls_ca.empty())
    throw std::invalid_argument("slackrtm: tls_cert, tls_key and tls_ca go "
                                "together");
  if (opts.workers_per_handler == 0)
    throw std::invalid_argument("slackrtm: workers_per_handler must be >= 1");
  if (opts.min_backoff.count() <= 0 || opts.max_backoff < opts.min_backoff)
    throw std::invalid_argument("slackrtm: invalid backoff bounds");
  return opts;
}

} // namespace

struct node::impl {
  node_options options;
  std::shared_ptr<const logger> log;
  handler_list handlers;
  std::atomic<std::uint64_t> events{0};
  std::shared_ptr<std::atomic<std::uint64_t>> errors =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::atomic<std::uint64_t> joins{0};
  std::atomic<bool> is_joined{false};
  // TLS to the hub: the middleman connects to this tunnel's local port.
  std::unique_ptr<tls_tunnel> tunnel;
  std::unique_ptr<caf::actor_system_config> config;
  std::unique_ptr<caf::actor_system> system;
  node_relay_actor relay;
  // (type, worker) per handler worker.
  std::vector<std::pair<std::string, worker_actor>> workers;

  std::mutex mtx;
  bool started = false;
  bool closing = false;
  // The actor `start()` waits on; `close()` wakes it.
  caf::typed_actor<caf::reacts_to<caf::close_atom>> waiter;
  // The ticket of the current hub.
  std::string leave_ticket;

  std::mutex origins_mtx;
  std::unordered_map<std::uint32_t, std::shared_ptr<remote_origin>> origins;

  explicit impl(node_options opts)
      : options(checked(opts)), log(std::make_shared<const logger>(
                                    opts.level, opts.sink, opts.secret)) {
    config = make_system_config(options.scheduler_threads, true);
    if (!options.tls_cert.empty())
      tunnel = tls_tunnel::reach(
          tunnel_credentials{options.tls_cert, options.tls_key, options.tls_ca},
          options.hub_host, options.hub_port, log);
    system = std::make_unique<caf::actor_system>(*config);
    relay = system->spawn(node_relay, options.call_timeout);
  }

  std::shared_ptr<remote_origin> origin_for(std::uint32_t workspace) {
    std::lock_guard<std::mutex> guard{origins_mtx};
    auto& result = origins[workspace];
    if (!result)
      result = std::make_shared<remote_origin>(relay, workspace);
    return result;
  }

  void spawn_workers() {
    for (auto& [type, fn, count] : handlers) {
      auto callback = bind_handler(fn, [this](std::uint32_t workspace) {
        ++events;
        return origin_for(workspace);
      });
      auto n = count > 0 ? count : options.workers_per_handler;
      for (std::size_t i = 0; i < n; ++i)
        workers.emplace_back(
            type,
            system->spawn<caf::detached>(
                handler_worker, handler_worker_config{callback, log, errors}));
    }
  }

  caf::expected<hub_actor> reach_hub() {
    auto& mm = system->middleman();
    if (tunnel)
      return mm.remote_actor<hub_actor>("127.0.0.1", tunnel->port());
    return mm.remote_actor<hub_actor>(options.hub_host, options.hub_port);
  }

  // Asks `hub` once; false when it could not be asked.
  template <class... Ts>
  bool ask(caf::scoped_actor& self, const hub_actor& hub, relay_answer& answer,
           Ts&&... xs) {
    bool asked = false;
    self->request(hub, std::chrono::seconds{10}, std::forward<Ts>(xs)...)
        .receive(
            [&](relay_answer& x) {
              answer = std::move(x);
              asked = true;
            },
            [&](caf::error& err) {
              log->warning("could not join the hub: ", system->render(err));
            });
    return asked;
  }

  // Proves the secret, hands the relay its ticket, then registers every
  // worker: the relay is ready before any job can come. False when the hub
  // could not be asked; throws when it refuses the secret.
  bool join(caf::scoped_actor& self, const hub_actor& hub) {
    relay_answer challenge;
    if (!ask(self, hub, challenge, challenge_atom::value))
      return false;
    if (!challenge.ok) {
      log->warning("the hub gave no challenge: ", challenge.error);
      return false;
    }
    relay_answer admitted;
    if (!ask(self, hub, admitted, admit_atom::value, challenge.body,
             secret_proof(options.secret, challenge.body), relay))
      return false;
    if (admitted.kind == "refused")
      throw std::runtime_error("slackrtm: the hub refused this node: " +
                               admitted.error);
    if (!admitted.ok) {
      log->warning("the hub refused this node: ", admitted.error);
      return false;
    }
    auto& ticket = admitted.body;
    caf::anon_send(relay, set_hub_atom::value, hub_calls_actor{hub}, ticket);
    for (auto& [type, worker] : workers) {
      relay_answer answer;
      if (!ask(self, hub, answer, join_group_atom::value, ticket, type, worker))
        return false;
      if (!answer.ok) {
        log->warning("the hub refused a worker: ", answer.error);
        return false;
      }
    }
    leave_ticket = ticket;
    return true;
  }

  // Waits until `close()` (true) or until `delay` passes (false).
  bool closed_within(caf::scoped_actor& self, std::chrono::milliseconds delay) {
    bool result = false;
    self->receive([&](caf::close_atom) { result = true; },
                  caf::after(delay) >> [] {});
    return result;
  }

  void run() {
    caf::scoped_actor self{*system};
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (closing)
        return;
      waiter = caf::actor_cast<decltype(waiter)>(self);
    }
    auto delay = options.min_backoff;
    auto where = options.hub_host + ":" + std::to_string(options.hub_port);
    for (;;) {
      auto hub = reach_hub();
      if (!hub || !join(self, *hub)) {
        if (!hub)
          log->warning("cannot reach the hub at ", where, ": ",
                       system->render(hub.error()), "; retrying in ",
                       delay.count(), " ms");
        if (closed_within(self, delay))
          return;
        delay = std::min(delay * 2, options.max_backoff);
        continue;
      }
      delay = options.min_backoff;
      ++joins;
      is_joined = true;
      log->info("joined the hub at ", where, " with ", workers.size(),
                " worker(s)");
      self->monitor(*hub);
      bool close_requested = false;
      bool lost = false;
      while (!close_requested && !lost)
        self->receive(
            [&](caf::close_atom) { close_requested = true; },
            [&](caf::down_msg& msg) { lost = msg.source == hub->address(); });
      is_joined = false;
      caf::anon_send(relay, drop_hub_atom::value);
      if (close_requested) {
        // With the ticket: the hub stops routing to these workers at once,
        // not only when the connection drops.
        for (auto& [type, worker] : workers)
          self->send(*hub, leave_group_atom::value, leave_ticket, type, worker);
        return;
      }
      log->warning("lost the hub at ", where, "; rejoining");
    }
  }
};

node::node(node_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {
  // nop
}

node::~node() {
  close();
  for (auto& [type, worker] : impl_->workers)
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  impl_->workers.clear();
  caf::anon_send_exit(impl_->relay, caf::exit_reason::user_shutdown);
  impl_->relay = nullptr;
  {
    std::lock_guard<std::mutex> guard{impl_->origins_mtx};
    impl_->origins.clear();
  }
  impl_->system.reset();
}

node& node::on(std::string type, handler fn, std::size_t workers) {
  auto entry = checked_handler(std::move(type), std::move(fn), workers);
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (impl_->started)
    throw std::logic_error("slackrtm: register handlers before start()");
  impl_->handlers.push_back(std::move(entry));
  return *this;
}

node& node::on(const std::string& type, const std::string& subtype,
               handler fn) {
  return on(subtype_route(type, subtype), std::move(fn));
}

void node::start() {
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    if (impl_->started)
      throw std::logic_error("slackrtm: a node starts once");
    if (impl_->handlers.empty())
      throw std::logic_error("slackrtm: a node needs a handler");
    impl_->started = true;
    impl_->spawn_workers();
  }
  impl_->run();
}

void node::close() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->closing = true;
  if (impl_->waiter)
    caf::anon_send(impl_->waiter, caf::close_atom::value);
}

bool node::joined() const noexcept {
  return impl_->is_joined;
}

node_stats node::stats() const {
  node_stats result;
  result.events = impl_->events;
  result.handler_errors = *impl_->errors;
  result.joins = impl_->joins;
  return result;
}

} // namespace slackrtm

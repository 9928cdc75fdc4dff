// The hub: one engine (actor system, socket thread, dispatcher, handler
// workers) shared by a client per workspace, and the gateway that handler
// nodes join.
#include "slackrtm/hub.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include <caf/io/all.hpp>

#include "actors/engine.hpp"
#include "actors/gateway.hpp"
#include "src/access.hpp"
#include "src/client_origin.hpp"
#include "src/handler_list.hpp"
#include "transport/tls_tunnel.hpp"
#include "util/url.hpp"

namespace slackrtm {

struct hub::impl {
  /// One workspace: its client, and what its handlers' contexts act on.
  struct entry {
    std::uint32_t id = 0;
    std::string name;
    std::shared_ptr<client> owner;
    std::unique_ptr<client_origin> origin;
  };

  hub_options options;
  std::shared_ptr<const logger> log;
  std::unique_ptr<engine> runtime;
  handler_list handlers;
  std::vector<hub_lifecycle_handler> lifecycle_handlers;
  std::vector<std::string> expected;
  // Routes the hub's responders answer, for every workspace's protocol.
  std::set<std::string, std::less<>> responding;
  lifecycle_actor lifecycle;
  gateway_actor gateway;
  // TLS in front of the gateway's port when `node_cert` is set.
  std::unique_ptr<tls_tunnel> tunnel;

  mutable std::mutex mtx;
  std::condition_variable cv;
  bool running = false;
  bool connected = false;
  bool closed = false;
  std::map<std::string, std::shared_ptr<entry>> by_name;
  // Removed clients; destroyed on a caller's thread once no handler or
  // relayed call holds them anymore.
  std::vector<std::shared_ptr<client>> retired;
  std::uint32_t next_id = 1;

  // Read by handler workers and the gateway for every event or call.
  mutable std::shared_mutex routes_mtx;
  std::unordered_map<std::uint32_t, std::shared_ptr<entry>> by_id;
  // Never shrinks: a removed workspace's last lifecycle notes keep a name.
  std::unordered_map<std::uint32_t, std::string> names;

  explicit impl(hub_options opts)
      : options(std::move(opts)),
        log(std::make_shared<const logger>(options.defaults.level,
                                           options.defaults.sink)) {
    if (options.defaults.workers_per_handler == 0)
      throw std::invalid_argument("slackrtm: workers_per_handler must be >= 1");
    if (options.node_cert.empty() != options.node_key.empty() ||
        options.node_cert.empty() != options.node_ca.empty())
      throw std::invalid_argument("slackrtm: node_cert, node_key and node_ca "
                                  "go together");
    auto eopts = engine_options_for(options.defaults, log);
    eopts.network = true;
    runtime = std::make_unique<engine>(eopts);
  }

  std::shared_ptr<entry> lookup(std::uint32_t id) const {
    std::shared_lock<std::shared_mutex> guard{routes_mtx};
    auto i = by_id.find(id);
    return i == by_id.end() ? nullptr : i->second;
  }

  std::string name_of(std::uint32_t id) const {
    std::shared_lock<std::shared_mutex> guard{routes_mtx};
    auto i = names.find(id);
    return i == names.end() ? std::string{} : i->second;
  }

  // Spawns the workers and the dispatcher on first use. Holds `mtx`.
  void ensure_running() {
    if (running)
      return;
    running = true;
    std::vector<handler_spec> specs;
    for (auto& [type, fn, count] : handlers) {
      // A workspace removed since the event arrived has no origin.
      auto callback = bind_handler(fn, [this](std::uint32_t workspace) {
        auto ws = lookup(workspace);
        return ws ? std::shared_ptr<detail::context_origin>{ws,
                                                            ws->origin.get()}
                  : nullptr;
      });
      specs.push_back(handler_spec{
          type, callback,
          count > 0 ? count : options.defaults.workers_per_handler});
    }
    dispatcher_config base;
    base.hold_capacity = options.hold_capacity;
    base.max_in_flight = options.defaults.max_pending_events;
    base.log = log;
    runtime->start(std::move(specs), std::move(base));
    for (auto& type : expected)
      caf::anon_send(runtime->dispatcher(), join_group_atom::value, type,
                     worker_actor{});
    if (!lifecycle_handlers.empty()) {
      lifecycle = runtime->spawn_lifecycle(
          [this, fns = lifecycle_handlers](const lifecycle_note& note) {
            auto name = name_of(note.workspace);
            for (auto& fn : fns)
              fn(name, note.change);
          });
    }
  }

  // Destroys retired clients nobody uses anymore. Holds `mtx`.
  void sweep() {
    retired.erase(std::remove_if(retired.begin(), retired.end(),
                                 [](auto& c) { return c.use_count() == 1; }),
                  retired.end());
  }

  void require_idle(const char* what) {
    if (running)
      throw std::logic_error(std::string{"slackrtm: "} + what +
                             " before the hub runs (before add, connect "
                             "or listen)");
  }
};

hub::hub(hub_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {
  // nop
}

hub::~hub() {
  close();
  impl_->runtime->await_idle(impl_->options.defaults.close_grace);
  impl_->tunnel.reset();
  if (impl_->gateway)
    caf::anon_send_exit(impl_->gateway, caf::exit_reason::user_shutdown);
  impl_->gateway = nullptr;
  impl_->lifecycle = nullptr;
  {
    std::unique_lock<std::shared_mutex> guard{impl_->routes_mtx};
    impl_->by_id.clear();
  }
  impl_->by_name.clear();
  impl_->retired.clear();
  impl_->runtime.reset();
}

hub& hub::on(std::string type, handler fn, std::size_t workers) {
  auto entry = checked_handler(std::move(type), std::move(fn), workers);
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->require_idle("register handlers");
  impl_->handlers.push_back(std::move(entry));
  return *this;
}

hub& hub::on(const std::string& type, const std::string& subtype, handler fn) {
  return on(subtype_route(type, subtype), std::move(fn));
}

hub& hub::add_responder(std::string route, responder fn) {
  on(route, detail::access::responding(route, std::move(fn)));
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->responding.insert(std::move(route));
  return *this;
}

hub& hub::on_lifecycle(hub_lifecycle_handler fn) {
  if (!fn)
    throw std::invalid_argument("slackrtm: empty lifecycle handler");
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->require_idle("register handlers");
  impl_->lifecycle_handlers.push_back(std::move(fn));
  return *this;
}

hub& hub::expect(std::string type) {
  if (type.empty())
    throw std::invalid_argument("slackrtm: empty event type");
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (impl_->running)
    caf::anon_send(impl_->runtime->dispatcher(), join_group_atom::value, type,
                   worker_actor{});
  impl_->expected.push_back(std::move(type));
  return *this;
}

std::shared_ptr<client> hub::add(const std::string& name,
                                 const std::string& token) {
  auto opts = impl_->options.defaults;
  opts.token = token;
  return add(name, std::move(opts));
}

std::shared_ptr<client> hub::add(const std::string& name,
                                 client_options options) {
  if (name.empty())
    throw std::invalid_argument("slackrtm: a workspace needs a name");
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (impl_->closed)
    throw std::logic_error("slackrtm: the hub is closed");
  if (impl_->by_name.count(name) > 0)
    throw std::invalid_argument("slackrtm: workspace '" + name +
                                "' exists already");
  impl_->sweep();
  impl_->ensure_running();
  auto ws = std::make_shared<impl::entry>();
  ws->id = impl_->next_id++;
  ws->name = name;
  ws->owner = std::make_shared<client>(std::move(options));
  detail::access::attach(*ws->owner, {impl_->runtime.get(), ws->id, name,
                                      impl_->lifecycle, impl_->responding});
  ws->origin = std::make_unique<client_origin>(*ws->owner, name);
  {
    std::unique_lock<std::shared_mutex> routes{impl_->routes_mtx};
    impl_->by_id.emplace(ws->id, ws);
    impl_->names.emplace(ws->id, name);
  }
  impl_->by_name.emplace(name, ws);
  if (impl_->connected)
    ws->owner->connect();
  impl_->log->info("workspace '", name, "' added");
  return ws->owner;
}

bool hub::remove(const std::string& name) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto i = impl_->by_name.find(name);
  if (i == impl_->by_name.end())
    return false;
  auto ws = i->second;
  impl_->by_name.erase(i);
  {
    std::unique_lock<std::shared_mutex> routes{impl_->routes_mtx};
    impl_->by_id.erase(ws->id);
  }
  impl_->runtime->remove_workspace(ws->id);
  ws->owner->close();
  impl_->retired.push_back(ws->owner);
  ws.reset();
  impl_->sweep();
  impl_->log->info("workspace '", name, "' removed");
  return true;
}

std::shared_ptr<client> hub::find(const std::string& name) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto i = impl_->by_name.find(name);
  return i == impl_->by_name.end() ? nullptr : i->second->owner;
}

std::vector<std::string> hub::workspaces() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  std::vector<std::string> result;
  for (auto& [name, ws] : impl_->by_name)
    result.push_back(name);
  return result;
}

void hub::connect() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (impl_->closed)
    throw std::logic_error("slackrtm: the hub is closed");
  impl_->ensure_running();
  impl_->connected = true;
  for (auto& [name, ws] : impl_->by_name) {
    try {
      ws->owner->connect();
    } catch (const std::exception& ex) {
      impl_->log->error("workspace '", name, "' cannot connect: ", ex.what());
    }
  }
}

void hub::start() {
  connect();
  wait();
}

void hub::wait() {
  std::unique_lock<std::mutex> guard{impl_->mtx};
  impl_->cv.wait(guard, [this] { return impl_->closed; });
}

void hub::close() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->closed = true;
  for (auto& [name, ws] : impl_->by_name)
    ws->owner->close();
  impl_->cv.notify_all();
}

std::uint16_t hub::listen(std::uint16_t port, const std::string& host) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (impl_->options.secret.empty())
    throw std::invalid_argument("slackrtm: a hub needs a secret to listen "
                                "for handler nodes");
  impl_->ensure_running();
  auto& sys = impl_->runtime->system();
  if (!impl_->gateway) {
    gateway_config cfg;
    cfg.secret = impl_->options.secret;
    cfg.dispatcher = impl_->runtime->dispatcher();
    cfg.log = impl_->log;
    auto* self = impl_.get();
    cfg.find = [self](std::uint32_t id) -> std::shared_ptr<gateway_target> {
      auto ws = self->lookup(id);
      if (!ws)
        return nullptr;
      auto target = std::make_shared<gateway_target>();
      target->owner = ws->owner;
      target->name = ws->name;
      target->team_id = [ws] { return ws->origin->team_id(); };
      target->post = [owner = ws->owner](std::function<void()> job) {
        return detail::access::post(owner->web_client(), std::move(job));
      };
      return target;
    };
    impl_->gateway = sys.spawn(slackrtm::gateway, std::move(cfg));
  }
  bool tls = !impl_->options.node_cert.empty();
  if (tls && impl_->tunnel)
    throw std::logic_error("slackrtm: a hub with TLS listens once");
  if (!tls && !is_loopback(host)) {
    if (!impl_->options.plain_tcp_beyond_loopback)
      throw std::invalid_argument(
          "slackrtm: listening on " + (host.empty() ? "every address" : host) +
          " without TLS would send events and Slack's answers in clear: set "
          "node_cert, node_key and node_ca, or plain_tcp_beyond_loopback");
    impl_->log->warning("listening for handler nodes on ", host,
                        " over plain TCP: events cross the network in clear");
  }
  // With TLS the middleman serves loopback only, behind the tunnel.
  const char* in = tls                                 ? "127.0.0.1"
                   : host.empty() || host == "0.0.0.0" ? nullptr
                                                       : host.c_str();
  auto published = sys.middleman().publish(hub_actor{impl_->gateway},
                                           tls ? 0 : port, in, true);
  if (!published)
    throw std::runtime_error("slackrtm: cannot listen on " + host + ":" +
                             std::to_string(port) + ": " +
                             sys.render(published.error()));
  auto bound = *published;
  if (tls) {
    tunnel_credentials credentials{impl_->options.node_cert,
                                   impl_->options.node_key,
                                   impl_->options.node_ca};
    impl_->tunnel =
        tls_tunnel::serve(credentials, host, port, bound, impl_->log);
    bound = impl_->tunnel->port();
  }
  impl_->log->info("listening for handler nodes on ", host, ":", bound,
                   tls ? " (TLS)" : "");
  return bound;
}

hub_stats hub::stats() const {
  hub_stats result;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    result.workspaces = impl_->by_name.size();
    for (auto& [name, ws] : impl_->by_name)
      result.events += ws->owner->stats().events;
  }
  result.handler_errors = impl_->runtime->handler_errors();
  auto routed = impl_->runtime->stats();
  static_cast<routing_stats&>(result) = routed;
  static_cast<node_group_stats&>(result) = routed;
  return result;
}

} // namespace slackrtm

// The client's public face: builds the actors (dispatcher, handler workers,
// supervisor -> connection) on first connect, and waits for them to end.
#include "slackrtm/client.hpp"

#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "actors/client_state.hpp"
#include "actors/connection.hpp"
#include "actors/dispatcher.hpp"
#include "actors/engine.hpp"
#include "actors/handler_worker.hpp"
#include "actors/messages.hpp"
#include "actors/rtm_protocol.hpp"
#include "actors/socket_mode_protocol.hpp"
#include "actors/supervisor.hpp"
#include "src/access.hpp"
#include "src/client_options.hpp"
#include "src/client_origin.hpp"
#include "src/connect_call.hpp"
#include "src/handler_list.hpp"
#include "src/read_buffer.hpp"
#include "transport/ws_transport.hpp"
#include "util/url.hpp"

namespace slackrtm {

struct client::impl {
  client& owner;
  client_options options;
  std::shared_ptr<client_state> shared;
  // Before `web`: the callbacks on its threads (rtm.connect's answer) use
  // it until `web`'s destructor has joined them.
  std::shared_ptr<team_cache> team = std::make_shared<team_cache>();
  // Before `web`, for the same reason.
  connect_call calls;
  slackrtm::web_client web;
  client_origin origin;
  handler_list handlers;
  // Routes whose handlers answer envelopes with a response payload.
  std::set<std::string, std::less<>> responding;
  std::vector<lifecycle_handler> lifecycle_handlers;
  lifecycle_actor lifecycle;
  // Set when reading is on (from the first connect).
  std::shared_ptr<read_buffer> pulled;
  // A lone client's own runtime; null for a hub's workspace.
  std::unique_ptr<engine> own;
  // The runtime the actors run on: `own`, or the hub's.
  engine* runtime = nullptr;
  std::uint32_t workspace = 0;
  // One per socket: RTM holds one, Socket Mode `socket_mode_connections`.
  std::vector<supervisor_actor> supervisors;

  std::mutex mtx;
  std::condition_variable cv;
  // Supervisors still running.
  std::size_t supervising = 0;
  bool closed = false;
  std::exception_ptr fatal;

  impl(client& self, client_options opts)
      : owner(self), options(checked(opts)),
        shared(std::make_shared<client_state>(std::make_shared<const logger>(
            opts.level, opts.sink,
            std::vector<std::string>{opts.token, opts.app_token}))),
        calls(options, web, shared, team), web(opts), origin(self) {
    warn_if_in_clear();
  }

  bool socket_mode() const { return !options.app_token.empty(); }

  // A plain http:// Web API on another machine gets the tokens in clear.
  void warn_if_in_clear() const {
    auto url = parse_url(options.base_url);
    if (!url || url->secure())
      return;
    if (is_loopback(url->host))
      return;
    shared->log->warning("the Web API at ", url->host,
                         " is plain http: the token travels unencrypted");
  }

  // The Web API method whose refusal stops the client.
  const std::string& connect_method() const {
    static const std::string open = "apps.connections.open";
    return socket_mode() ? open : options.connect_method;
  }

  workspace_config routing() const {
    return workspace_config{team, options.skip_self_events,
                            shared->duplicate_events,
                            shared->self_events_skipped};
  }

  // A lone client: builds its runtime with its handlers.
  void build_actors() {
    auto eopts = engine_options_for(options, shared->log);
    eopts.handler_errors = std::shared_ptr<std::atomic<std::uint64_t>>(
        shared, &shared->handler_errors);
    own = std::make_unique<engine>(eopts);
    runtime = own.get();
    std::vector<handler_spec> specs;
    for (auto& [type, fn, count] : handlers) {
      auto callback = bind_handler(fn, [this](std::uint32_t) {
        return static_cast<detail::context_origin*>(&origin);
      });
      specs.push_back(handler_spec{
          type, callback, count > 0 ? count : options.workers_per_handler});
    }
    if (options.read_buffer > 0 || handlers.empty()) {
      // One worker: `read()` sees the events in arrival order.
      pulled = std::make_shared<read_buffer>(
          options.read_buffer > 0 ? options.read_buffer : 10000);
      auto callback = [buffer = pulled](std::uint32_t, const event& ev) {
        buffer->push(ev.json());
      };
      specs.push_back(handler_spec{"*", callback, 1});
    }
    dispatcher_config dcfg;
    dcfg.workspace = routing();
    dcfg.max_in_flight = options.max_pending_events;
    own->start(std::move(specs), std::move(dcfg));
    if (!lifecycle_handlers.empty()) {
      lifecycle = own->spawn_lifecycle(
          [fns = lifecycle_handlers](const lifecycle_note& note) {
            for (auto& fn : fns)
              fn(note.change);
          });
    }
  }

  void start_supervisors() {
    std::shared_ptr<const wire_protocol> protocol;
    if (socket_mode())
      protocol = std::make_shared<socket_mode_protocol>(responding);
    else
      protocol = std::make_shared<rtm_protocol>(options.connect_method);
    supervisor_config cfg;
    cfg.shared = shared;
    cfg.restarts.min_backoff = options.min_backoff;
    cfg.restarts.max_backoff = options.max_backoff;
    cfg.send_timeout = options.send_timeout;
    cfg.lifecycle = lifecycle;
    cfg.workspace = workspace;
    cfg.outbox_limits.capacity = options.outbox_capacity;
    cfg.retire_on_hello = !protocol->drain_until_closed();
    connection_config conn;
    conn.dispatcher = runtime->dispatcher();
    conn.workspace = workspace;
    conn.transport = runtime->transport();
    conn.ping_interval = options.ping_interval;
    if (options.pong_timeout.count() > 0)
      conn.pong_timeout = options.pong_timeout;
    else if (socket_mode())
      conn.pong_timeout = std::chrono::seconds{30};
    else
      conn.pong_timeout = 2 * options.ping_interval;
    conn.response_deadline = options.response_deadline;
    conn.read_ahead.bytes = options.read_ahead_bytes;
    conn.require_secure_socket = options.base_url.rfind("https://", 0) == 0;
    conn.shared = shared;
    conn.protocol = protocol;
    conn.connect = calls.for_protocol(protocol);
    auto* rt = runtime;
    cfg.spawn_connection = [rt, conn](supervisor_actor sup,
                                      bool successor) mutable {
      conn.supervisor = sup;
      conn.successor = successor;
      return rt->system().spawn(slackrtm::connection, conn);
    };
    cfg.on_stop = [this](const std::string& fatal_error) {
      std::lock_guard<std::mutex> guard{mtx};
      --supervising;
      if (!fatal_error.empty() && !fatal) {
        fatal = std::make_exception_ptr(
            api_error(connect_method(), fatal_error, 200, nullptr));
        closed = true;
        // What refused one socket refuses the others.
        for (auto& other : supervisors)
          caf::anon_send(other, caf::close_atom::value);
      }
      cv.notify_all();
    };
    auto sockets = socket_mode() ? options.socket_mode_connections : 1;
    supervisors.clear();
    std::random_device seeds;
    for (std::size_t i = 0; i < sockets; ++i) {
      cfg.seed = seeds(); // each socket its own jitter
      ++supervising;
      supervisors.push_back(runtime->system().spawn(slackrtm::supervisor, cfg));
    }
  }

  // Hands the send numbered `request` to the supervisor, or fails it when
  // not connected (outside the lock: its callback may call the client).
  void submit(std::uint64_t request, const nlohmann::json& frame) {
    std::unique_lock<std::mutex> guard{mtx};
    if (socket_mode()) {
      guard.unlock();
      shared->sends.fail(request,
                         "Socket Mode carries no sends over the socket: "
                         "post with the Web API (chat.postMessage)");
      return;
    }
    if (supervising > 0) {
      caf::anon_send(supervisors.front(),
                     outgoing_frame{request, frame.dump()});
      return;
    }
    guard.unlock();
    shared->sends.fail(request, "not connected");
  }

  // Handlers are registered before the first connect, and a hub's
  // workspace has none of its own. Holds `mtx`.
  void check_registering() const {
    if (runtime)
      throw std::logic_error(own ? "slackrtm: register handlers before "
                                   "connecting"
                                 : "slackrtm: register a workspace's "
                                   "handlers on its hub");
  }

  void stop_supervisors(std::unique_lock<std::mutex>& guard) {
    for (auto& sup : supervisors)
      caf::anon_send(sup, caf::close_atom::value);
    cv.wait(guard, [this] { return supervising == 0; });
  }
};

client::client(client_options options)
    : impl_(std::make_unique<impl>(*this, std::move(options))) {
  // nop
}

void detail::access::attach(client& ws, const attachment& where) {
  auto& state = *ws.impl_;
  std::lock_guard<std::mutex> guard{state.mtx};
  if (state.runtime)
    throw std::logic_error("slackrtm: a workspace is attached once, before "
                           "it connects");
  state.runtime = where.runtime;
  state.workspace = where.workspace;
  state.lifecycle = where.lifecycle;
  state.responding = where.responding;
  state.runtime->add_workspace(where.workspace, state.routing());
}

client::~client() {
  close();
  {
    std::unique_lock<std::mutex> guard{impl_->mtx};
    impl_->cv.wait(guard, [this] { return impl_->supervising == 0; });
  }
  // A hub's workspace: the hub owns the runtime and settles its handlers.
  if (!impl_->own)
    return;
  impl_->own->await_idle(impl_->options.close_grace);
  impl_->own->stop_workers();
  impl_->lifecycle = nullptr;
  impl_->supervisors.clear();
  impl_->own.reset();
}

client& client::on(std::string type, handler fn) {
  return on(std::move(type), std::move(fn), 0);
}

client& client::on(std::string type, handler fn, std::size_t workers) {
  auto entry = checked_handler(std::move(type), std::move(fn), workers);
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->check_registering();
  impl_->handlers.push_back(std::move(entry));
  return *this;
}

client& client::on(const std::string& type, const std::string& subtype,
                   handler fn) {
  return on(subtype_route(type, subtype), std::move(fn));
}

handler detail::access::responding(const std::string& route, responder fn) {
  if (!fn)
    throw std::invalid_argument("slackrtm: empty responder for " + route);
  return handler{[fn = std::move(fn)](context& ctx, const event& ev) {
    auto* env = ev.envelope();
    auto& responses = ctx.client().impl_->shared->responses;
    nlohmann::json answer;
    try {
      answer = fn(ctx, ev);
    } catch (...) {
      if (env) // the acknowledgement need not wait for the deadline
        responses.respond(env->id, {});
      throw;
    }
    if (env)
      responses.respond(env->id,
                        answer.is_object() ? answer.dump() : std::string{});
  }};
}

client& client::add_responder(std::string route, responder fn) {
  on(route, detail::access::responding(route, std::move(fn)));
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->responding.insert(std::move(route));
  return *this;
}

client& client::on_lifecycle(lifecycle_handler fn) {
  if (!fn)
    throw std::invalid_argument("slackrtm: empty lifecycle handler");
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->check_registering();
  impl_->lifecycle_handlers.push_back(std::move(fn));
  return *this;
}

void client::start() {
  connect();
  wait();
}

void client::connect() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  if (impl_->closed)
    throw std::logic_error("slackrtm: the client is closed");
  if (impl_->supervising > 0)
    return;
  if (!impl_->runtime)
    impl_->build_actors();
  impl_->start_supervisors();
}

void client::wait() {
  std::unique_lock<std::mutex> guard{impl_->mtx};
  impl_->cv.wait(guard, [this] { return impl_->closed; });
  if (impl_->fatal)
    std::rethrow_exception(impl_->fatal);
}

void client::disconnect() {
  std::unique_lock<std::mutex> guard{impl_->mtx};
  impl_->stop_supervisors(guard);
  impl_->shared->state = connection_state::idle;
}

void client::close() {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  for (auto& sup : impl_->supervisors)
    caf::anon_send(sup, caf::close_atom::value);
  impl_->closed = true;
  impl_->shared->state = connection_state::closed;
  impl_->shared->sends.fail_all("client closed");
  impl_->cv.notify_all();
}

std::future<nlohmann::json> client::send(nlohmann::json frame) {
  if (!frame.is_object())
    throw std::invalid_argument("slackrtm: a frame must be a JSON object");
  auto [request, result] = impl_->shared->sends.add();
  impl_->submit(request, frame);
  return std::move(result);
}

void client::send_async(nlohmann::json frame, send_callback done) {
  if (!frame.is_object())
    throw std::invalid_argument("slackrtm: a frame must be a JSON object");
  if (!done)
    throw std::invalid_argument("slackrtm: send_async needs a callback");
  impl_->submit(impl_->shared->sends.add(std::move(done)), frame);
}

const team_state& client::team() const noexcept {
  return *impl_->team;
}

std::vector<nlohmann::json> client::read() {
  return read(std::chrono::milliseconds{0});
}

std::vector<nlohmann::json> client::read(std::chrono::milliseconds timeout) {
  std::shared_ptr<read_buffer> buffer;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    buffer = impl_->pulled;
    if (!buffer && impl_->runtime)
      throw std::logic_error("slackrtm: read() needs read_buffer > 0 when "
                             "handlers are registered");
  }
  if (!buffer) // not connected yet: nothing has arrived
    return {};
  return buffer->take(timeout);
}

slackrtm::web_client& client::web_client() noexcept {
  return impl_->web;
}

bool client::is_connected() const noexcept {
  return impl_->shared->state == connection_state::connected;
}

connection_state client::state() const noexcept {
  return impl_->shared->state;
}

std::optional<std::chrono::microseconds>
client::last_pong_latency() const noexcept {
  auto us = impl_->shared->last_pong_us.load();
  if (us < 0)
    return std::nullopt;
  return std::chrono::microseconds{us};
}

client_stats client::stats() const {
  auto& s = *impl_->shared;
  client_stats result;
  result.events = s.events;
  result.malformed_frames = s.malformed_frames;
  result.connections = s.connections;
  result.duplicate_events = *s.duplicate_events;
  result.self_events_skipped = *s.self_events_skipped;
  std::shared_ptr<read_buffer> buffer;
  engine* own = nullptr; // set once by the first connect, kept until the end
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    buffer = impl_->pulled;
    own = impl_->own.get();
  }
  if (buffer)
    result.read_overflow = buffer->overflow();
  result.handler_errors = s.handler_errors;
  if (own)
    static_cast<routing_stats&>(result) = own->stats();
  result.envelopes_acked = s.acks;
  result.late_responses = s.late_responses;
  return result;
}

const client_options& client::options() const noexcept {
  return impl_->options;
}

nlohmann::json client::identity() const {
  return impl_->shared->identity();
}

} // namespace slackrtm

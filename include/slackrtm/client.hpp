// The RTM client: register handlers per event type, connect, and run.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "slackrtm/context.hpp"
#include "slackrtm/error.hpp"
#include "slackrtm/event.hpp"
#include "slackrtm/options.hpp"
#include "slackrtm/stats.hpp"
#include "slackrtm/team_state.hpp"
#include "slackrtm/web_client.hpp"

namespace slackrtm {

/// A user callback: runs on a worker thread of its handler, may block. It
/// takes the event as `const event&` (fields read from the event's index,
/// no JSON tree built unless it calls `json()`) or as
/// `const nlohmann::json&` (the tree, built for it on the worker's thread).
/// A callable that accepts both (a generic lambda) gets the `event`.
class handler {
public:
  handler() = default;

  /// `fn(context&, const event&)`.
  template <class F,
            std::enable_if_t<std::is_invocable_v<F&, context&, const event&>,
                             int> = 0>
  handler(F fn) { // NOLINT: implicit, as std::function's
    if constexpr (std::is_constructible_v<bool, const F&>)
      if (!static_cast<bool>(fn))
        return;
    fn_ = std::move(fn);
  }

  /// `fn(context&, const nlohmann::json&)`.
  template <class F,
            std::enable_if_t<
                !std::is_invocable_v<F&, context&, const event&> &&
                    std::is_invocable_v<F&, context&, const nlohmann::json&>,
                int> = 0>
  handler(F fn) { // NOLINT: implicit, as std::function's
    if constexpr (std::is_constructible_v<bool, const F&>)
      if (!static_cast<bool>(fn))
        return;
    fn_ = [fn = std::move(fn)](context& ctx, const event& ev) mutable {
      fn(ctx, ev.json());
    };
  }

  void operator()(context& ctx, const event& ev) const { fn_(ctx, ev); }

  /// False when made from an empty function.
  explicit operator bool() const noexcept { return static_cast<bool>(fn_); }

private:
  std::function<void(context&, const event&)> fn_;
};

/// What a responding handler returns: the response payload of a Socket
/// Mode slash command or interactive payload, sent in the envelope's
/// acknowledgement (null: none). It runs like any handler.
using responder = std::function<nlohmann::json(context&, const event&)>;

/// True when `F` called with `(context&, const Arg&)` returns something that
/// converts to JSON (a responder), not void (a handler).
template <class F, class Arg, class = void>
struct returns_json : std::false_type {};

template <class F, class Arg>
struct returns_json<
    F, Arg, std::enable_if_t<std::is_invocable_v<F&, context&, const Arg&>>>
    : std::bool_constant<
          !std::is_void_v<std::invoke_result_t<F&, context&, const Arg&>> &&
          std::is_convertible_v<std::invoke_result_t<F&, context&, const Arg&>,
                                nlohmann::json>> {};

namespace detail {

/// The route of a Socket Mode registration: `kind` alone for `""` or `"*"`,
/// else `kind::name` (`"slash_commands::/deploy"`).
inline std::string envelope_route(const char* kind, const std::string& name) {
  return name.empty() || name == "*" ? std::string{kind}
                                     : kind + std::string{"::"} + name;
}

/// What `on_slash_command` and `on_interactive` register for `fn`: a
/// responder when it returns JSON (given the event or its JSON tree), else
/// a handler.
template <class F>
std::variant<handler, responder> envelope_callback(F fn) {
  if constexpr (returns_json<F, event>::value) {
    return responder{std::move(fn)};
  } else if constexpr (returns_json<F, nlohmann::json>::value) {
    return responder{
        [fn = std::move(fn)](context& ctx, const event& ev) mutable {
          return nlohmann::json(fn(ctx, ev.json()));
        }};
  } else {
    return handler{std::move(fn)};
  }
}

} // namespace detail

/// Connection state as the application sees it.
enum class connection_state { idle, connecting, connected, closed };

/// Returns "idle", "connecting", ... for `x`.
const char* to_string(connection_state x);

/// What happened to the connection.
enum class lifecycle_kind {
  /// Calling rtm.connect and opening a socket.
  connecting,
  /// The server said hello.
  connected,
  /// The socket is gone (`reason` says why).
  disconnected,
  /// A new connection follows after `delay` (`attempt` counts restarts since
  /// the last healthy connection).
  reconnecting,
  /// Slack refused the token (`reason` is its code); no retry follows.
  error,
};

/// Returns "connecting", "connected", ... for `x`.
const char* to_string(lifecycle_kind x);

/// One lifecycle change, as passed to `client::on_lifecycle` handlers.
struct lifecycle_event {
  lifecycle_kind kind = lifecycle_kind::connecting;
  std::string reason;
  std::uint32_t attempt = 0;
  std::chrono::milliseconds delay{0};
};

/// Receives lifecycle changes, in order, on a thread of its own.
using lifecycle_handler = std::function<void(const lifecycle_event&)>;

/// Slack's socket client, over RTM or (with `client_options::app_token`)
/// Socket Mode, with the same handlers. Handlers run on actors of their own:
/// a slow handler never delays the socket, the pings or other handlers, and
/// within one handler the events of one conversation (`channel`) keep their
/// order while different conversations run at the same time.
class client {
public:
  // -- constructors -----------------------------------------------------------

  /// Builds a client; nothing connects until `start()` or `connect()`.
  /// Throws `std::invalid_argument` on bad options (e.g. no token).
  explicit client(client_options options);

  /// Closes the client if still running, waits up to `close_grace` for
  /// handler calls already queued or running, and for the socket's close
  /// handshake. Handlers may run until it returns: what they use must
  /// outlive the client.
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // -- handlers ---------------------------------------------------------------

  /// Registers `fn` for events of `type` (`"message"`, `"reaction_added"`, ...;
  /// `"*"` for every event). Several handlers may share a type; each gets
  /// every matching event. Register before `start()`/`connect()`.
  client& on(std::string type, handler fn);

  /// Like `on(type, fn)` with `workers` workers for this handler instead of
  /// `workers_per_handler` (0: that default). One worker handles every
  /// event in arrival order, across conversations too.
  client& on(std::string type, handler fn, std::size_t workers);

  /// Registers `fn` for events of `type` with `subtype` only, e.g.
  /// `on("message", "bot_message", fn)`; the same as
  /// `on("message::bot_message", fn)`. Handlers of the plain type get these
  /// events too.
  client& on(const std::string& type, const std::string& subtype, handler fn);

  /// Socket Mode: registers `fn` for the slash command `command` (`"/deploy"`;
  /// `"*"`: every command). The event is the command's payload (`command`,
  /// `text`, `user_id`, `channel_id`, `response_url`, `trigger_id`, ...),
  /// and `ev.envelope()` says how it came. `fn` is a handler, or returns
  /// `nlohmann::json`: then it is a responder, and what it returns is the
  /// command's immediate answer (`text`, `blocks`, `response_type`), sent in
  /// the acknowledgement, which waits for it up to `response_deadline`.
  template <class F>
  client& on_slash_command(const std::string& command, F fn) {
    return on_envelope("slash_commands", command, std::move(fn));
  }

  /// Socket Mode: registers `fn` for interactive payloads of `type`
  /// (`"block_actions"`, `"view_submission"`, `"shortcut"`, ...; `"*"`:
  /// all). As `on_slash_command`; a responder's answer is, e.g., a
  /// `response_action` for `view_submission` or `options` for
  /// `block_suggestion`.
  template <class F>
  client& on_interactive(const std::string& type, F fn) {
    return on_envelope("interactive", type, std::move(fn));
  }

  /// Registers `fn` for connection lifecycle changes (connecting,
  /// connected, disconnected, reconnecting, error). Register before
  /// `start()`/`connect()`.
  client& on_lifecycle(lifecycle_handler fn);

  // -- lifecycle --------------------------------------------------------------

  /// Connects and blocks until `close()` or a fatal error. Throws `api_error`
  /// when Slack refuses the token (`invalid_auth`, `token_revoked`, ...).
  void start();

  /// Connects and returns at once; reconnects on its own after a failure.
  void connect();

  /// Blocks until the client stops; rethrows a fatal error like `start()`.
  void wait();

  /// Closes the socket and stops reconnecting; `connect()` may follow.
  void disconnect();

  /// Closes the socket, stops the actors and lets `start()`/`wait()` return.
  /// The client cannot be used again afterwards. Safe from handlers.
  void close();

  // -- sending ----------------------------------------------------------------

  /// Sends `frame` over the socket; its `id` is assigned by the client. The
  /// future holds Slack's reply (`ok: true` with `ts`), or an `api_error`
  /// for `ok: false`, or a `transport_error` when the frame is refused (text
  /// over 4000 characters, frame over 16 kB, outbox full), not answered
  /// within `send_timeout`, or the client closes first. Frames sent while
  /// the socket is down go out after the next `hello`; a frame whose socket
  /// dies before the reply is sent again on the next one (at-least-once).
  /// Socket Mode has no sends over the socket: there the future fails at
  /// once (post with `web_client()`), as do those of the methods below.
  std::future<nlohmann::json> send(nlohmann::json frame);

  /// Completes a `send_async`: Slack's reply, or why the send failed (the
  /// same errors as `send`'s future holds).
  using send_callback =
      std::function<void(nlohmann::json reply, std::exception_ptr error)>;

  /// Like `send`, completed by `done` instead of a future. `done` runs
  /// once, on an internal thread (the client's, or the caller's when the
  /// send fails at once), and must not block.
  void send_async(nlohmann::json frame, send_callback done);

  /// Sends a message over the socket (plain text, optionally in a thread).
  std::future<nlohmann::json> send_message(const std::string& channel,
                                           const std::string& text,
                                           const std::string& thread_ts = {});

  /// Sends an RTM ping; `extra` fields (e.g. `{"time": ...}`) come back in
  /// the pong. The future holds the pong with `latency_us`, the round trip
  /// from the write to the pong.
  std::future<nlohmann::json>
  ping(nlohmann::json extra = nlohmann::json::object());

  /// Tells the channel the bot is typing (at most one per 3 s per channel is
  /// sent; extra ones resolve at once with `"throttled": true`).
  std::future<nlohmann::json> typing(const std::string& channel);

  /// Subscribes to presence changes of `user_ids` (replacing the previous
  /// subscription, as Slack does); `presence_change` events follow.
  std::future<nlohmann::json>
  presence_sub(const std::vector<std::string>& user_ids);

  /// Asks for the current presence of `user_ids`; Slack answers with
  /// `presence_change` events.
  std::future<nlohmann::json>
  presence_query(const std::vector<std::string>& user_ids);

  // -- pulling events ---------------------------------------------------------

  /// The events that arrived since the last call, oldest first; empty when
  /// none did. Does not block. Reading is on when `read_buffer` is set or
  /// no handler is registered; otherwise this throws `std::logic_error`.
  std::vector<nlohmann::json> read();

  /// Like `read()`, but waits up to `timeout` for at least one event.
  std::vector<nlohmann::json> read(std::chrono::milliseconds timeout);

  // -- observers --------------------------------------------------------------

  /// The Web API client, authenticated with this client's token.
  slackrtm::web_client& web_client() noexcept;

  /// True between `hello` and the loss of the socket.
  bool is_connected() const noexcept;

  /// The current connection state.
  connection_state state() const noexcept;

  /// Round trip of the last answered ping; nullopt before the first pong.
  std::optional<std::chrono::microseconds> last_pong_latency() const noexcept;

  /// Counters since construction.
  client_stats stats() const;

  /// The team: the bot, the team, and (with `with_team_state` or
  /// `connect_method = "rtm.start"`) its users and conversations, kept
  /// current from events before handlers see them. Safe from any thread.
  const team_state& team() const noexcept;

  /// The options this client was built with.
  const client_options& options() const noexcept;

  /// What `rtm.connect` said about the bot (`self`) and its team (`team`);
  /// null before the first connection.
  nlohmann::json identity() const;

private:
  friend struct detail::access;

  template <class F>
  client& on_envelope(const char* kind, const std::string& name, F fn) {
    auto route = detail::envelope_route(kind, name);
    auto callback = detail::envelope_callback(std::move(fn));
    if (auto* answer = std::get_if<responder>(&callback))
      return add_responder(std::move(route), std::move(*answer));
    return on(std::move(route), std::get<handler>(std::move(callback)));
  }

  client& add_responder(std::string route, responder fn);

  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace slackrtm

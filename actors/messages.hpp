// Every message the actors exchange, in one place, announced to CAF with type
// IDs so that they can cross the network between nodes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/team_cache.hpp"
#include "slackrtm/client.hpp"
#include "slackrtm/event.hpp"
#include "slackrtm/stats.hpp"

namespace slackrtm {

// -- the event --------------------------------------------------------------

/// An event crosses the network as its JSON text and is parsed again.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  std::string text;
  if constexpr (Inspector::reads_state)
    text = std::string{x.raw()};
  auto load = [&]() -> caf::error {
    auto parsed = event::parse(std::move(text));
    if (!parsed)
      return caf::make_error(caf::sec::invalid_argument,
                             "event is not a JSON object");
    x = std::move(*parsed);
    return caf::none;
  };
  return f(caf::meta::type_name("event"), text, caf::meta::load_callback(load));
}

// -- transport -> connection
// ---------------------------------------------------

/// The WebSocket handshake of session `session` completed.
struct ws_opened {
  std::uint64_t session = 0;
};

/// Text frames of `session` wait in its queue (`ws_session::take_frames`).
struct ws_ready {
  std::uint64_t session = 0;
};

/// A binary frame arrived on `session` (RTM never sends one).
struct ws_binary {
  std::uint64_t session = 0;
  std::uint64_t size = 0;
};

/// Session `session` is gone: closed by the server, reset, or failed to open.
struct ws_closed {
  std::uint64_t session = 0;
  std::string reason;
};

// -- Web API -> connection --------------------------------------------------

/// What the wire protocol's connect call (RTM: `rtm.connect`) answered.
struct connect_result {
  /// True when `url` holds a socket URL.
  bool ok = false;
  std::string url;
  /// Slack's error code or a transport error text when not ok.
  std::string error;
  /// The answer's `self` and `team`, as JSON text.
  std::string identity;
  /// Seconds Slack asked to wait (HTTP 429), else 0.
  std::int32_t retry_after = 0;
  /// The Web API method that failed when it is not the protocol's connect
  /// method (Socket Mode checks the bot token with `auth.test` first).
  std::string method;
};

// -- connection -> dispatcher -> workers
// ---------------------------------------

/// An event to route by its `type`. `overlap` is the socket's session id
/// when the event may also arrive on another socket (while an old socket
/// drains after `goodbye`), else 0: the dispatcher then delivers each event
/// as often as the socket that carried it most often did.
struct rtm_event {
  slackrtm::event event;
  std::uint64_t overlap = 0;
  /// The workspace whose socket carried it (0: a client's only one).
  std::uint32_t workspace = 0;
};

/// Events of one socket in arrival order, routed one after the other.
struct rtm_events {
  std::vector<rtm_event> events;
};

/// One handler call: `event` of `workspace` for handler group `group`,
/// ordered by `key` (a hash of the conversation; 0 when the event has none).
/// `seq` numbers the jobs of a group, so that a handler node's confirmation
/// settles exactly the job it names.
struct handler_job {
  slackrtm::event event;
  std::uint32_t group = 0;
  std::uint32_t worker = 0;
  std::uint64_t key = 0;
  std::uint32_t workspace = 0;
  std::uint64_t seq = 0;
};

/// A worker finished a `handler_job`.
struct job_done {
  std::uint32_t group = 0;
  std::uint32_t worker = 0;
  std::uint64_t key = 0;
  std::uint64_t seq = 0;
};

/// Handler calls for one worker, in order.
struct handler_jobs {
  std::vector<handler_job> jobs;
};

/// A worker finished these `handler_job`s.
struct jobs_done {
  std::vector<job_done> done;
};

/// The dispatcher's counters (`stats_atom`): what a client's or a hub's
/// stats show of routing and nodes, and its load.
struct dispatch_stats : routing_stats, node_group_stats {
  /// Handler calls queued or running now.
  std::uint64_t in_flight = 0;
};

// -- handler node <-> hub -----------------------------------------------------

/// The hub's answer to a call a handler node relays (a Web API call or a
/// socket send made by a handler running on the node).
struct relay_answer {
  /// True when `body` holds the answer (JSON text).
  bool ok = false;
  std::string body;
  /// When not ok: `"api"` (Slack said `ok: false`; `error` is its code,
  /// `status` the HTTP status, `body` the answer) or `"transport"`.
  std::string kind;
  std::string error;
  std::int32_t status = 0;
};

// -- client -> supervisor -> connection ---------------------------------------

/// A frame the application sends (JSON object text, no `id` yet); Slack's
/// reply completes the send numbered `request`.
struct outgoing_frame {
  std::uint64_t request = 0;
  std::string frame;
};

/// A frame with its `id`, for the connection to write to the socket.
struct socket_frame {
  std::string text;
};

/// A reply to a client frame that came in on the socket, for the supervisor
/// to settle the send it answers.
struct socket_reply {
  /// The id of the frame answered.
  std::uint64_t reply_to = 0;
  slackrtm::event reply;
};

/// A handler's response to a Socket Mode envelope whose acknowledgement
/// waits for it: `payload` (JSON object text) goes back in the ack.
struct envelope_response {
  std::string envelope_id;
  std::string payload;
};

// -- inspectors
// -----------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_opened& x) {
  return f(caf::meta::type_name("ws_opened"), x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_ready& x) {
  return f(caf::meta::type_name("ws_ready"), x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_binary& x) {
  return f(caf::meta::type_name("ws_binary"), x.session, x.size);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_closed& x) {
  return f(caf::meta::type_name("ws_closed"), x.session, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connect_result& x) {
  return f(caf::meta::type_name("connect_result"), x.ok, x.url, x.error,
           x.identity, x.retry_after, x.method);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rtm_event& x) {
  return f(caf::meta::type_name("rtm_event"), x.event, x.overlap, x.workspace);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, handler_job& x) {
  return f(caf::meta::type_name("handler_job"), x.event, x.group, x.worker,
           x.key, x.workspace, x.seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_done& x) {
  return f(caf::meta::type_name("job_done"), x.group, x.worker, x.key, x.seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rtm_events& x) {
  return f(caf::meta::type_name("rtm_events"), x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, handler_jobs& x) {
  return f(caf::meta::type_name("handler_jobs"), x.jobs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, jobs_done& x) {
  return f(caf::meta::type_name("jobs_done"), x.done);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatch_stats& x) {
  return f(caf::meta::type_name("dispatch_stats"), x.unhandled, x.read_pauses,
           x.node_workers, x.redelivered, x.held, x.held_dropped, x.in_flight);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_answer& x) {
  return f(caf::meta::type_name("relay_answer"), x.ok, x.body, x.kind, x.error,
           x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outgoing_frame& x) {
  return f(caf::meta::type_name("outgoing_frame"), x.request, x.frame);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_frame& x) {
  return f(caf::meta::type_name("socket_frame"), x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope_response& x) {
  return f(caf::meta::type_name("envelope_response"), x.envelope_id, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_reply& x) {
  return f(caf::meta::type_name("socket_reply"), x.reply_to, x.reply);
}

// -- errors an actor exits with ----------------------------------------------

/// Why a connection actor ended; the supervisor decides on a restart from it.
enum class conn_errc : std::uint8_t {
  /// Closed on request: do not restart.
  closed = 1,
  /// The socket or rtm.connect failed in a way a retry may fix.
  transient,
  /// Slack refused the token or the app: retrying cannot help.
  fatal,
  /// The server asked to reconnect (`goodbye`, expired URL, migration).
  reconnect,
};

/// Error category of `conn_errc`.
constexpr caf::atom_value conn_category = caf::atom("slackrtm");

/// Builds the exit reason of a connection actor.
caf::error make_error(conn_errc code, std::string reason,
                      std::int32_t retry_after = 0);

// -- supervisor -> lifecycle
// ---------------------------------------------------

/// A lifecycle change of one workspace, for the application's lifecycle
/// handlers (local only: it never crosses the network).
struct lifecycle_note {
  std::uint32_t workspace = 0;
  lifecycle_event change;
};

// -- local only: no type ID, so no peer can send one --------------------------

/// What the dispatcher does with one workspace's events before routing them
/// (client or hub -> dispatcher, with `add_workspace_atom`).
struct workspace_config {
  /// Kept current from team events before they are routed (may be null).
  std::shared_ptr<team_cache> team;
  /// Drop events whose `user` is the bot itself (told by `identity_atom`).
  bool skip_self = false;
  /// Counts events dropped as duplicates (may be null).
  std::shared_ptr<std::atomic<std::uint64_t>> duplicates;
  /// Counts events skipped as the bot's own (may be null).
  std::shared_ptr<std::atomic<std::uint64_t>> self_skipped;
};

/// The gateway admitted a handler node (`admitted`), or its connection died
/// (gateway -> dispatcher).
struct node_admission {
  caf::node_id node;
  bool admitted = false;
};

/// A call a gateway relays finished on a Web API thread (-> gateway).
struct relay_done {
  std::uint64_t call = 0;
  relay_answer answer;
};

/// A call for the hub, from a handler thread on a node to the node's relay;
/// `done` gets the hub's answer, or why there is none.
struct relay_request {
  enum class kind { web, send, info } what = kind::web;
  std::uint32_t workspace = 0;
  /// Web API calls: `json`, `get` or form.
  std::string encoding;
  std::string method;
  /// Parameters (Web API) or frame (send), as JSON text.
  std::string payload;
  std::function<void(relay_answer)> done;
};

} // namespace slackrtm

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slackrtm::lifecycle_note)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slackrtm::workspace_config)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slackrtm::node_admission)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slackrtm::relay_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slackrtm::relay_request)

CAF_BEGIN_TYPE_ID_BLOCK(slackrtm, caf::first_custom_type_id)
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::event))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::ws_opened))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::ws_binary))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::ws_closed))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::connect_result))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::rtm_event))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::handler_job))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::job_done))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::outgoing_frame))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::socket_frame))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::socket_reply))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::dispatch_stats))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::relay_answer))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::ws_ready))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::rtm_events))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::handler_jobs))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::jobs_done))
CAF_ADD_TYPE_ID(slackrtm, (slackrtm::envelope_response))
CAF_END_TYPE_ID_BLOCK(slackrtm)

namespace slackrtm {

// Atoms (at most 10 characters; CAF's own ones are not shadowed).
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using silence_atom = caf::atom_constant<caf::atom("silence")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using pace_atom = caf::atom_constant<caf::atom("pace")>;
using goodbye_atom = caf::atom_constant<caf::atom("goodbye")>;
using retire_atom = caf::atom_constant<caf::atom("retire")>;
using identity_atom = caf::atom_constant<caf::atom("identity")>;
/// A connection's timers: the deadline of the server's hello; the deadline
/// of an envelope's acknowledgement that waits for a handler's response.
using hello_due_atom = caf::atom_constant<caf::atom("hellodue")>;
using ack_due_atom = caf::atom_constant<caf::atom("ackdue")>;
/// The dispatcher's counters (`dispatch_stats`), its unhandled events, and
/// the handler calls queued or running.
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using unhandled_atom = caf::atom_constant<caf::atom("unhandled")>;
using in_flight_atom = caf::atom_constant<caf::atom("inflight")>;
/// Messages the dispatcher refused from the network.
using refused_atom = caf::atom_constant<caf::atom("refused")>;
/// A workspace's events are routed (with its `workspace_config`), or no
/// longer.
using add_workspace_atom = caf::atom_constant<caf::atom("addws")>;
using remove_workspace_atom = caf::atom_constant<caf::atom("removews")>;
/// A node asks the gateway for a one-time challenge, then proves with it
/// that it knows the hub's secret; a node's worker joins or leaves the node
/// group of an event type.
using challenge_atom = caf::atom_constant<caf::atom("challenge")>;
using admit_atom = caf::atom_constant<caf::atom("admit")>;
using join_group_atom = caf::atom_constant<caf::atom("joingroup")>;
using leave_group_atom = caf::atom_constant<caf::atom("leavegroup")>;
/// A node's relay is told its hub and ticket, or that it has none.
using set_hub_atom = caf::atom_constant<caf::atom("sethub")>;
using drop_hub_atom = caf::atom_constant<caf::atom("drophub")>;
/// The dispatcher tells connections to stop (`true`) or resume reading.
using backlog_atom = caf::atom_constant<caf::atom("backlog")>;
/// A handler node relays a Web API call, a socket send, or asks which
/// workspace a number stands for.
using webapi_atom = caf::atom_constant<caf::atom("webapi")>;
using rtmsend_atom = caf::atom_constant<caf::atom("rtmsend")>;
using workspace_atom = caf::atom_constant<caf::atom("workspace")>;

} // namespace slackrtm

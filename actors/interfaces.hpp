// The typed interfaces of the engine's actors: what each one takes. A send
// that is not in the receiver's interface does not compile. The messages
// themselves are defined, each with its `inspect`, in actors/messages.hpp.
//
// Dispatcher, workers and the hub's gateway are still dynamically typed:
// they talk to handler nodes on other machines, whose admission issue 14
// reworks.
#pragma once

#include <cstdint>
#include <utility>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace slackrtm {

/// One socket (actors/connection.hpp).
using connection_actor = caf::typed_actor<
    // From the Web API thread: the connect call's answer.
    caf::reacts_to<connect_result>,
    // From the transport's thread, through its listener.
    caf::reacts_to<ws_opened>, caf::reacts_to<ws_ready>,
    caf::reacts_to<ws_binary>, caf::reacts_to<ws_closed>,
    // From the supervisor: a frame to write, retire (after its successor's
    // hello), close.
    caf::reacts_to<socket_frame>, caf::reacts_to<retire_atom>,
    caf::reacts_to<caf::close_atom>,
    // From the dispatcher: stop (true) or resume reading.
    caf::reacts_to<backlog_atom, bool>,
    // From a handler (through the client): the response an envelope's
    // acknowledgement waits for.
    caf::reacts_to<envelope_response>,
    // Its own timers: the next ping; the silence check after one (signs of
    // life and pauses seen when it was sent); hello's deadline on a
    // session; the deadline of an acknowledgement waiting for a response.
    caf::reacts_to<ping_atom>,
    caf::reacts_to<silence_atom, std::uint64_t, std::uint64_t>,
    caf::reacts_to<hello_due_atom, std::uint64_t>,
    caf::reacts_to<ack_due_atom, std::string>>;

/// Keeps one connection alive and owns the sends (actors/supervisor.hpp).
using supervisor_actor = caf::typed_actor<
    // From the current connection: it said hello; the server will close it
    // soon (it drains; why); a reply to a frame it wrote.
    caf::reacts_to<hello_atom>, caf::reacts_to<goodbye_atom, std::string>,
    caf::reacts_to<socket_reply>,
    // From the client: a send; close.
    caf::reacts_to<outgoing_frame>, caf::reacts_to<caf::close_atom>,
    // Its own timers: restart; a paced send is due; a send's deadline; the
    // drain limit of the connection at that address.
    caf::reacts_to<restart_atom>, caf::reacts_to<pace_atom, std::uint64_t>,
    caf::reacts_to<expire_atom, std::uint64_t>,
    caf::reacts_to<retire_atom, caf::actor_addr>>;

/// Runs the application's lifecycle handlers (actors/lifecycle.hpp).
using lifecycle_actor = caf::typed_actor<caf::reacts_to<lifecycle_note>>;

/// Sends from a typed actor to one that is still dynamically typed (the
/// dispatcher, a worker), as `self`: CAF's `send` refuses that direction,
/// and the receiver needs the sender (the dispatcher tells its sources to
/// pause, a worker answers with `job_done`).
template <class Self, class... Ts>
void send_untyped(Self* self, const caf::actor& dest, Ts&&... xs) {
  caf::unsafe_send_as(self, dest, std::forward<Ts>(xs)...);
}

} // namespace slackrtm

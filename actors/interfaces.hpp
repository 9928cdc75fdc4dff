// The typed interfaces of the engine's actors: what each one takes. A send
// that is not in the receiver's interface does not compile. The messages
// themselves are defined, each with its `inspect`, in actors/messages.hpp.
//
// Where two actors send to each other, the one declared first names only
// the part of the other it talks to (`job_sink_actor`, `hub_calls_actor`),
// and the full interface extends that part.
#pragma once

#include <cstdint>

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

/// What a handler worker confirms its jobs to: the part of
/// `dispatcher_actor` that workers, on this process or a handler node, use.
using job_sink_actor =
    caf::typed_actor<caf::reacts_to<job_done>, caf::reacts_to<jobs_done>>;

/// Runs a handler's callbacks, one job after the other, and confirms them
/// to the sender (actors/handler_worker.hpp).
using worker_actor =
    caf::typed_actor<caf::reacts_to<handler_job>, caf::reacts_to<handler_jobs>>;

/// The dispatcher's node groups as the gateway changes them: a node was
/// admitted or is gone; a node's worker joins or leaves the group of an
/// event type. The part of `dispatcher_actor` the gateway uses.
using node_groups_actor = caf::typed_actor<
    caf::reacts_to<node_admission>,
    caf::reacts_to<join_group_atom, std::string, worker_actor>,
    caf::reacts_to<leave_group_atom, std::string, worker_actor>>;

/// Where a connection hands its events, and the bot's user id on its
/// workspace: the part of `dispatcher_actor` that connections use.
using event_sink_actor =
    caf::typed_actor<caf::reacts_to<rtm_event>, caf::reacts_to<rtm_events>,
                     caf::reacts_to<identity_atom, std::uint32_t, std::string>>;

/// Routes events to the handlers' workers (actors/dispatcher.hpp).
using dispatcher_actor =
    job_sink_actor::extend_with<event_sink_actor, node_groups_actor>::extend<
        // From the client or hub: a workspace's events are routed, or no
        // longer.
        caf::reacts_to<add_workspace_atom, std::uint32_t, workspace_config>,
        caf::reacts_to<remove_workspace_atom, std::uint32_t>,
        // Its counters.
        caf::replies_to<stats_atom>::with<dispatch_stats>,
        caf::replies_to<unhandled_atom>::with<std::uint64_t>,
        caf::replies_to<refused_atom>::with<std::uint64_t>,
        caf::replies_to<in_flight_atom>::with<std::uint64_t>>;

/// What a handler node's relay asks of the hub, showing its ticket: the
/// part of `gateway_actor` that the relay uses.
using hub_calls_actor = caf::typed_actor<
    // A Web API call (encoding, method, parameters as JSON text).
    caf::replies_to<webapi_atom, std::string, std::uint32_t, std::string,
                    std::string, std::string>::with<relay_answer>,
    // A socket send (the frame as JSON text).
    caf::replies_to<rtmsend_atom, std::string, std::uint32_t,
                    std::string>::with<relay_answer>,
    // A workspace's name and team.
    caf::replies_to<workspace_atom, std::string,
                    std::uint32_t>::with<relay_answer>>;

/// A handler node's relay: carries its handlers' calls to the current hub
/// (actors/node_relay.hpp).
using node_relay_actor =
    caf::typed_actor<caf::reacts_to<set_hub_atom, hub_calls_actor, std::string>,
                     caf::reacts_to<drop_hub_atom>,
                     caf::reacts_to<relay_request>>;

/// The hub as handler nodes see it: what it publishes (actors/gateway.hpp).
using hub_actor = hub_calls_actor::extend<
    // A node asks for a challenge (the answer's body), then shows it with
    // its proof of the secret and its relay; that answer holds a ticket.
    caf::replies_to<challenge_atom>::with<relay_answer>,
    caf::replies_to<admit_atom, std::string, std::string,
                    node_relay_actor>::with<relay_answer>,
    // With the ticket: a worker joins or leaves the node group of a type.
    caf::replies_to<join_group_atom, std::string, std::string,
                    worker_actor>::with<relay_answer>,
    caf::reacts_to<leave_group_atom, std::string, std::string, worker_actor>>;

/// The gateway behind `hub_actor`: also takes the answers of the Web API
/// threads that carry out relayed calls (local only).
using gateway_actor = hub_actor::extend<caf::reacts_to<relay_done>>;

/// Announces to `cfg` every message type of actors/messages.hpp and the
/// handles that cross the network inside messages (a node's workers and
/// relay).
inline void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::slackrtm>();
  cfg.add_message_type<worker_actor>("slackrtm::worker_actor");
  cfg.add_message_type<node_relay_actor>("slackrtm::node_relay_actor");
}

} // namespace slackrtm

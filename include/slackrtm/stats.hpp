// Counters of a client, a hub and a handler node. Each counter is declared
// once, in the struct of its concept; the stats of each facade are made of
// those structs, so the same counter reads the same everywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slackrtm {

/// Events taken in and their handler calls.
struct handler_stats {
  /// Events received: by a client from Slack (including `hello`), by a hub
  /// summed over the workspaces it serves now, by a node from its hub.
  std::uint64_t events = 0;
  /// Handler calls that threw.
  std::uint64_t handler_errors = 0;
};

/// How the events were routed to handlers (by a client's dispatcher, or by
/// the one a hub's workspaces share).
struct routing_stats {
  /// Events no handler (local or on a node) wanted.
  std::uint64_t unhandled = 0;
  /// Times the sockets stopped being read because `max_pending_events`
  /// handler calls (local and on nodes) were queued or running.
  std::uint64_t read_pauses = 0;
};

/// The handler nodes of a hub.
struct node_group_stats {
  /// Handler-node workers joined now.
  std::uint64_t node_workers = 0;
  /// Events sent to another node because the one they went to left or died
  /// before confirming them: each may have been handled twice.
  std::uint64_t redelivered = 0;
  /// Events waiting for a node now.
  std::uint64_t held = 0;
  /// Events dropped from a full hold.
  std::uint64_t held_dropped = 0;
};

/// Counters since the client was built. A hub's workspace counts its
/// routing in the hub's stats (the dispatcher is the hub's).
struct client_stats : handler_stats, routing_stats {
  /// Frames dropped because they were not JSON objects with a `type`.
  std::uint64_t malformed_frames = 0;
  /// Sockets opened (the first connection counts as one).
  std::uint64_t connections = 0;
  /// Events that arrived on both the old and the new socket around a
  /// `goodbye`, or that Slack delivered again over Socket Mode (same
  /// `event_id`), and were delivered once.
  std::uint64_t duplicate_events = 0;
  /// Events the bot itself caused, not delivered (`skip_self_events`).
  std::uint64_t self_events_skipped = 0;
  /// Events dropped from a full `read()` buffer (the oldest go first).
  std::uint64_t read_overflow = 0;
  /// Socket Mode: envelopes acknowledged.
  std::uint64_t envelopes_acked = 0;
  /// Socket Mode: handler responses that came after their envelope's
  /// acknowledgement had gone out (`response_deadline`), and were dropped.
  std::uint64_t late_responses = 0;
};

/// Counters of a hub (its `handler_errors` are those of local handlers).
struct hub_stats : handler_stats, routing_stats, node_group_stats {
  /// Workspaces served now.
  std::size_t workspaces = 0;
};

/// Counters of a handler node.
struct node_stats : handler_stats {
  /// Times it joined a hub (1 + rejoins after losing it).
  std::uint64_t joins = 0;
};

} // namespace slackrtm

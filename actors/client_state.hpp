// What the client's actors and its public face share: the logger, counters,
// the connection state, and the promises of sends awaiting Slack's reply.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "actors/interfaces.hpp"
#include "slackrtm/client.hpp"
#include "util/logger.hpp"

namespace slackrtm {

/// Sends waiting for their `reply_to`, by request number. Thread-safe.
class ack_registry {
public:
  /// Completes a send: the reply, or the error.
  using callback = std::function<void(nlohmann::json, std::exception_ptr)>;

  /// Registers a new send; returns its request number and its future.
  std::pair<std::uint64_t, std::future<nlohmann::json>> add();

  /// Registers a new send completed by `done`, called once on the thread
  /// that settles it; returns its request number.
  std::uint64_t add(callback done);

  /// Completes `request` with Slack's reply: the value on `ok: true`, an
  /// `api_error` otherwise.
  void resolve(std::uint64_t request, nlohmann::json reply);

  /// Fails `request` with a `transport_error` saying `why`.
  void fail(std::uint64_t request, const std::string& why);

  /// Fails every pending request.
  void fail_all(const std::string& why);

  /// Number of sends still waiting.
  std::size_t pending() const;

private:
  // Removes and returns the callback of `request`, if still pending.
  callback take(std::uint64_t request);

  mutable std::mutex mtx_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::uint64_t, callback> pending_;
};

/// Socket Mode envelopes whose acknowledgement waits for a handler's
/// response, by envelope id: the connection that will write it.
/// Thread-safe.
class response_routes {
public:
  void add(const std::string& envelope_id, connection_actor holder);

  void remove(const std::string& envelope_id);

  /// Hands `payload` (JSON object text) to the connection holding
  /// `envelope_id`; false when none does (the ack went out already).
  bool respond(const std::string& envelope_id, std::string payload);

private:
  std::mutex mtx_;
  std::unordered_map<std::string, connection_actor> holders_;
};

/// Shared by a client and its actors.
struct client_state {
  explicit client_state(std::shared_ptr<const logger> l) : log(std::move(l)) {
    // nop
  }

  std::shared_ptr<const logger> log;
  std::atomic<connection_state> state{connection_state::idle};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> malformed_frames{0};
  std::atomic<std::uint64_t> connections{0};
  /// Sockets between hello and their end (Socket Mode holds several).
  std::atomic<std::uint32_t> live_sockets{0};
  /// Socket Mode envelopes acknowledged, and those whose handler's response
  /// came too late to ride in the acknowledgement.
  std::atomic<std::uint64_t> acks{0};
  std::atomic<std::uint64_t> late_responses{0};
  std::atomic<std::uint64_t> handler_errors{0};
  /// Events dropped by the dispatcher as copies from a draining socket.
  std::shared_ptr<std::atomic<std::uint64_t>> duplicate_events =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  /// Events skipped by the dispatcher as the bot's own.
  std::shared_ptr<std::atomic<std::uint64_t>> self_events_skipped =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  /// Last `id` given to a client frame: unique across sockets, so that a
  /// reply arriving on the next socket still finds its send.
  std::atomic<std::uint64_t> last_frame_id{0};
  /// Round trip of the last answered ping in microseconds; -1 before one.
  std::atomic<std::int64_t> last_pong_us{-1};
  ack_registry sends;
  response_routes responses;

  /// A socket said hello: the client is connected.
  void socket_up() {
    ++live_sockets;
    state = connection_state::connected;
  }

  /// A socket that had said hello ended: the client is connecting again
  /// when it was the last one, unless it is closed.
  void socket_down() {
    if (--live_sockets > 0)
      return;
    auto expected = connection_state::connected;
    state.compare_exchange_strong(expected, connection_state::connecting);
  }

  /// The `self` and `team` parts of the last rtm.connect answer.
  void set_identity(nlohmann::json x) {
    std::lock_guard<std::mutex> guard{mtx_};
    identity_ = std::move(x);
  }

  nlohmann::json identity() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return identity_;
  }

private:
  mutable std::mutex mtx_;
  nlohmann::json identity_;
};

} // namespace slackrtm

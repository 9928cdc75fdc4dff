// The supervisor's outbox: RTM frames the application sent, kept until
// Slack's reply settles them, so that a frame whose socket dies is sent
// again on the next one (at-least-once). Plain data, no actor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace slackrtm {

class outbox {
public:
  // -- member types -----------------------------------------------------------

  /// What the outbox refuses up front.
  struct limits {
    /// Frames waiting for their reply at most; more are refused.
    std::size_t capacity = 1000;
    /// Slack disconnects a client that sends a larger frame.
    std::size_t max_frame_bytes = 16 * 1024;
    /// Slack's limit for the text of a message, in characters.
    std::size_t max_text_chars = 4000;
  };

  // -- constructors -----------------------------------------------------------

  explicit outbox(limits lim) : limits_(lim) {
    // nop
  }

  outbox() : outbox(limits{}) {
    // nop
  }

  // -- mutators ---------------------------------------------------------------

  /// Queues `frame` (JSON text of an object, without `id`) as `request`.
  /// Returns why it was refused, or nullopt when queued.
  std::optional<std::string> add(std::uint64_t request,
                                 const std::string& frame);

  /// The frame of `request` with `id` set, ready for the socket; `id` is
  /// remembered so that a reply to it settles `request`, even a late one to
  /// an earlier id. Empty when `request` is not queued.
  std::string stamp(std::uint64_t request, std::uint64_t id);

  /// The request a reply with `reply_to` belongs to, removed from the
  /// outbox; nullopt when no queued request has that id.
  std::optional<std::uint64_t> settle(std::uint64_t reply_to);

  /// Removes `request`; false when it was not queued.
  bool remove(std::uint64_t request);

  /// Empties the outbox and returns the requests it held.
  std::vector<std::uint64_t> clear();

  // -- observers --------------------------------------------------------------

  /// Queued requests, oldest first.
  std::vector<std::uint64_t> requests() const;

  /// The queued frame of `request` (null when not queued).
  const nlohmann::json* frame(std::uint64_t request) const;

  /// False for frames Slack does not answer (`typing`, `presence_sub`, ...:
  /// only messages and pings get a `reply_to`); those are settled once
  /// written.
  bool expects_reply(std::uint64_t request) const;

  /// Number of queued requests.
  std::size_t size() const noexcept { return entries_.size(); }

private:
  struct entry {
    nlohmann::json frame;
    std::vector<std::uint64_t> ids;
    bool expects_reply = true;
  };

  limits limits_;
  std::map<std::uint64_t, entry> entries_;
  std::unordered_map<std::uint64_t, std::uint64_t> by_id_;
};

/// Number of characters (code points) of UTF-8 `text`.
std::size_t utf8_length(const std::string& text);

} // namespace slackrtm

// One RTM event: the frame's JSON text, validated and indexed once as it
// comes off the socket, then shared read-only by every actor and handler.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace slackrtm {

class socket_mode_protocol;

/// How a Socket Mode event was delivered: the envelope around it. Events of
/// an RTM socket have none.
struct envelope {
  /// `envelope_id`: what the acknowledgement names.
  std::string id;
  /// `events_api`, `slash_commands`, `interactive`, or a type Slack adds.
  std::string type;
  /// 0 for a first delivery; Slack's count of earlier tries otherwise
  /// (`events_api` only).
  std::int64_t retry_attempt = 0;
  /// Why Slack tried again (`"timeout"`, ...); empty for a first delivery.
  std::string retry_reason;
  /// True when the acknowledgement may carry a response (slash commands,
  /// interactive payloads).
  bool accepts_response_payload = false;
  /// `payload.event_id` (`events_api`): the same for every delivery of one
  /// event.
  std::string event_id;
  /// The workspace (`payload.team_id`, or `payload.team.id`).
  std::string team_id;
  /// The app (`payload.api_app_id`).
  std::string app_id;
};

/// An event as handlers of the form `(context&, const event&)` receive it.
///
/// Reading a top-level field (`type`, `text`, `user`, `channel`, `ts`, ...)
/// costs a short scan of the event's index: the frame was validated and its
/// top-level members indexed once, without building a JSON tree. `json()`
/// builds the whole tree (`nlohmann::json`) on its first call and keeps it,
/// for nested fields such as `blocks`. Copies are cheap (a shared handle)
/// and every member function may be called from any thread. The views it
/// returns point into the event: they stay valid while a copy of it lives.
class event {
public:
  /// An empty event: no fields, `json()` is an empty object.
  event() = default;

  /// The event `body` (a JSON object; anything else gives an event without
  /// fields whose `json()` is `body`).
  explicit event(const nlohmann::json& body);

  /// Parses one frame. Returns no event when `text` is not JSON or not a
  /// JSON object, and then sets `*error` (when given) to why. Text with
  /// spare capacity of 64 bytes is parsed without a copy.
  static std::optional<event> parse(std::string text,
                                    std::string* error = nullptr);

  /// False for a default-constructed event.
  explicit operator bool() const noexcept { return data_ != nullptr; }

  /// The `type` field ("" when missing or not a string).
  std::string_view type() const noexcept { return string("type"); }

  /// The `subtype` field ("" when missing or not a string).
  std::string_view subtype() const noexcept { return string("subtype"); }

  /// True when the event has the top-level member `key`.
  bool contains(std::string_view key) const noexcept;

  /// The top-level string `key`, unescaped; none when missing or not a
  /// string.
  std::optional<std::string_view>
  get_string(std::string_view key) const noexcept;

  /// The top-level string `key`, or `fallback`.
  std::string_view string(std::string_view key,
                          std::string_view fallback = {}) const noexcept {
    return get_string(key).value_or(fallback);
  }

  /// The top-level integer `key`; none when missing, not an integer, or
  /// beyond 64-bit signed.
  std::optional<std::int64_t> get_int(std::string_view key) const noexcept;

  /// The top-level boolean `key`; none when missing or not a boolean.
  std::optional<bool> get_bool(std::string_view key) const noexcept;

  /// The id of the conversation the event belongs to: `channel` (a string,
  /// or the `id` of a channel object), else `item.channel` (reactions,
  /// pins, stars), else `user`; "" when none.
  std::string_view conversation() const noexcept;

  /// The top-level member `key` when it is a JSON object, as an event of its
  /// own (its text is copied out of this one); none when missing or not an
  /// object.
  std::optional<event> object(std::string_view key) const;

  /// The Socket Mode envelope this event came in; null for RTM events.
  /// For an `events_api` envelope the event is `payload.event`, for other
  /// types the `payload`.
  const slackrtm::envelope* envelope() const noexcept;

  /// The event's JSON text as it came off the socket.
  std::string_view raw() const noexcept;

  /// The whole event as a JSON tree, built on the first call (then kept).
  const nlohmann::json& json() const;

private:
  friend class socket_mode_protocol;

  // Puts an event made by `parse` or `object` (and not yet copied) in
  // `env`.
  void attach(std::shared_ptr<const slackrtm::envelope> env);

  struct data;
  explicit event(std::shared_ptr<const data> d) : data_(std::move(d)) {}
  std::shared_ptr<const data> data_;
};

} // namespace slackrtm

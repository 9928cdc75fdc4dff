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

  /// The event's JSON text as it came off the socket.
  std::string_view raw() const noexcept;

  /// The whole event as a JSON tree, built on the first call (then kept).
  const nlohmann::json& json() const;

private:
  struct data;
  explicit event(std::shared_ptr<const data> d) : data_(std::move(d)) {}
  std::shared_ptr<const data> data_;
};

} // namespace slackrtm

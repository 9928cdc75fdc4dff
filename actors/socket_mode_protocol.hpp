// Slack's Socket Mode: apps.connections.open with the app-level token,
// hello, disconnect (warning, refresh_requested, link_disabled,
// too_many_websockets), envelopes acknowledged by `envelope_id`, and
// WebSocket pings (../shared/docs/socket-mode-protocol.md).
#pragma once

#include <set>
#include <string>

#include "actors/wire_protocol.hpp"

namespace slackrtm {

class socket_mode_protocol final : public wire_protocol {
public:
  /// `responding`: the routes (`"slash_commands"`, `"slash_commands::/cmd"`,
  /// `"interactive::view_submission"`, ...) whose handlers answer with a
  /// response payload: the acknowledgement of their envelopes waits for it.
  explicit socket_mode_protocol(
      std::set<std::string, std::less<>> responding = {});

  const std::string& connect_method() const noexcept override;

  /// The URL, exactly as given; no identity (the client learns it from
  /// `auth.test` with the bot token).
  connect_result read_connect_answer(const nlohmann::json& answer,
                                     std::exception_ptr err) const override;

  /// Envelopes are events (`routed`: the inner event, in its envelope)
  /// with their `ack`; an envelope that cannot be delivered is `malformed`
  /// and still acknowledged when it has an `envelope_id`.
  frame_meaning classify(const event& frame) const override;

  /// Empty: Socket Mode keeps alive with WebSocket pings.
  std::string ping_frame(std::uint64_t id) const override;

  /// `{"envelope_id":id,"payload":response}`, or `{"envelope_id":id}`
  /// when `response` is empty or no JSON object.
  std::string ack_with(const std::string& id,
                       const std::string& response) const override;

  bool drain_until_closed() const noexcept override { return true; }

  /// Seconds to wait after `too_many_websockets`: Slack counts the sockets
  /// of every process of the app, and reconnecting at once feeds a storm.
  static constexpr std::int32_t crowded_backoff = 30;

private:
  std::string method_;
  std::set<std::string, std::less<>> responding_;
};

/// `{"envelope_id":id}`.
std::string plain_ack(std::string_view id);

} // namespace slackrtm

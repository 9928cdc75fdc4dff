// Slack's RTM protocol: rtm.connect (or rtm.start), hello, goodbye,
// team_migration_started, error events, replies by `reply_to` and JSON
// pings (../shared/docs/slack-rtm-protocol.md).
#pragma once

#include <string>

#include "actors/wire_protocol.hpp"

namespace slackrtm {

class rtm_protocol final : public wire_protocol {
public:
  /// `method`: "rtm.connect" or "rtm.start".
  explicit rtm_protocol(std::string method = "rtm.connect");

  const std::string& connect_method() const noexcept override;

  /// The URL, and the answer's `self` and `team` as the identity.
  connect_result read_connect_answer(const nlohmann::json& answer,
                                     std::exception_ptr err) const override;

  frame_meaning classify(const event& frame) const override;

  /// `{"type":"ping","id":id,"time":<ms since the epoch>}`.
  std::string ping_frame(std::uint64_t id) const override;

private:
  std::string method_;
};

} // namespace slackrtm

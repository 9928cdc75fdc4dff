// The Web API calls that open a socket, and what their answers fill in:
// rtm.connect (or rtm.start) for RTM; auth.test with the bot token once,
// then apps.connections.open with the app token, for Socket Mode. The
// identity and the team state (with the lists, when asked for) are set from
// them. Everything runs on Web API threads; a connection never waits.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "actors/client_state.hpp"
#include "actors/interfaces.hpp"
#include "actors/team_cache.hpp"
#include "actors/wire_protocol.hpp"
#include "slackrtm/options.hpp"
#include "slackrtm/web_client.hpp"

namespace slackrtm {

class connect_call {
public:
  /// Calls go through `web` (the bot token), which must outlive this object
  /// and be destroyed after it (its threads run the answers' callbacks).
  connect_call(const client_options& options, slackrtm::web_client& web,
               std::shared_ptr<client_state> shared,
               std::shared_ptr<team_cache> team);

  /// The connection's connect call for `protocol` (see
  /// `connection_config::connect`).
  std::function<void(connection_actor)>
  for_protocol(std::shared_ptr<const wire_protocol> protocol);

private:
  void rtm(const std::shared_ptr<const wire_protocol>& protocol,
           connection_actor connection);

  void socket_mode(const std::shared_ptr<const wire_protocol>& protocol,
                   connection_actor connection);

  // With rtm.connect's (or rtm.start's) answer, or with the identity
  // auth.test gave in Socket Mode.
  void on_identity(const nlohmann::json& answer);

  const client_options& options_;
  slackrtm::web_client& web_;
  std::shared_ptr<client_state> shared_;
  std::shared_ptr<team_cache> team_;
  // Socket Mode: true once auth.test told the bot's identity.
  std::atomic<bool> identified_{false};
  // Socket Mode: the app token's client, for apps.connections.open only.
  // Last: destroyed (its threads joined) before the members they use.
  std::unique_ptr<slackrtm::web_client> app_web_;
};

} // namespace slackrtm

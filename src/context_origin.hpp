// What a context acts on: a `client` of this process, or, on a handler node,
// a workspace of the hub, reached through the hub. Internal: handlers see
// only `context`.
#pragma once

#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "slackrtm/fwd.hpp"

namespace slackrtm::detail {

class context_origin {
public:
  virtual ~context_origin() = default;

  /// The Web API client of the workspace.
  virtual slackrtm::web_client& web_client() = 0;

  /// Sends a frame over the workspace's socket (see `client::send`).
  virtual std::future<nlohmann::json> send(nlohmann::json frame) = 0;

  /// The client that delivered the event; null on a handler node.
  virtual slackrtm::client* local_client() noexcept = 0;

  /// The workspace's name (as the hub knows it; empty for a lone client).
  virtual std::string workspace() const = 0;

  /// The workspace's team id (`T...`); empty before the first connection.
  virtual std::string team_id() const = 0;
};

} // namespace slackrtm::detail

// A context's origin when the workspace is a client of this process.
#pragma once

#include <string>

#include "slackrtm/client.hpp"
#include "src/context_origin.hpp"

namespace slackrtm {

class client_origin final : public detail::context_origin {
public:
  explicit client_origin(client& owner, std::string name = {})
      : owner_(owner), name_(std::move(name)) {
    // nop
  }

  slackrtm::web_client& web_client() override { return owner_.web_client(); }

  std::future<nlohmann::json> send(nlohmann::json frame) override {
    return owner_.send(std::move(frame));
  }

  client* local_client() noexcept override { return &owner_; }

  std::string workspace() const override { return name_; }

  std::string team_id() const override {
    auto identity = owner_.identity();
    if (!identity.is_object())
      return {};
    auto team = identity.find("team");
    if (team == identity.end() || !team->is_object())
      return {};
    return team->value("id", std::string{});
  }

private:
  client& owner_;
  std::string name_;
};

} // namespace slackrtm

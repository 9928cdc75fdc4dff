// A handler's context: everything it asks goes to the workspace's origin.
#include "slackrtm/context.hpp"

#include <stdexcept>

#include "src/context_origin.hpp"

namespace slackrtm {

slackrtm::web_client& context::web_client() const {
  return origin_.web_client();
}

slackrtm::client& context::client() const {
  if (auto* result = origin_.local_client())
    return *result;
  throw std::logic_error("slackrtm: a handler node has no local client; "
                         "use context::send");
}

bool context::remote() const noexcept {
  return origin_.local_client() == nullptr;
}

std::string context::workspace() const {
  return origin_.workspace();
}

std::string context::team_id() const {
  return origin_.team_id();
}

std::future<nlohmann::json> context::send(nlohmann::json frame) const {
  return origin_.send(std::move(frame));
}

} // namespace slackrtm

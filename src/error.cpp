// Slack's error codes and the exceptions that carry them.
#include "slackrtm/error.hpp"

#include <algorithm>
#include <array>

namespace slackrtm {

namespace {

std::string describe(const std::string& method, const std::string& error,
                     int status) {
  auto text = method + " failed: " + error;
  if (status != 200 && status != 0)
    text += " (HTTP " + std::to_string(status) + ")";
  return text;
}

} // namespace

api_error::api_error(std::string method, std::string error, int http_status,
                     nlohmann::json response)
    : std::runtime_error(describe(method, error, http_status)),
      method_(std::move(method)), error_(std::move(error)),
      http_status_(http_status), response_(std::move(response)) {
  // nop
}

bool api_error::is_fatal() const noexcept {
  return is_fatal_error_code(error_);
}

bool is_fatal_error_code(const std::string& code) {
  static constexpr std::array<const char*, 8> fatal{
      "invalid_auth",           "not_authed",
      "account_inactive",       "token_revoked",
      "not_allowed_token_type", "missing_scope",
      "team_disabled",          "user_removed_from_team"};
  return std::any_of(fatal.begin(), fatal.end(),
                     [&](const char* x) { return code == x; });
}

} // namespace slackrtm

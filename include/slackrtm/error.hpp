// Exceptions thrown by the public API.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace slackrtm {

/// Slack answered a Web API call with `ok: false`, or refused it with an HTTP
/// status after all retries.
class api_error : public std::runtime_error {
public:
  // -- constructors -----------------------------------------------------------

  api_error(std::string method, std::string error, int http_status,
            nlohmann::json response);

  // -- observers --------------------------------------------------------------

  /// Slack's error code, e.g. `invalid_auth` or `channel_not_found`.
  const std::string& error() const noexcept { return error_; }

  /// The Web API method that failed, e.g. `chat.postMessage`.
  const std::string& method() const noexcept { return method_; }

  /// The HTTP status of the last answer.
  int http_status() const noexcept { return http_status_; }

  /// The whole JSON answer (may be null when the body was not JSON).
  const nlohmann::json& response() const noexcept { return response_; }

  /// True for codes where retrying cannot help (revoked or invalid token...).
  bool is_fatal() const noexcept;

private:
  std::string method_;
  std::string error_;
  int http_status_;
  nlohmann::json response_;
};

/// The network failed: DNS, TCP, TLS (e.g. an untrusted certificate), timeout.
class transport_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// True for Slack error codes after which reconnecting cannot succeed.
bool is_fatal_error_code(const std::string& code);

} // namespace slackrtm

// A small blocking HTTP/1.1 client with keep-alive, behind an interface free
// of Beast so that only http_client.cpp pays Beast's compile time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "slackrtm/options.hpp"

namespace slackrtm {

/// One request.
struct http_request {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string body;
};

/// One response.
struct http_response {
  int status = 0;
  std::string body;
  /// The `Retry-After` header, empty when absent.
  std::string retry_after;
};

/// Thread-safe; keeps idle connections per host for reuse. Every exchange
/// runs under a deadline. Throws `transport_error` on network or TLS failure.
class http_client {
public:
  http_client(tls_options tls, std::chrono::milliseconds timeout);
  ~http_client();

  /// Performs `req` and returns the response (any status).
  http_response perform(const http_request& req);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace slackrtm

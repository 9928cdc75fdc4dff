// A small blocking HTTP/1.1 client with keep-alive, behind an interface free
// of Beast so that only http_client.cpp pays Beast's compile time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "slackrtm/options.hpp"
#include "transport/proxy.hpp"

namespace slackrtm {

/// The `User-Agent` of every request unless the request sets its own.
constexpr const char* default_user_agent = "slackrtm/0.1.0";

/// One request.
struct http_request {
  std::string method = "POST";
  std::string url;
  /// Set after the defaults, so that they replace them (`User-Agent`).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string body;
  /// True when the server may see the request twice without harm (GET). A
  /// kept-alive connection that fails after the request went out is then
  /// retried on a fresh one; otherwise it is retried only when nothing of
  /// the request was written, since the server may have acted on it.
  bool idempotent = false;
};

/// One response.
struct http_response {
  int status = 0;
  std::string body;
  /// The `Retry-After` header, empty when absent.
  std::string retry_after;
};

/// Thread-safe; keeps idle connections per host for reuse. Every exchange
/// runs under a deadline. Throws `transport_error` on network or TLS failure
/// and when a proxy refuses the tunnel.
class http_client {
public:
  /// Connections go through the proxy `proxy` selects for their target (a
  /// CONNECT tunnel, TLS to the target inside it).
  http_client(tls_options tls, std::chrono::milliseconds timeout,
              proxy_settings proxy = {});
  ~http_client();

  /// Performs `req` and returns the response (any status).
  http_response perform(const http_request& req);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace slackrtm

// The CONNECT exchange with an HTTP proxy, shared by the HTTP client and the
// WebSocket sessions. Pulls in Beast: include it only from their .cpp files.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "transport/proxy.hpp"

namespace slackrtm {

/// The `host:port` a CONNECT names (IPv6 addresses in brackets).
inline std::string connect_authority(const std::string& host,
                                     const std::string& port) {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + port;
  return host + ":" + port;
}

/// Asks `proxy`, already connected on `stream` (a `beast::basic_stream`),
/// for a tunnel to `host:port`,
/// under the stream's current deadline. Then calls `done(ec, refusal)`:
/// both empty when the tunnel is up (the stream then carries the target's
/// bytes); `ec` on a network error; `refusal` when the proxy answered
/// anything but 200, e.g. "proxy refused CONNECT: 407 Proxy Authentication
/// Required" (never with the credentials).
template <class Stream, class Handler>
void async_proxy_connect(Stream& stream, const proxy_server& proxy,
                         const std::string& host, const std::string& port,
                         Handler done) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  struct exchange {
    http::request<http::empty_body> req;
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
  };
  auto ex = std::make_shared<exchange>();
  auto authority = connect_authority(host, port);
  ex->req.method(http::verb::connect);
  ex->req.target(authority);
  ex->req.version(11);
  ex->req.set(http::field::host, authority);
  if (!proxy.authorization.empty())
    ex->req.set(http::field::proxy_authorization, proxy.authorization);
  // A 200 answer to CONNECT has no body whatever its headers say; for a
  // refusal, whatever body follows is of no interest.
  ex->parser.skip(true);
  http::async_write(
      stream, ex->req,
      [&stream, ex, done = std::move(done)](beast::error_code ec,
                                            std::size_t) mutable {
        if (ec)
          return done(ec, std::string{});
        http::async_read(
            stream, ex->buffer, ex->parser,
            [ex, done = std::move(done)](beast::error_code ec,
                                         std::size_t) mutable {
              if (ec)
                return done(ec, std::string{});
              auto& res = ex->parser.get();
              if (res.result_int() != 200) {
                std::string reason{res.reason()};
                if (reason.size() > 80)
                  reason.resize(80);
                return done(ec, "proxy refused CONNECT: " +
                                    std::to_string(res.result_int()) + " " +
                                    reason);
              }
              // The target has not been spoken to yet: nothing may follow.
              if (ex->buffer.size() != 0)
                return done(ec, std::string{"proxy sent data after its "
                                            "CONNECT answer"});
              done(ec, std::string{});
            });
      });
}

} // namespace slackrtm

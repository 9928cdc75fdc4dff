// Blocking HTTP/1.1 over Beast. Each pooled connection owns an io_context
// that the calling thread drives, so every step runs under a deadline
// (tcp_stream timeouts) without a thread of its own.
#include "transport/http_client.hpp"

#include <map>
#include <mutex>
#include <optional>

#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "slackrtm/error.hpp"
#include "transport/proxy_tunnel.hpp"
#include "transport/tls.hpp"
#include "util/url.hpp"

namespace slackrtm {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

// Answers larger than this are refused (users.list pages stay far below).
constexpr std::uint64_t max_body_size = 64 * 1024 * 1024;

struct connection {
  net::io_context ioc;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() {
    return tls ? beast::get_lowest_layer(*tls) : *plain;
  }

  // Runs the operation started by `start` to completion on this thread.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

std::string describe(const url_parts& url) {
  return url.scheme + "://" + url.host_header();
}

// True when an idle kept-alive connection has anything to read: the
// server's FIN (it closed the connection), a TLS alert, or stray bytes. A
// request must not go out on it.
bool peer_spoke(connection& conn) {
  pollfd fd{};
  fd.fd = conn.lowest().socket().native_handle();
  fd.events = POLLIN;
  return ::poll(&fd, 1, 0) != 0;
}

} // namespace

struct http_client::impl {
  std::shared_ptr<ssl::context> tls_ctx;
  std::chrono::milliseconds timeout;
  proxy_settings proxies;
  std::mutex mtx;
  std::multimap<std::string, std::unique_ptr<connection>> idle;

  impl(const tls_options& tls, std::chrono::milliseconds t, proxy_settings p)
      : tls_ctx(shared_tls_context(tls)), timeout(t), proxies(std::move(p)) {
    // nop
  }

  std::unique_ptr<connection> take(const std::string& key) {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = idle.find(key);
    if (i == idle.end())
      return nullptr;
    auto result = std::move(i->second);
    idle.erase(i);
    return result;
  }

  void give_back(const std::string& key, std::unique_ptr<connection> conn) {
    std::lock_guard<std::mutex> guard{mtx};
    if (idle.count(key) < 8)
      idle.emplace(key, std::move(conn));
  }

  std::unique_ptr<connection> open(const url_parts& url) {
    auto conn = std::make_unique<connection>();
    // Through a proxy, the socket goes to the proxy and everything after the
    // CONNECT (TLS with the target's name and certificate) is unchanged.
    auto proxy = proxies.select(url);
    auto peer = proxy ? "proxy " + proxy->display() : describe(url);
    tcp::resolver::results_type endpoints;
    beast::error_code ec;
    {
      // A resolver on an io_context of its own: Asio keeps a thread for
      // every io_context that ever resolved, and a kept-alive connection's
      // lives long (a hub's thousand idle workspaces held a thousand).
      net::io_context resolving;
      tcp::resolver resolver{resolving};
      resolver.async_resolve(proxy ? proxy->host : url.host,
                             proxy ? proxy->port : url.port,
                             [&](beast::error_code e, auto results) {
                               endpoints = results;
                               ec = e;
                             });
      resolving.run();
    }
    if (ec)
      throw transport_error("cannot resolve " + peer + ": " + ec.message());
    if (url.secure())
      conn->tls.emplace(conn->ioc, *tls_ctx);
    else
      conn->plain.emplace(conn->ioc);
    conn->lowest().expires_after(timeout);
    ec = conn->run(
        [&](auto done) { conn->lowest().async_connect(endpoints, done); });
    if (ec)
      throw transport_error("cannot connect to " + peer + ": " + ec.message());
    if (proxy) {
      std::string refusal;
      conn->lowest().expires_after(timeout);
      ec = conn->run([&](auto done) {
        async_proxy_connect(
            conn->lowest(), *proxy, url.host, url.port,
            [&refusal, done](beast::error_code e, std::string why) mutable {
              refusal = std::move(why);
              done(e);
            });
      });
      if (ec)
        throw transport_error("CONNECT to " + describe(url) + " through " +
                              peer + " failed: " + ec.message());
      if (!refusal.empty())
        throw transport_error(refusal + " (" + peer + ", target " +
                              describe(url) + ")");
    }
    if (conn->tls) {
      auto* handle = conn->tls->native_handle();
      if (!SSL_set_tlsext_host_name(handle, url.host.c_str()))
        throw transport_error("cannot set TLS server name for " +
                              describe(url));
      conn->tls->set_verify_callback(ssl::host_name_verification(url.host));
      conn->lowest().expires_after(timeout);
      ec = conn->run([&](auto done) {
        conn->tls->async_handshake(ssl::stream_base::client, done);
      });
      if (ec)
        throw transport_error("TLS handshake with " + describe(url) +
                              " failed: " + ec.message());
    }
    return conn;
  }

  // Sends `req` and reads the answer; nullopt on failure (`ec` says why,
  // `written` how many bytes of the request went out).
  std::optional<http::response<http::string_body>>
  exchange(connection& conn, http::request<http::string_body>& req,
           beast::error_code& ec, std::size_t& written) {
    conn.lowest().expires_after(timeout);
    written = 0;
    ec = conn.run([&](auto done) {
      auto count = [&written, done](beast::error_code e,
                                    std::size_t n) mutable {
        written = n;
        done(e);
      };
      if (conn.tls)
        http::async_write(*conn.tls, req, count);
      else
        http::async_write(*conn.plain, req, count);
    });
    if (ec)
      return std::nullopt;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_size);
    conn.lowest().expires_after(timeout);
    ec = conn.run([&](auto done) {
      if (conn.tls)
        http::async_read(*conn.tls, conn.buffer, parser, done);
      else
        http::async_read(*conn.plain, conn.buffer, parser, done);
    });
    if (ec)
      return std::nullopt;
    return parser.release();
  }
};

http_client::http_client(tls_options tls, std::chrono::milliseconds timeout,
                         proxy_settings proxy)
    : impl_(std::make_unique<impl>(tls, timeout, std::move(proxy))) {
  // nop
}

http_client::~http_client() = default;

http_response http_client::perform(const http_request& request) {
  auto url = parse_url(request.url);
  if (!url || (url->scheme != "http" && url->scheme != "https"))
    throw transport_error("not an http(s) URL: " + request.url);
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(url->target);
  req.version(11);
  req.set(http::field::host, url->host_header());
  req.set(http::field::user_agent, default_user_agent);
  req.keep_alive(true);
  for (auto& [name, value] : request.headers)
    req.set(name, value);
  if (!request.content_type.empty())
    req.set(http::field::content_type, request.content_type);
  req.body() = request.body;
  req.prepare_payload();
  auto key = url->scheme + "://" + url->host + ":" + url->port;
  // A pooled connection may have been closed by the server meanwhile.
  // Seen before writing (the server's FIN already arrived), it is dropped.
  // Failing after that, the request goes once more on a fresh connection
  // only if nothing of it was written, or if it is idempotent: otherwise
  // the server may have received it, and a POST would post twice (the web
  // client's own retries, off by default, decide about those). A fresh
  // connection's failure is final.
  for (;;) {
    auto conn = impl_->take(key);
    while (conn && peer_spoke(*conn))
      conn = impl_->take(key);
    auto reused = conn != nullptr;
    if (!conn)
      conn = impl_->open(*url);
    beast::error_code ec;
    std::size_t written = 0;
    auto res = impl_->exchange(*conn, req, ec, written);
    if (!res) {
      if (reused && ec != beast::error::timeout &&
          (written == 0 || request.idempotent))
        continue;
      throw transport_error(request.method + " " + describe(*url) +
                            url->target + " failed: " + ec.message());
    }
    http_response result;
    result.status = static_cast<int>(res->result_int());
    result.body = std::move(res->body());
    if (auto i = res->find(http::field::retry_after); i != res->end())
      result.retry_after = std::string{i->value()};
    if (res->keep_alive())
      impl_->give_back(key, std::move(conn));
    return result;
  }
}

} // namespace slackrtm

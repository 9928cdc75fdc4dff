// server.cpp — the network server (Beast): one port, plain or TLS, serving
// HTTP/1.1 keep-alive and handing /rtm/ (RTM) and /link/ (Socket Mode)
// upgrades to websocket.cpp.
#include "server.hpp"
#include "simulator.hpp"
#include "websocket.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <sys/resource.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <type_traits>

namespace sim {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = beast::error_code;
using namespace std::chrono_literals;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// Numbers HTTP connections (the io_context runs on one thread).
std::uint64_t http_connections = 0;

// Large enough for /_sim/inject bursts of many thousand events.
constexpr std::uint64_t max_body = 64 * 1024 * 1024;
constexpr auto http_idle_timeout = 120s;
constexpr auto write_timeout = 30s;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_http_parse_error(const error_code& ec) {
  return ec.category() ==
         http::make_error_code(http::error::bad_target).category();
}

// The simulator's timers, on the io_context's one thread.
class timer_scheduler final : public scheduler {
public:
  explicit timer_scheduler(net::io_context& ioc) : ioc_(ioc) {}

  void after(std::chrono::milliseconds delay,
             std::function<void()> fn) override {
    auto timer = std::make_shared<net::steady_timer>(ioc_, delay);
    timer->async_wait([timer, fn = std::move(fn)](error_code ec) {
      if (!ec)
        fn();
    });
  }

private:
  net::io_context& ioc_;
};

class server {
public:
  server(net::io_context& ioc, const server_options& opts);

  void start() { do_accept(); }
  const std::string& api_url() const { return api_url_; }
  unsigned short port() const { return port_; }
  simulator& sim() { return *sim_; }
  socket_registry& sockets() { return sockets_; }
  socket_registry& links() { return links_; }
  bool lenient_urls() const { return lenient_urls_; }

private:
  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);

  net::io_context& ioc_;
  std::optional<ssl::context> tls_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  unsigned short port_ = 0;
  std::string api_url_;
  // The open WebSockets; the simulator reaches them through this.
  socket_registry sockets_;
  // The open Socket Mode sockets, numbered apart from the RTM ones.
  socket_registry links_;
  timer_scheduler timers_;
  std::unique_ptr<simulator> sim_;
  bool lenient_urls_ = false;
};

template <class Stream>
class http_session final
    : public std::enable_shared_from_this<http_session<Stream>> {
  static constexpr bool tls = std::is_same_v<Stream, tls_stream>;

public:
  http_session(Stream&& stream, beast::flat_buffer&& buffer, server& srv)
      : stream_(std::move(stream)), buffer_(std::move(buffer)), srv_(srv),
        delay_(beast::get_lowest_layer(stream_).get_executor()),
        http_id_(++http_connections) {}

  void run() {
    if constexpr (tls) {
      beast::get_lowest_layer(stream_).expires_after(handshake_timeout);
      // The TLS detector may already have read the ClientHello.
      stream_.async_handshake(
          ssl::stream_base::server, buffer_.data(),
          [self = this->shared_from_this()](error_code ec, std::size_t used) {
            if (ec) {
              log_line("tls handshake failed: " + ec.message());
              return;
            }
            self->buffer_.consume(used);
            self->do_read();
          });
    } else {
      do_read();
    }
  }

private:
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(max_body);
    lowest().expires_after(http_idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&http_session::on_header,
                                  this->shared_from_this()));
  }

  void on_header(error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    auto& req = parser_->get();
    if (parser_->is_done())
      return dispatch();
    // curl waits a second for this before sending a large body.
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(
          http::status::continue_, req.version());
      lowest().expires_after(write_timeout);
      http::async_write(
          stream_, *cont,
          [self = this->shared_from_this(), cont](error_code ec, std::size_t) {
            if (!ec)
              self->read_body();
          });
      return;
    }
    read_body();
  }

  void read_body() {
    lowest().expires_after(http_idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) {
          if (ec)
            return self->on_read_error(ec);
          self->dispatch();
        });
  }

  void on_read_error(error_code ec) {
    if (ec == http::error::end_of_stream)
      return shutdown();
    if (!is_http_parse_error(ec) || ec == http::error::partial_message)
      return; // timeout, reset or truncation: nobody left to answer
    int status = ec == http::error::body_limit     ? 413
                 : ec == http::error::header_limit ? 431
                                                   : 400;
    log_line("bad http request: " + ec.message());
    keep_alive_ = false;
    version_ = 11;
    respond(json_reply(
        status,
        {{"ok", false}, {"error", "bad_request"}, {"detail", ec.message()}}));
  }

  void dispatch() {
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    auto parts = split_target(req.target());
    const auto& path = parts.path;
    bool get = req.method() == http::verb::get;
    bool post = req.method() == http::verb::post;

    if (starts_with(path, "/rtm/") && websocket::is_upgrade(req))
      return upgrade(std::move(parts));
    if (path == "/link/" && websocket::is_upgrade(req)) {
      // The ticket and app_id are in the query, checked by Socket Mode.
      lowest().expires_never();
      return run_websocket(std::move(stream_), parser_->release(),
                           std::move(parts.query), srv_.links(),
                           srv_.sim().socket_mode_protocol());
    }
    if (starts_with(path, "/api/")) {
      if (!get && !post)
        return respond(not_allowed());
      auto call = srv_.sim().api_begin(
          http_id_, path.substr(5), parts.query, req[http::field::content_type],
          req.body(), req[http::field::authorization]);
      if (call.delay_ms() <= 0)
        return respond(srv_.sim().api_finish(call));
      // The timer lets every other connection carry on meanwhile.
      delay_.expires_after(std::chrono::milliseconds(call.delay_ms()));
      delay_.async_wait([self = this->shared_from_this(),
                         call = std::move(call)](error_code ec) {
        if (!ec)
          self->respond(self->srv_.sim().api_finish(call));
      });
      return;
    }
    if (starts_with(path, "/_sim/")) {
      if (!get && !post)
        return respond(not_allowed());
      return respond(srv_.sim().control(get, path.substr(6), req.body()));
    }
    if (starts_with(path, "/rtm/") || path == "/link/") {
      return respond(json_reply(
          400, {{"ok", false}, {"error", "websocket_upgrade_required"}}));
    }
    respond(json_reply(404, {{"ok", false}, {"error", "not_found"}}));
  }

  static http_reply not_allowed() {
    return json_reply(405, {{"ok", false}, {"error", "method_not_allowed"}});
  }

  void upgrade(target_parts parts) {
    auto query = parse_form(parts.query);
    auto dp = query.find("dp");
    if ((dp == query.end() || *dp != "1") && !srv_.lenient_urls()) {
      keep_alive_ = false;
      return respond(json_reply(
          400, {{"ok", false},
                {"error", "invalid_socket_url"},
                {"detail", "socket URLs must be used with their query"}}));
    }
    // The WebSocket keeps its own timeouts from here on.
    lowest().expires_never();
    run_websocket(std::move(stream_), parser_->release(), parts.path.substr(5),
                  srv_.sockets(), srv_.sim());
  }

  void respond(http_reply r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "slackrtm-sim");
    res->set(http::field::content_type, r.content_type);
    if (r.retry_after)
      res->set(http::field::retry_after, std::to_string(*r.retry_after));
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    lowest().expires_after(write_timeout);
    http::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res](error_code ec, std::size_t) {
          if (ec)
            return;
          if (!self->keep_alive_)
            return self->shutdown();
          self->do_read();
        });
  }

  void shutdown() {
    if constexpr (tls) {
      lowest().expires_after(handshake_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {});
    } else {
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  server& srv_;
  net::steady_timer delay_;
  std::uint64_t http_id_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

// On the TLS port, a client speaking plain HTTP gets a readable refusal
// instead of a handshake failure it cannot explain.
class tls_detector : public std::enable_shared_from_this<tls_detector> {
public:
  tls_detector(tcp::socket&& socket, ssl::context& ctx, server& srv)
      : stream_(std::move(socket)), ctx_(ctx), srv_(srv) {}

  void run() {
    stream_.expires_after(handshake_timeout);
    beast::async_detect_ssl(
        stream_, buffer_,
        [self = shared_from_this()](error_code ec, bool is_tls) {
          if (ec)
            return;
          if (is_tls) {
            std::make_shared<http_session<tls_stream>>(
                tls_stream(std::move(self->stream_), self->ctx_),
                std::move(self->buffer_), self->srv_)
                ->run();
          } else {
            self->refuse();
          }
        });
  }

private:
  void refuse() {
    auto res = std::make_shared<http::response<http::string_body>>(
        http::status::bad_request, 11);
    res->set(http::field::server, "slackrtm-sim");
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    res->keep_alive(false);
    res->body() = "this port serves https and wss only\n";
    res->prepare_payload();
    stream_.expires_after(write_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res](error_code, std::size_t) {
          error_code ignored;
          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        });
  }

  beast::tcp_stream stream_;
  ssl::context& ctx_;
  server& srv_;
  beast::flat_buffer buffer_;
};

// A workspace's domain: its name in lower case, other characters than
// letters and digits turned into '-'.
std::string domain_of(const std::string& name) {
  std::string out;
  for (unsigned char c : name)
    out += std::isalnum(c) != 0 ? static_cast<char>(std::tolower(c)) : '-';
  return out;
}

server::server(net::io_context& ioc, const server_options& opts)
    : ioc_(ioc), acceptor_(ioc), accept_retry_(ioc), timers_(ioc) {
  if (!opts.tls_cert.empty()) {
    tls_.emplace(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds |
                      ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls_->use_certificate_chain_file(opts.tls_cert);
    tls_->use_private_key_file(opts.tls_key, ssl::context::pem);
  }
  auto address = net::ip::make_address(
      opts.host == "localhost" ? std::string("127.0.0.1") : opts.host);
  tcp::endpoint endpoint(address, opts.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();

  auto host =
      address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  auto authority = host + ":" + std::to_string(port_);
  api_url_ = (tls_ ? "https://" : "http://") + authority + "/api/";
  sim_config cfg;
  cfg.workspaces.push_back({"T0SIM0001", "Simulated", "sim", opts.tokens, {}});
  for (const auto& w : opts.workspaces)
    cfg.workspaces.push_back({w.id, w.name, domain_of(w.name), {w.token}, {}});
  for (const auto& a : opts.app_tokens)
    for (auto& w : cfg.workspaces)
      if (w.id == (a.team.empty() ? cfg.workspaces.front().id : a.team))
        w.app_token = a.token;
  cfg.url_ttl = std::chrono::seconds(opts.url_ttl);
  cfg.ws_base = (tls_ ? "wss://" : "ws://") + authority;
  cfg.extra_users = opts.extra_users;
  cfg.extra_channels = opts.extra_channels;
  sim_ = std::make_unique<simulator>(std::move(cfg), sockets_, links_, timers_);
  lenient_urls_ = opts.lenient_urls;
}

void server::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void server::on_accept(error_code ec, tcp::socket socket) {
  if (ec) {
    if (ec == net::error::operation_aborted)
      return;
    // Out of descriptors, most likely: back off instead of spinning.
    log_line("accept failed: " + ec.message());
    accept_retry_.expires_after(50ms);
    accept_retry_.async_wait([this](error_code ec) {
      if (!ec)
        do_accept();
    });
    return;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (tls_) {
    std::make_shared<tls_detector>(std::move(socket), *tls_, *this)->run();
  } else {
    std::make_shared<http_session<plain_stream>>(
        plain_stream(std::move(socket)), beast::flat_buffer(), *this)
        ->run();
  }
  do_accept();
}

bool write_port_file(const std::string& path, unsigned short port) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << '\n';
    if (!out.flush())
      return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

} // namespace

int run_server(const server_options& opts) {
  // A vanished stdout reader must not kill us; sockets use MSG_NOSIGNAL.
  std::signal(SIGPIPE, SIG_IGN);
  // A benchmark holds a thousand sockets and more: take every descriptor the
  // hard limit allows.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 &&
      files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  set_quiet(opts.quiet);
  net::io_context ioc{1};
  std::unique_ptr<server> srv;
  try {
    srv = std::make_unique<server>(ioc, opts);
  } catch (const std::exception& e) {
    std::cerr << "slackrtm-sim: cannot start: " << e.what() << '\n';
    return 1;
  }
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](error_code ec, int) {
    if (ec)
      return;
    log_line("stopping");
    ioc.stop();
  });
  srv->start();
  if (!opts.port_file.empty() &&
      !write_port_file(opts.port_file, srv->port())) {
    std::cerr << "slackrtm-sim: cannot write " << opts.port_file << '\n';
    return 1;
  }
  std::cout << "slackrtm-sim listening on " << srv->api_url() << std::endl;
  ioc.run();
  return 0;
}

} // namespace sim
// server.cpp — the network side: one port, plain or TLS, serving HTTP/1.1
// keep-alive and upgrading /rtm/ requests to WebSocket, on one io thread.
#include "server.hpp"
#include "simulator.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
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
using request = http::request<http::string_body>;

// Numbers HTTP connections (the io_context runs on one thread).
std::uint64_t http_connections = 0;

constexpr std::size_t max_client_frame = 16 * 1024;
// Large enough for /_sim/inject bursts of many thousand events.
constexpr std::uint64_t max_body = 64 * 1024 * 1024;
constexpr auto http_idle_timeout = 120s;
constexpr auto write_timeout = 30s;
constexpr auto handshake_timeout = 10s;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_http_parse_error(const error_code& ec) {
  return ec.category() ==
         http::make_error_code(http::error::bad_target).category();
}

// What the hub needs from an open WebSocket, whatever its stream type.
class ws_link {
public:
  virtual ~ws_link() = default;
  virtual void send(const payload& p) = 0;
  virtual void close(websocket::close_code code) = 0;
  virtual void reset() = 0;
  // Writes bytes that are no valid TLS record or WebSocket frame under the
  // stream, then lets the client find out.
  virtual void corrupt() = 0;
  // Writes a benchmark flood's frames when nothing else waits to be sent.
  virtual void flood(std::shared_ptr<flood_stream> frames) = 0;
};

class server final : public socket_hub {
public:
  server(net::io_context& ioc, const server_options& opts);

  void start() { do_accept(); }
  const std::string& api_url() const { return api_url_; }
  unsigned short port() const { return port_; }
  simulator& sim() { return *sim_; }

  void attach(std::uint64_t id, std::shared_ptr<ws_link> link) {
    open_[id] = std::move(link);
  }
  void detach(std::uint64_t id) { open_.erase(id); }
  bool lenient_urls() const { return lenient_urls_; }

  std::vector<std::uint64_t> open_sockets() const override {
    std::vector<std::uint64_t> ids;
    for (auto& entry : open_)
      ids.push_back(entry.first);
    return ids;
  }

  bool flood(std::uint64_t conn, std::shared_ptr<flood_stream> s) override {
    auto i = open_.find(conn);
    if (i == open_.end())
      return false;
    i->second->flood(std::move(s));
    return true;
  }

  bool send(std::uint64_t conn, const payload& p) override {
    auto i = open_.find(conn);
    if (i == open_.end())
      return false;
    i->second->send(p);
    return true;
  }

  std::size_t broadcast(const payload& p) override {
    for (auto& [id, link] : open_)
      link->send(p);
    return open_.size();
  }

  std::vector<std::uint64_t>
  drop(drop_mode mode, const std::vector<std::uint64_t>* only) override {
    std::map<std::uint64_t, std::shared_ptr<ws_link>> victims;
    if (only) {
      for (auto id : *only)
        if (auto i = open_.find(id); i != open_.end()) {
          victims.insert(*i);
          open_.erase(i);
        }
    } else {
      victims = std::move(open_);
      open_.clear();
    }
    std::vector<std::uint64_t> ids;
    for (auto& [id, link] : victims) {
      if (mode == drop_mode::reset)
        link->reset();
      else if (mode == drop_mode::corrupt)
        link->corrupt();
      else
        link->close(websocket::close_code::going_away);
      ids.push_back(id);
    }
    return ids;
  }

private:
  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);

  net::io_context& ioc_;
  std::optional<ssl::context> tls_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  unsigned short port_ = 0;
  std::string api_url_;
  std::unique_ptr<simulator> sim_;
  // Ordered, so that every socket sees broadcasts in the same order.
  std::map<std::uint64_t, std::shared_ptr<ws_link>> open_;
  bool lenient_urls_ = false;
};

template <class Stream>
class ws_session final
    : public ws_link,
      public std::enable_shared_from_this<ws_session<Stream>> {
public:
  ws_session(Stream&& stream, server& srv)
      : ws_(std::move(stream)), srv_(srv), flood_timer_(ws_.get_executor()) {}

  void run(request req, std::string ticket) {
    req_ = std::move(req);
    ticket_ = std::move(ticket);
    websocket::stream_base::timeout t;
    t.handshake_timeout = handshake_timeout;
    // Clients ping on their own schedule; tests mute pongs on purpose.
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.set_option(
        websocket::stream_base::decorator([](websocket::response_type& res) {
          res.set(http::field::server, "slackrtm-sim");
        }));
    ws_.read_message_max(max_client_frame);
    // One message, one frame: what clients of the real service see.
    ws_.auto_fragment(false);
    ws_.async_accept(req_, beast::bind_front_handler(&ws_session::on_accept,
                                                     this->shared_from_this()));
  }

  void send(const payload& p) override {
    if (closing_ || finished_)
      return;
    queue_.push_back({p, false});
    if (!writing_)
      write_next();
  }

  void flood(std::shared_ptr<flood_stream> frames) override {
    if (closing_ || finished_)
      return;
    flood_ = std::move(frames);
    if (!writing_)
      write_next();
  }

  void close(websocket::close_code code) override {
    if (closing_ || finished_)
      return;
    closing_ = true;
    flood_.reset();
    close_code_ = code;
    queue_.push_back({{}, true});
    if (!writing_)
      write_next();
  }

  void corrupt() override {
    if (finished_)
      return;
    static const char junk[] = "\x17\x03\x03\x00\x10not-a-record-at-all";
    auto& socket = beast::get_lowest_layer(ws_).socket();
    error_code ignored;
    net::write(socket, net::buffer(junk, sizeof(junk) - 1), ignored);
  }

  void reset() override {
    if (finished_)
      return;
    closing_ = true;
    // The message being written must outlive its async_write.
    if (writing_)
      queue_.erase(queue_.begin() + 1, queue_.end());
    else
      queue_.clear();
    auto& socket = beast::get_lowest_layer(ws_).socket();
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

private:
  struct outgoing {
    payload p;
    bool close = false;
  };

  void on_accept(error_code ec) {
    if (ec) {
      log_line("websocket handshake failed: " + ec.message());
      return;
    }
    req_ = {};
    auto opening = srv_.sim().ws_open(ticket_);
    id_ = opening.id;
    accepted_ = opening.accepted;
    if (accepted_)
      srv_.attach(id_, this->shared_from_this());
    send(opening.first);
    if (accepted_)
      srv_.sim().ws_ready(id_);
    if (!accepted_)
      close(websocket::close_code::normal);
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_,
                   beast::bind_front_handler(&ws_session::on_read,
                                             this->shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec)
      return finish(ec);
    if (accepted_ && !closing_) {
      auto data = buffer_.data();
      srv_.sim().ws_frame(
          id_,
          std::string_view(static_cast<const char*>(data.data()), data.size()),
          !ws_.got_text());
    }
    buffer_.clear();
    do_read();
  }

  void finish(error_code ec) {
    if (finished_)
      return;
    finished_ = true;
    closing_ = true;
    srv_.detach(id_);
    // A close frame from the client ends the read with `closed`.
    std::optional<int> close_code;
    if (ec == websocket::error::closed)
      close_code = static_cast<int>(ws_.reason().code);
    srv_.sim().ws_closed(id_, close_code);
    log_line("socket " + std::to_string(id_) + " closed: " + ec.message());
  }

  void write_next() {
    if (queue_.empty() && flood_ && !closing_)
      return write_flood();
    if (queue_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto self = this->shared_from_this();
    if (queue_.front().close) {
      ws_.async_close(close_code_, [self](error_code) {
        self->writing_ = false;
        self->queue_.clear();
      });
      return;
    }
    const auto& p = queue_.front().p;
    ws_.binary(p.binary);
    ws_.async_write(net::buffer(*p.data), [self](error_code ec, std::size_t) {
      if (ec) {
        // The read side sees the same failure and records the close.
        self->writing_ = false;
        self->queue_.clear();
        return;
      }
      self->queue_.pop_front();
      self->write_next();
    });
  }

  // A flood's frames are complete WebSocket frames: they go straight to the
  // stream under the WebSocket layer, between (never within) other frames.
  void write_flood() {
    std::int64_t wake = 0;
    auto bytes = flood_->take(steady_ns(), wake);
    if (bytes.empty()) {
      writing_ = false;
      if (flood_->done()) {
        flood_.reset();
        return;
      }
      flood_timer_.expires_at(steady::time_point(std::chrono::nanoseconds(
          std::max<std::int64_t>(wake, steady_ns() + 50000))));
      flood_timer_.async_wait([self = this->shared_from_this()](error_code ec) {
        if (!ec && !self->writing_ && !self->finished_)
          self->write_next();
      });
      return;
    }
    writing_ = true;
    net::async_write(
        ws_.next_layer(), net::buffer(bytes.data(), bytes.size()),
        [self = this->shared_from_this()](error_code ec, std::size_t) {
          if (ec) {
            self->writing_ = false;
            self->queue_.clear();
            self->flood_.reset();
            return;
          }
          self->flood_->written();
          self->write_next();
        });
  }

  websocket::stream<Stream> ws_;
  server& srv_;
  net::steady_timer flood_timer_;
  std::shared_ptr<flood_stream> flood_;
  request req_;
  std::string ticket_;
  std::uint64_t id_ = 0;
  bool accepted_ = false;
  beast::flat_buffer buffer_;
  std::deque<outgoing> queue_;
  websocket::close_code close_code_ = websocket::close_code::normal;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
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
    if (starts_with(path, "/rtm/")) {
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
    std::make_shared<ws_session<Stream>>(std::move(stream_), srv_)
        ->run(parser_->release(), parts.path.substr(5));
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
    : ioc_(ioc), acceptor_(ioc), accept_retry_(ioc) {
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
  cfg.workspaces.push_back({"T0SIM0001", "Simulated", "sim", opts.tokens});
  for (const auto& w : opts.workspaces)
    cfg.workspaces.push_back({w.id, w.name, domain_of(w.name), {w.token}});
  cfg.url_ttl = std::chrono::seconds(opts.url_ttl);
  cfg.ws_base = (tls_ ? "wss://" : "ws://") + authority;
  cfg.extra_users = opts.extra_users;
  cfg.extra_channels = opts.extra_channels;
  sim_ = std::make_unique<simulator>(std::move(cfg), *this);
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

// One WebSocket session on Boost.Beast, over TCP or TLS, optionally through
// an HTTP proxy: resolve, connect, handshakes, the frame-aligned read loop
// and the write queue. Private to transport/beast_ws_transport.cpp, its only
// includer (Beast is compiled in that one translation unit).
#pragma once

#include "transport/ws_transport.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "transport/frame_aligned_stream.hpp"
#include "transport/http_client.hpp"
#include "transport/proxy_tunnel.hpp"
#include "transport/tls.hpp"
#include "util/logger.hpp"
#include "util/url.hpp"

namespace slackrtm::beast_ws {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// The io_context's own executor, not Asio's type-erased any_io_executor:
// Beast copies the executor of every operation (several per frame read),
// and a concrete one is copied without going through the type erasure.
using executor = net::io_context::executor_type;
using plain_stream = beast::basic_stream<tcp, executor>;
using tls_stream = beast::ssl_stream<plain_stream>;
using resolver = net::ip::basic_resolver<tcp, executor>;

// Largest frame accepted from the server.
constexpr std::size_t max_frame_size = 16 * 1024 * 1024;

template <class Stream>
class beast_session
    : public ws_session,
      public std::enable_shared_from_this<beast_session<Stream>> {
public:
  static constexpr bool secure = !std::is_same_v<Stream, plain_stream>;

  template <class... Ts>
  beast_session(net::io_context& ioc, url_parts url,
                std::optional<proxy_server> proxy,
                std::shared_ptr<ws_listener> listener, std::uint64_t id,
                std::chrono::milliseconds timeout, read_ahead_limits limits,
                Ts&&... stream_args)
      // One thread runs the io_context: its executor is already a strand.
      : resolver_(ioc.get_executor()),
        ws_(ioc.get_executor(), std::forward<Ts>(stream_args)...),
        url_(std::move(url)), proxy_(std::move(proxy)),
        listener_(std::move(listener)), id_(id), timeout_(timeout),
        window_(limits) {
    // nop
  }

  void start() {
    net::dispatch(ws_.get_executor(), [self = this->shared_from_this()] {
      // Through a proxy, the socket goes to the proxy; the tunnel then
      // carries TLS and the handshake exactly as a direct socket would.
      auto& host = self->proxy_ ? self->proxy_->host : self->url_.host;
      auto& port = self->proxy_ ? self->proxy_->port : self->url_.port;
      self->resolver_.async_resolve(
          host, port,
          [self](beast::error_code ec, resolver::results_type results) {
            self->on_resolve(ec, results);
          });
    });
  }

  void send(std::string text) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(),
                                   text = std::move(text)]() mutable {
      if (self->finished_)
        return;
      self->outbox_.push_back(std::move(text));
      if (self->open_ && !self->writing_)
        self->write_next();
    });
  }

  void pause_reading(bool paused) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), paused] {
      self->paused_ = paused;
      self->read_if_allowed();
    });
  }

  void take_frames(std::vector<std::string>& out) override {
    std::lock_guard<std::mutex> guard{inbox_mtx_};
    move_frames(inbox_, out);
    announced_ = false;
  }

  void frame_done(std::uint32_t n, std::size_t bytes) override {
    if (window_.done(n, bytes))
      net::post(ws_.get_executor(), [self = this->shared_from_this()] {
        self->starved_ = false;
        self->read_if_allowed();
      });
  }

  void ping(std::string payload) override {
    if (payload.size() > 125)
      payload.resize(125);
    net::post(ws_.get_executor(), [self = this->shared_from_this(),
                                   payload = std::move(payload)]() mutable {
      if (self->finished_ || self->closing_)
        return;
      self->pings_.push_back(std::move(payload));
      if (self->open_ && !self->writing_)
        self->write_next();
    });
  }

  std::uint64_t control_frames() const noexcept override {
    return control_frames_.load(std::memory_order_relaxed);
  }

  void close() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      if (self->finished_ || self->closing_)
        return;
      self->closing_ = true;
      if (!self->open_) {
        self->finish("closed before the handshake completed");
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
        return;
      }
      // Bound the closing handshake: a dead peer, or one that answers the
      // close frame but keeps the TCP connection open (Slack's Socket Mode
      // may), must not keep us waiting.
      websocket::stream_base::timeout opt{};
      opt.handshake_timeout = std::chrono::seconds{1};
      opt.idle_timeout = websocket::stream_base::none();
      self->ws_.set_option(opt);
      self->ws_.async_close(
          websocket::close_code::normal,
          [self](beast::error_code) { self->finish("closed by the client"); });
    });
  }

private:
  // What the socket connects to, for errors (a proxy without credentials).
  std::string peer() const {
    return proxy_ ? "proxy " + proxy_->display() : url_.host_header();
  }

  void on_resolve(beast::error_code ec, resolver::results_type results) {
    if (ec)
      return fail("cannot resolve " + (proxy_ ? peer() : url_.host), ec);
    beast::get_lowest_layer(ws_).expires_after(timeout_);
    beast::get_lowest_layer(ws_).async_connect(
        results,
        [self = this->shared_from_this()](beast::error_code ec, tcp::endpoint) {
          self->on_connect(ec);
        });
  }

  void on_connect(beast::error_code ec) {
    if (ec)
      return fail("cannot connect to " + peer(), ec);
    if (!proxy_)
      return on_tunnel();
    beast::get_lowest_layer(ws_).expires_after(timeout_);
    async_proxy_connect(
        beast::get_lowest_layer(ws_), *proxy_, url_.host, url_.port,
        [self = this->shared_from_this()](beast::error_code ec,
                                          std::string refusal) {
          if (ec)
            return self->fail("CONNECT to " + self->url_.host_header() +
                                  " through " + self->peer() + " failed",
                              ec);
          if (!refusal.empty())
            return self->fail(refusal + " (" + self->peer() + ", target " +
                                  self->url_.host_header() + ")",
                              {});
          self->on_tunnel();
        });
  }

  // The byte stream to the target is up (directly or through the proxy).
  void on_tunnel() {
    if constexpr (secure) {
      auto& tls = ws_.next_layer().next_layer();
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str()))
        return fail("cannot set TLS server name", {});
      tls.set_verify_callback(ssl::host_name_verification(url_.host));
      beast::get_lowest_layer(ws_).expires_after(timeout_);
      tls.async_handshake(
          ssl::stream_base::client,
          [self = this->shared_from_this()](beast::error_code ec) {
            if (ec)
              return self->fail("TLS handshake failed", ec);
            self->handshake();
          });
    } else {
      handshake();
    }
  }

  void handshake() {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout opt{};
    opt.handshake_timeout = timeout_;
    opt.idle_timeout = websocket::stream_base::none();
    opt.keep_alive_pings = false;
    ws_.set_option(opt);
    ws_.read_message_max(max_frame_size);
    // Beast answers pings itself; count them and pongs as signs of life.
    ws_.control_callback(
        [this](websocket::frame_type kind, beast::string_view) {
          if (kind != websocket::frame_type::close)
            control_frames_.fetch_add(1, std::memory_order_relaxed);
        });
    ws_.set_option(
        websocket::stream_base::decorator([](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, default_user_agent);
        }));
    ws_.async_handshake(
        url_.host_header(), url_.target,
        [self = this->shared_from_this()](beast::error_code ec) {
          if (ec)
            return self->fail("WebSocket handshake failed", ec);
          self->on_open();
        });
  }

  void on_open() {
    if (closing_) {
      finish("closed by the client");
      return;
    }
    open_ = true;
    listener_->opened(id_);
    read_next();
    if (!outbox_.empty() || !pings_.empty())
      write_next();
  }

  void read_next() {
    reading_ = true;
    // The read's operation state is recycled by the io thread instead of
    // allocated and freed for every frame.
    ws_.async_read(buffer_,
                   net::bind_allocator(net::recycling_allocator<void>(),
                                       [self = this->shared_from_this()](
                                           beast::error_code ec, std::size_t) {
                                         self->on_read(ec);
                                       }));
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec)
      return read_failed(ec);
    if (!deliver())
      return;
    // Messages already in memory are read synchronously, in one go: no
    // asynchronous operation and no reactor pass for each. Not while
    // closing: the close handshake reads too.
    while (may_read() && !closing_ &&
           ws_.next_layer().message_buffered(max_frame_size)) {
      ws_.read(buffer_, ec);
      if (ec) {
        flush();
        return read_failed(ec);
      }
      if (!deliver())
        return;
    }
    flush();
    read_if_allowed();
  }

  void read_failed(beast::error_code ec) {
    if (ec == websocket::error::closed) {
      auto& why = ws_.reason();
      auto text = "closed by the server (code " +
                  std::to_string(static_cast<unsigned>(why.code)) + ")";
      if (!why.reason.empty())
        text += ": " + std::string{why.reason.c_str()};
      return finish(text);
    }
    fail("read failed", ec);
  }

  // Hands the message in `buffer_` on (text frames wait in `batch_` for
  // `flush`). False when the listener is a whole window behind: reading
  // waits for its `frame_done`.
  bool deliver() {
    if (ws_.got_text()) {
      // Spare capacity: the event parser reads up to 64 bytes past the end.
      std::string text;
      text.reserve(buffer_.size() + 64);
      auto bytes = buffer_.data(); // contiguous: a flat_buffer
      text.append(static_cast<const char*>(bytes.data()), bytes.size());
      batch_.push_back(std::move(text));
    } else {
      flush();
      listener_->binary(id_, buffer_.size());
    }
    auto size = buffer_.size();
    buffer_.consume(size);
    if (!window_.delivered(size)) {
      flush();
      starved_ = true;
      return false;
    }
    return true;
  }

  // Moves the batch to the listener's queue, announcing it if that was empty.
  void flush() {
    if (batch_.empty())
      return;
    bool announce = false;
    {
      std::lock_guard<std::mutex> guard{inbox_mtx_};
      move_frames(batch_, inbox_);
      announce = !announced_;
      announced_ = true;
    }
    if (announce)
      listener_->ready(id_);
  }

  // Moves every frame of `from` to the end of `to` (by swapping buffers when
  // `to` is empty); `from` ends empty.
  static void move_frames(std::vector<std::string>& from,
                          std::vector<std::string>& to) {
    if (to.empty())
      to.swap(from);
    else
      std::move(from.begin(), from.end(), std::back_inserter(to));
    from.clear();
  }

  bool may_read() const {
    return open_ && !paused_ && !starved_ && !reading_ && !finished_;
  }

  // Reads the next frame unless paused, starved, already reading or done.
  void read_if_allowed() {
    if (may_read())
      read_next();
  }

  // Writes the next ping, else the next text frame: one write at a time.
  void write_next() {
    if (closing_ || finished_)
      return;
    writing_ = true;
    if (!pings_.empty()) {
      ping_payload_ = std::move(pings_.front());
      pings_.pop_front();
      ws_.async_ping(websocket::ping_data{ping_payload_.c_str()},
                     [self = this->shared_from_this()](beast::error_code ec) {
                       self->writing_ = false;
                       if (ec)
                         return self->fail("ping failed", ec);
                       if (!self->pings_.empty() || !self->outbox_.empty())
                         self->write_next();
                     });
      return;
    }
    if (outbox_.empty()) {
      writing_ = false;
      return;
    }
    ws_.text(true);
    ws_.async_write(
        net::buffer(outbox_.front()),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          self->writing_ = false;
          if (ec)
            return self->fail("write failed", ec);
          self->outbox_.pop_front();
          if (!self->outbox_.empty() || !self->pings_.empty())
            self->write_next();
        });
  }

  void fail(const std::string& what, beast::error_code ec) {
    if (closing_ && ec == net::error::operation_aborted)
      return finish("closed by the client");
    finish(ec ? what + ": " + ec.message() : what);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  // Reports the end of the session exactly once.
  void finish(const std::string& reason) {
    if (finished_)
      return;
    finished_ = true;
    open_ = false;
    outbox_.clear();
    pings_.clear();
    ws_.control_callback();
    listener_->closed(id_, reason);
  }

  resolver resolver_;
  // No permessage-deflate: slackrtm never offers it, and without it Beast
  // does not compile its zlib code (a large share of this file's build).
  websocket::stream<frame_aligned_stream<Stream>, false> ws_;
  url_parts url_;
  std::optional<proxy_server> proxy_;
  std::shared_ptr<ws_listener> listener_;
  std::uint64_t id_;
  std::chrono::milliseconds timeout_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  // Pings to write (before the next text frame), and the one being written.
  std::deque<std::string> pings_;
  std::string ping_payload_;
  // Pings and pongs received (read by the listener's thread).
  std::atomic<std::uint64_t> control_frames_{0};
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  // A read is pending; paused: the next one waits for pause_reading(false).
  bool reading_ = false;
  bool paused_ = false;
  // Frames sent to the listener and not yet processed; starved: reading
  // waits for the listener to catch up (see ws_session::frame_done).
  read_window window_;
  bool starved_ = false;
  // Text frames for the listener to take; announced: a report is on its
  // way (`ready`) and the listener has not taken the frames yet.
  std::mutex inbox_mtx_;
  std::vector<std::string> inbox_;
  bool announced_ = false;
  // Text frames read in this pass of the io thread, not yet in `inbox_`.
  std::vector<std::string> batch_;
};

} // namespace slackrtm::beast_ws

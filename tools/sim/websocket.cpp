// websocket.cpp — the generic WebSocket session (Beast): handshake, reads,
// write queue, flood writes, drops; the frames' meaning is the protocol's.
#include "websocket.hpp"
#include "flood.hpp"
#include "sim_state.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <deque>
#include <memory>

namespace sim {

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

constexpr std::size_t max_client_frame = 16 * 1024;

using error_code = beast::error_code;
// The upgrade request, as server.cpp hands it over.
using request = beast::http::request<beast::http::string_body>;

template <class Stream>
class ws_session final
    : public ws_link,
      public std::enable_shared_from_this<ws_session<Stream>> {
public:
  ws_session(Stream&& stream, socket_registry& hub, ws_protocol& protocol)
      : ws_(std::move(stream)), hub_(hub), protocol_(protocol),
        flood_timer_(ws_.get_executor()) {}

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
          res.set(beast::http::field::server, "slackrtm-sim");
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

  void drop(drop_mode mode) override {
    if (mode == drop_mode::reset)
      reset();
    else if (mode == drop_mode::corrupt)
      corrupt();
    else
      close(websocket::close_code::going_away);
  }

private:
  struct outgoing {
    payload p;
    bool close = false;
  };

  void close(websocket::close_code code) {
    if (closing_ || finished_)
      return;
    closing_ = true;
    flood_.reset();
    close_code_ = code;
    queue_.push_back({{}, true});
    if (!writing_)
      write_next();
  }

  // Writes bytes that are no valid TLS record or WebSocket frame under the
  // stream, then lets the client find out.
  void corrupt() {
    if (finished_)
      return;
    static const char junk[] = "\x17\x03\x03\x00\x10not-a-record-at-all";
    auto& socket = beast::get_lowest_layer(ws_).socket();
    error_code ignored;
    net::write(socket, net::buffer(junk, sizeof(junk) - 1), ignored);
  }

  void reset() {
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
    socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  void on_accept(error_code ec) {
    if (ec) {
      log_line("websocket handshake failed: " + ec.message());
      return;
    }
    req_ = {};
    auto opening = protocol_.ws_open(ticket_);
    id_ = opening.id;
    accepted_ = opening.accepted;
    if (accepted_)
      hub_.attach(id_, this->shared_from_this());
    send(opening.first);
    if (accepted_)
      protocol_.ws_ready(id_);
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
      protocol_.ws_frame(
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
    hub_.detach(id_);
    // A close frame from the client ends the read with `closed`.
    std::optional<int> close_code;
    if (ec == websocket::error::closed)
      close_code = static_cast<int>(ws_.reason().code);
    protocol_.ws_closed(id_, close_code);
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
  socket_registry& hub_;
  ws_protocol& protocol_;
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

} // namespace

template <class Stream, class Request>
void run_websocket(Stream stream, Request upgrade, std::string ticket,
                   socket_registry& hub, ws_protocol& protocol) {
  std::make_shared<ws_session<Stream>>(std::move(stream), hub, protocol)
      ->run(std::move(upgrade), std::move(ticket));
}

// The two streams server.cpp serves on.
template void run_websocket(beast::tcp_stream, request, std::string,
                            socket_registry&, ws_protocol&);
template void run_websocket(beast::ssl_stream<beast::tcp_stream>, request,
                            std::string, socket_registry&, ws_protocol&);

} // namespace sim

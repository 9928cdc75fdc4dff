// websocket.cpp — the generic WebSocket session (Beast): handshake, reads,
// write queue, flood writes, pings, drops and wire faults; the frames'
// meaning is the protocol's.
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

// Between the WebSocket and its stream: plays the wire fault Beast has no
// option for, as Beast answers every ping itself: it drops the one pong the
// session asks it to (as if written).
template <class Stream>
class wire_layer {
public:
  using next_layer_type = Stream;
  using executor_type = typename Stream::executor_type;

  explicit wire_layer(Stream&& s) : next_(std::move(s)) {}

  Stream& next_layer() { return next_; }
  const Stream& next_layer() const { return next_; }
  executor_type get_executor() { return next_.get_executor(); }

  // The next pong written is dropped.
  void swallow_pong() { swallow_ = true; }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& b, Handler&& h) {
    next_.async_read_some(b, std::forward<Handler>(h));
  }

  template <class Buffers, class Handler>
  void async_write_some(const Buffers& b, Handler&& h) {
    if (swallow_ && is_pong(b)) {
      swallow_ = false;
      net::post(get_executor(),
                beast::bind_front_handler(std::forward<Handler>(h),
                                          error_code{}, net::buffer_size(b)));
      return;
    }
    next_.async_write_some(b, std::forward<Handler>(h));
  }

private:
  // Beast writes a pong (server side: unmasked) as one buffer, whole.
  template <class Buffers>
  static bool is_pong(const Buffers& b) {
    unsigned char head[2] = {0, 0};
    auto size = net::buffer_size(b);
    if (size < 2 || net::buffer_copy(net::buffer(head), b) != 2)
      return false;
    return head[0] == 0x8a && head[1] < 126 && size == 2u + head[1];
  }

  Stream next_;
  bool swallow_ = false;
};

template <class Stream>
void teardown(beast::role_type role, wire_layer<Stream>& s, error_code& ec) {
  using beast::websocket::teardown;
  teardown(role, s.next_layer(), ec);
}

template <class Stream, class Handler>
void async_teardown(beast::role_type role, wire_layer<Stream>& s, Handler&& h) {
  using beast::websocket::async_teardown;
  async_teardown(role, s.next_layer(), std::forward<Handler>(h));
}

template <class Stream>
class ws_session final
    : public ws_link,
      public std::enable_shared_from_this<ws_session<Stream>> {
public:
  ws_session(Stream&& stream, socket_registry& hub, ws_protocol& protocol)
      : ws_(std::move(stream)), hub_(hub), protocol_(protocol),
        flood_timer_(ws_.get_executor()) {}

  void run(request req, std::string ticket) {
    ws_.control_callback(
        [this](websocket::frame_type kind, beast::string_view payload) {
          on_control(kind, std::string_view(payload.data(), payload.size()));
        });
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
    if (closing_ || finished_ || faults_.mute)
      return;
    push({p, kind::data});
  }

  void ping(const std::string& data) override {
    if (closing_ || finished_ || faults_.mute)
      return;
    push({text_payload(data), kind::ping});
  }

  void set_faults(const wire_faults& f) override { faults_ = f; }

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
  enum class kind { data, close, ping, pong };
  struct outgoing {
    payload p;
    kind what = kind::data;
  };

  void push(outgoing o) {
    queue_.push_back(std::move(o));
    if (!writing_)
      write_next();
  }

  // A client's control frame: pongs go out late, or not at all, as the
  // wire faults say; the protocol hears of every one.
  void on_control(websocket::frame_type type, std::string_view data) {
    if (type == websocket::frame_type::ping &&
        (faults_.mute || faults_.pong_delay_ms != 0)) {
      ws_.next_layer().swallow_pong();
      if (!faults_.mute && faults_.pong_delay_ms > 0)
        late_pong(std::string(data), faults_.pong_delay_ms);
    } else if (type == websocket::frame_type::ping && flood_) {
      // A flood's bytes pass under Beast's own write ordering, so a pong
      // Beast wrote itself could land inside a batch: it goes through the
      // queue instead, between two batches.
      ws_.next_layer().swallow_pong();
      push({text_payload(std::string(data)), kind::pong});
    }
    if (!accepted_)
      return;
    auto what = type == websocket::frame_type::ping   ? ws_control::ping
                : type == websocket::frame_type::pong ? ws_control::pong
                                                      : ws_control::close;
    protocol_.ws_control_frame(id_, what, data);
  }

  void late_pong(std::string data, long delay_ms) {
    auto timer = std::make_shared<net::steady_timer>(ws_.get_executor());
    timer->expires_after(std::chrono::milliseconds(delay_ms));
    timer->async_wait([self = this->shared_from_this(), timer,
                       data = std::move(data)](error_code ec) {
      if (!ec && !self->closing_ && !self->finished_ && !self->faults_.mute)
        self->push({text_payload(data), kind::pong});
    });
  }

  void close(websocket::close_code code) {
    if (closing_ || finished_)
      return;
    closing_ = true;
    flood_.reset();
    close_code_ = code;
    push({{}, kind::close});
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
    if (opening.first.data)
      send(opening.first);
    if (accepted_)
      protocol_.ws_ready(id_);
    if (!accepted_)
      close(static_cast<websocket::close_code>(opening.close_code));
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
    const auto& front = queue_.front();
    if (front.what == kind::close) {
      ws_.async_close(close_code_, [self](error_code) {
        self->writing_ = false;
        self->queue_.clear();
      });
      return;
    }
    auto next = [self](error_code ec, std::size_t = 0) {
      if (ec) {
        // The read side sees the same failure and records the close.
        self->writing_ = false;
        self->queue_.clear();
        return;
      }
      self->queue_.pop_front();
      self->write_next();
    };
    const auto& text = *front.p.data;
    // A control frame's payload is at most 125 bytes.
    websocket::ping_data control(beast::string_view(
        text.data(),
        std::min(text.size(), websocket::ping_data::static_capacity)));
    if (front.what == kind::ping)
      return ws_.async_ping(control, next);
    if (front.what == kind::pong)
      return ws_.async_pong(control, next);
    ws_.binary(front.p.binary);
    ws_.async_write(net::buffer(text), next);
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

  // No permessage-deflate (never negotiated here): without it Beast does not
  // compile its zlib code (about 40% of this file's build time).
  websocket::stream<wire_layer<Stream>, false> ws_;
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
  wire_faults faults_;
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

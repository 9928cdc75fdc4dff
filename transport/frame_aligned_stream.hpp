// A read buffer between a Beast WebSocket stream and its socket (or TLS
// stream) that hands the WebSocket at most one frame at a time. One system
// call then reads many frames, and since the WebSocket never holds bytes of
// the next frame, the session can see when a whole message is already in
// memory and read it synchronously instead of through one asynchronous
// operation (and one pass of the io_context's reactor) per frame.
//
// That synchronous read must never block the io thread nor fail: Beast
// answers a bad frame read synchronously with a blocking close. So
// `message_buffered` admits only messages Beast accepts (the checks of its
// frame parser, and valid UTF-8 for text), synchronous writes are refused
// and the synchronous teardown closes the socket at once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>
#include <simdjson.h>

namespace slackrtm {

template <class NextLayer>
class frame_aligned_stream {
public:
  // -- member types -----------------------------------------------------------

  using next_layer_type = std::remove_reference_t<NextLayer>;

  using executor_type = boost::beast::executor_type<next_layer_type>;

  // -- constants --------------------------------------------------------------

  /// The buffer starts at `min_buffer` bytes and grows up to `max_buffer`
  /// while reads fill it: an idle connection keeps a small one.
  static constexpr std::size_t min_buffer = 2048;

  static constexpr std::size_t max_buffer = 65536;

  // -- constructors -----------------------------------------------------------

  template <class... Ts>
  explicit frame_aligned_stream(Ts&&... xs) : next_(std::forward<Ts>(xs)...) {
    // nop
  }

  // -- observers --------------------------------------------------------------

  /// The stream below.
  next_layer_type& next_layer() noexcept { return next_; }

  /// The stream below.
  const next_layer_type& next_layer() const noexcept { return next_; }

  /// The executor of the stream below.
  executor_type get_executor() noexcept { return next_.get_executor(); }

  /// Bytes read from the stream below and not yet handed out.
  std::size_t buffered() const noexcept { return end_ - begin_; }

  /// The size of the buffer now (0 before the first read).
  std::size_t capacity() const noexcept { return capacity_; }

  /// Whether the next bytes are a whole unfragmented text or binary message
  /// of at most `max_size` bytes that the WebSocket stream accepts (unmasked,
  /// without extension bits, its length in the shortest encoding, text in
  /// valid UTF-8): it reads it from memory, without I/O and without writing
  /// anything. Anything else (control frames, fragments, frames in error)
  /// is left to the asynchronous read.
  bool message_buffered(std::uint64_t max_size) const noexcept {
    if (!handshake_done() || frame_left_ != 0)
      return false;
    auto bytes = reinterpret_cast<const unsigned char*>(buf_.get() + begin_);
    auto size = frame_size(bytes, buffered());
    if (size == 0 || size > buffered())
      return false;
    auto fin = (bytes[0] & 0x80) != 0;
    auto rsv = bytes[0] & 0x70;
    auto opcode = bytes[0] & 0x0f;
    auto masked = (bytes[1] & 0x80) != 0;
    auto header = header_size(bytes);
    auto len = size - header;
    auto len7 = bytes[1] & 0x7f;
    auto canonical =
        (len7 != 126 || len >= 126) && (len7 != 127 || len >= 65536);
    if (!fin || rsv != 0 || masked || (opcode != 1 && opcode != 2) ||
        !canonical || len > max_size)
      return false;
    return opcode == 2 || simdjson::validate_utf8(
                              reinterpret_cast<const char*>(bytes + header),
                              static_cast<std::size_t>(len));
  }

  // -- reading ----------------------------------------------------------------

  /// Hands out buffered bytes only, never blocking: `would_block` when none
  /// may be handed out (callers check `message_buffered` first).
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers,
                        boost::beast::error_code& ec) {
    ec = {};
    if (boost::asio::buffer_size(buffers) == 0)
      return 0;
    auto ready = servable();
    if (ready == 0) {
      ec = boost::asio::error::would_block;
      return 0;
    }
    return copy_out(buffers, ready);
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::beast::error_code ec;
    auto n = read_some(buffers, ec);
    if (ec)
      BOOST_THROW_EXCEPTION(boost::system::system_error{ec});
    return n;
  }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadHandler&& handler) {
    return boost::asio::async_compose<
        ReadHandler, void(boost::beast::error_code, std::size_t)>(
        read_op<MutableBufferSequence>{*this, buffers}, handler, *this);
  }

  // -- writing (asynchronous only) --------------------------------------------

  /// Refused (`operation_not_supported`): a synchronous write could block,
  /// or run into an asynchronous one on the same stream.
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence&,
                         boost::beast::error_code& ec) {
    ec = boost::asio::error::operation_not_supported;
    return 0;
  }

  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    boost::beast::error_code ec;
    write_some(buffers, ec);
    BOOST_THROW_EXCEPTION(boost::system::system_error{ec});
  }

  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers,
                        WriteHandler&& handler) {
    return next_.async_write_some(buffers, std::forward<WriteHandler>(handler));
  }

  // -- closing ----------------------------------------------------------------

  /// Closes the socket at once, without waiting for the peer's end of the
  /// stream (which the stream below's own teardown would block on).
  friend void teardown(boost::beast::role_type, frame_aligned_stream& s,
                       boost::beast::error_code& ec) {
    ec = {};
    boost::beast::get_lowest_layer(s.next_).close();
  }

  /// The stream below's own asynchronous teardown.
  template <class TeardownHandler>
  friend void async_teardown(boost::beast::role_type role,
                             frame_aligned_stream& s,
                             TeardownHandler&& handler) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, s.next_, std::forward<TeardownHandler>(handler));
  }

private:
  // -- the asynchronous read --------------------------------------------------

  template <class MutableBufferSequence>
  struct read_op {
    frame_aligned_stream& stream;
    MutableBufferSequence buffers;
    enum { starting, reading, posted } state = starting;
    std::size_t result = 0;

    template <class Self>
    void operator()(Self& self, boost::beast::error_code ec = {},
                    std::size_t n = 0) {
      if (state == posted)
        return self.complete({}, result);
      if (state == reading) {
        if (ec)
          return self.complete(ec, 0);
        stream.commit(n);
      }
      std::size_t ready = 0;
      if (boost::asio::buffer_size(buffers) > 0) {
        ready = stream.servable();
        if (ready == 0) {
          state = reading;
          stream.next_.async_read_some(stream.prepare(), std::move(self));
          return;
        }
      }
      result = ready == 0 ? 0 : stream.copy_out(buffers, ready);
      if (state == reading)
        return self.complete({}, result);
      // Never complete inside the initiating call.
      state = posted;
      boost::asio::post(stream.get_executor(), std::move(self));
    }
  };

  // -- frame boundaries -------------------------------------------------------

  bool handshake_done() const noexcept { return header_end_match_ == 4; }

  // How much of "\r\n\r\n" the bytes end with after `c`, given `match`
  // before it.
  static int header_end_step(int match, char c) noexcept {
    static constexpr char crlfcrlf[] = "\r\n\r\n";
    return c == crlfcrlf[match] ? match + 1 : (c == '\r' ? 1 : 0);
  }

  static std::size_t header_size(const unsigned char* bytes) noexcept {
    std::size_t size = 2;
    auto len = bytes[1] & 0x7f;
    if (len == 126)
      size += 2;
    else if (len == 127)
      size += 8;
    if (bytes[1] & 0x80)
      size += 4;
    return size;
  }

  // The size of the frame starting at `bytes` (header and payload), or 0
  // while its header is incomplete. Saturates instead of overflowing: the
  // WebSocket stream refuses such a frame anyway.
  static std::uint64_t frame_size(const unsigned char* bytes,
                                  std::size_t n) noexcept {
    if (n < 2 || n < header_size(bytes))
      return 0;
    std::uint64_t len = bytes[1] & 0x7f;
    if (len == 126) {
      len = (std::uint64_t{bytes[2]} << 8) | bytes[3];
    } else if (len == 127) {
      len = 0;
      for (int i = 2; i < 10; ++i)
        len = (len << 8) | bytes[i];
    }
    auto header = header_size(bytes);
    return len > UINT64_MAX - header ? UINT64_MAX : len + header;
  }

  // Bytes that may be handed out now: up to the end of the current frame,
  // or before the first frame up to the end of the HTTP response's header
  // (a 101 response has no body). 0 when more must be read first.
  std::size_t servable() noexcept {
    if (buffered() == 0)
      return 0;
    if (!handshake_done()) {
      auto bytes = buf_.get() + begin_;
      std::size_t n = 0;
      for (auto match = header_end_match_; n < buffered() && match < 4; ++n)
        match = header_end_step(match, bytes[n]);
      return n;
    }
    if (frame_left_ == 0) {
      frame_left_ = frame_size(
          reinterpret_cast<const unsigned char*>(buf_.get() + begin_),
          buffered());
      if (frame_left_ == 0)
        return 0;
    }
    return static_cast<std::size_t>(
        std::min<std::uint64_t>(frame_left_, buffered()));
  }

  // Hands out up to `ready` bytes (what `servable` returned).
  template <class MutableBufferSequence>
  std::size_t copy_out(const MutableBufferSequence& buffers,
                       std::size_t ready) {
    auto n = boost::asio::buffer_copy(
        buffers, boost::asio::const_buffer{buf_.get() + begin_, ready});
    if (!handshake_done()) {
      for (std::size_t i = 0; i < n; ++i)
        header_end_match_ =
            header_end_step(header_end_match_, buf_[begin_ + i]);
    } else {
      frame_left_ -= n;
    }
    begin_ += n;
    if (begin_ == end_)
      begin_ = end_ = 0;
    return n;
  }

  // Room for the next read from the stream below. Reads only happen with
  // less than a frame header buffered (at most 14 bytes), so the room is
  // nearly the whole buffer. A read that filled it means more is waiting:
  // the buffer grows. One that used an eighth of it shrinks it back.
  boost::asio::mutable_buffer prepare() {
    if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, buffered());
      end_ -= begin_;
      begin_ = 0;
    }
    auto wanted = capacity_ == 0 ? min_buffer : capacity_;
    if (capacity_ > 0 && last_read_ == offered_)
      wanted = std::min(max_buffer, capacity_ * 4);
    else if (last_read_ < capacity_ / 8)
      wanted = min_buffer;
    wanted = std::max(wanted, end_ + min_buffer);
    if (wanted != capacity_) {
      // Not value-initialized: the bytes are written before they are read.
      std::unique_ptr<char[]> fresh{new char[wanted]};
      if (end_ > 0)
        std::memcpy(fresh.get(), buf_.get(), end_);
      buf_ = std::move(fresh);
      capacity_ = wanted;
    }
    offered_ = capacity_ - end_;
    return {buf_.get() + end_, offered_};
  }

  void commit(std::size_t n) noexcept {
    end_ += n;
    last_read_ = n;
  }

  NextLayer next_;
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  // The last read from the stream below: its size and the room it was
  // offered (it filled the buffer when both are equal).
  std::size_t last_read_ = 0;
  std::size_t offered_ = 0;
  // Before the first frame: how much of "\r\n\r\n" the bytes handed out so
  // far end with; 4 once the HTTP response's header is complete.
  int header_end_match_ = 0;
  // Bytes of the current frame not handed out yet.
  std::uint64_t frame_left_ = 0;
};

} // namespace slackrtm

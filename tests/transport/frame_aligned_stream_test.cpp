// The read buffer under the WebSocket stream: whatever way the bytes are
// split, messages come out whole and in order, whether read asynchronously
// or synchronously when `message_buffered` says they are in memory; the
// handshake's response never takes bytes of the first frame with it; and
// control frames, fragments and anything odd stay with the asynchronous read.
#define CAF_SUITE frame_aligned_stream

#include "transport/frame_aligned_stream.hpp"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>

#include <caf/test/unit_test.hpp>

using namespace slackrtm;

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

using test_stream = beast::test::stream;
using aligned = frame_aligned_stream<test_stream>;

constexpr std::uint8_t text_op = 0x1;
constexpr std::uint8_t binary_op = 0x2;
constexpr std::uint8_t continuation_op = 0x0;
constexpr std::uint8_t ping_op = 0x9;

// A server's frame: unmasked, with the shortest length encoding.
std::string frame(std::uint8_t opcode, const std::string& payload,
                  bool fin = true, bool masked = false) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  auto mask_bit = masked ? 0x80 : 0;
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  if (masked)
    out.append(4, '\0'); // a zero key leaves the payload as it is
  return out + payload;
}

std::string text_frame(const std::string& payload) {
  return frame(text_op, payload);
}

// A text payload of `n` bytes, distinct per `seed`.
std::string payload(std::size_t n, char seed) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>('a' + (seed + i) % 26));
  return out;
}

struct fixture {
  net::io_context ioc;
  test_stream remote{ioc};
  websocket::stream<aligned, false> ws{ioc}; // no deflate: compiles faster
  beast::flat_buffer buffer;

  fixture() { ws.next_layer().next_layer().connect(remote); }

  // The server's side of the handshake, written together with `frames`:
  // the response and the first frames arrive in the same read.
  void handshake(const std::string& frames = {}) {
    bool done = false;
    beast::error_code result;
    ws.async_handshake("localhost", "/", [&](beast::error_code ec) {
      done = true;
      result = ec;
    });
    ioc.poll();
    auto request = remote.str();
    auto at = request.find("Sec-WebSocket-Key: ");
    CAF_REQUIRE(at != std::string::npos);
    auto key = request.substr(at + 19, request.find("\r\n", at) - at - 19);
    websocket::detail::sec_ws_accept_type accept;
    websocket::detail::make_sec_ws_accept(accept, key);
    std::string response = "HTTP/1.1 101 Switching Protocols\r\n"
                           "Upgrade: websocket\r\nConnection: upgrade\r\n"
                           "Sec-WebSocket-Accept: " +
                           std::string{accept.data(), accept.size()} +
                           "\r\n\r\n";
    remote.clear();
    net::write(remote, net::buffer(response + frames));
    ioc.restart();
    ioc.run();
    CAF_REQUIRE(done);
    CAF_REQUIRE_EQUAL(result, beast::error_code{});
  }

  // Reads `n` messages the way the session does: one asynchronous read,
  // then synchronous reads while whole messages are buffered. Counts the
  // messages read synchronously.
  std::vector<std::string> read(std::size_t n, std::size_t* sync = nullptr) {
    std::vector<std::string> out;
    auto take = [&] {
      out.emplace_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    };
    while (out.size() < n) {
      beast::error_code result = net::error::would_block;
      ws.async_read(buffer,
                    [&](beast::error_code ec, std::size_t) { result = ec; });
      ioc.restart();
      ioc.run();
      if (result) {
        CAF_FAIL("read failed: " << result.message());
        return out;
      }
      take();
      while (out.size() < n && ws.next_layer().message_buffered(1 << 20)) {
        ws.read(buffer, result);
        CAF_REQUIRE_EQUAL(result, beast::error_code{});
        take();
        if (sync)
          ++*sync;
      }
    }
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(frame_aligned_stream_tests, fixture)

CAF_TEST(frames in the same read as the handshake response stay whole) {
  handshake(text_frame("one") + text_frame("two") + text_frame("three"));
  // Nothing of the first frame went with the response.
  CAF_CHECK_EQUAL(ws.next_layer().buffered(), 5u + 5u + 7u);
  CAF_CHECK(ws.next_layer().message_buffered(1 << 20));
  auto socket_reads = ws.next_layer().next_layer().nread();
  std::size_t sync = 0;
  auto got = read(3, &sync);
  CAF_CHECK_EQUAL(got, (std::vector<std::string>{"one", "two", "three"}));
  // All three came from memory: the first through an asynchronous read (as
  // the session's first read after the handshake), the others synchronously.
  CAF_CHECK_EQUAL(ws.next_layer().next_layer().nread(), socket_reads);
  CAF_CHECK_EQUAL(sync, 2u);
  CAF_CHECK_EQUAL(ws.next_layer().buffered(), 0u);
  CAF_CHECK(!ws.next_layer().message_buffered(1 << 20));
}

CAF_TEST(messages come out whole however the bytes are split) {
  // 7-, 16- and 64-bit lengths, a binary message, a fragmented one with a
  // ping between its fragments. Reads of one to three bytes split every
  // header and length field; the larger reads also take frames larger than
  // the largest buffer (reading those byte by byte would only take time).
  auto messages = [](std::initializer_list<std::size_t> sizes) {
    std::pair<std::vector<std::string>, std::string> result;
    auto& [expected, wire] = result;
    for (auto n : sizes) {
      expected.push_back(payload(n, static_cast<char>(n % 7)));
      wire += text_frame(expected.back());
    }
    expected.push_back("\x01\x02\x03");
    wire += frame(binary_op, expected.back());
    expected.push_back("first second third");
    wire += frame(text_op, "first ", false);
    wire += frame(ping_op, "are you there");
    wire += frame(continuation_op, "second ", false);
    wire += frame(continuation_op, "third");
    expected.push_back("after");
    wire += text_frame("after");
    return result;
  };
  auto small = messages({0u, 1u, 125u, 126u, 1500u, 65535u, 65536u});
  auto large = messages({0u, 1u, 125u, 126u, 1500u, 65535u, 65536u, 200000u});
  for (std::size_t chunk : {1u, 2u, 3u, 13u, 1000u, 70000u, 1000000u}) {
    CAF_MESSAGE("reads of at most " << chunk << " bytes");
    auto& [expected, wire] = chunk < 13 ? small : large;
    fixture f;
    f.handshake();
    f.ws.next_layer().next_layer().read_size(chunk);
    net::write(f.remote, net::buffer(wire));
    auto got = f.read(expected.size());
    CAF_REQUIRE_EQUAL(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      CAF_CHECK_EQUAL(got[i], expected[i]);
    // The ping was answered (a masked pong from the client).
    auto answer = f.remote.str();
    CAF_CHECK(answer.size() >= 2 &&
              static_cast<unsigned char>(answer[0]) == 0x8a);
  }
}

CAF_TEST(only whole unfragmented data messages count as buffered) {
  handshake();
  auto& layer = ws.next_layer();
  auto whole = text_frame("hello");
  // Part of a frame: the read waits for the rest.
  net::write(remote, net::buffer(whole.substr(0, 4)));
  beast::error_code result = net::error::would_block;
  ws.async_read(buffer,
                [&](beast::error_code ec, std::size_t) { result = ec; });
  ioc.restart();
  ioc.poll();
  CAF_CHECK_EQUAL(result, beast::error_code{net::error::would_block});
  CAF_CHECK(!layer.message_buffered(1 << 20));
  net::write(remote, net::buffer(whole.substr(4)));
  ioc.restart();
  ioc.run();
  CAF_CHECK_EQUAL(result, beast::error_code{});
  CAF_CHECK_EQUAL(beast::buffers_to_string(buffer.data()), "hello");
  // A fragment, a ping, a masked frame, extension bits, a frame too large,
  // a length not in its shortest encoding, text that is not UTF-8.
  using namespace std::string_literals;
  for (auto& bytes : {frame(text_op, "part", false), frame(ping_op, "x"),
                      frame(text_op, "masked", true, true), "\xc1\x01x"s,
                      text_frame(payload(2000, 'q')),
                      "\x81\x7e\x00\x03"
                      "abc"s,
                      text_frame("caf\xc3")}) {
    fixture f;
    f.handshake(bytes);
    CAF_CHECK(!f.ws.next_layer().message_buffered(1000));
  }
}

CAF_TEST(a synchronous read or write never waits for the socket) {
  handshake();
  char byte = 0;
  beast::error_code ec;
  auto n = ws.next_layer().read_some(net::buffer(&byte, 1), ec);
  CAF_CHECK_EQUAL(n, 0u);
  CAF_CHECK_EQUAL(ec, beast::error_code{net::error::would_block});
  n = ws.next_layer().write_some(net::buffer(&byte, 1), ec);
  CAF_CHECK_EQUAL(n, 0u);
  CAF_CHECK_EQUAL(ec, beast::error_code{net::error::operation_not_supported});
  CAF_CHECK_EQUAL(remote.str(), "");
}

CAF_TEST(text that is not UTF - 8 fails the asynchronous read) {
  handshake(text_frame("fine") + text_frame("caf\xc3"));
  CAF_CHECK_EQUAL(read(1), (std::vector<std::string>{"fine"}));
  CAF_CHECK(!ws.next_layer().message_buffered(1 << 20));
  beast::error_code result;
  ws.async_read(buffer,
                [&](beast::error_code ec, std::size_t) { result = ec; });
  ioc.restart();
  ioc.run();
  CAF_CHECK_EQUAL(result,
                  beast::error_code{websocket::error::bad_frame_payload});
}

CAF_TEST(the buffer grows under a flood and shrinks when idle) {
  handshake();
  auto& layer = ws.next_layer();
  CAF_CHECK_LESS_OR_EQUAL(layer.capacity(), aligned::min_buffer);
  std::string wire;
  for (int i = 0; i < 400; ++i)
    wire += text_frame(payload(700, static_cast<char>(i)));
  net::write(remote, net::buffer(wire));
  std::size_t sync = 0;
  CAF_CHECK_EQUAL(read(400, &sync).size(), 400u);
  CAF_CHECK_EQUAL(layer.capacity(), aligned::max_buffer);
  // Most messages were read from memory, without an operation each.
  CAF_CHECK_GREATER(sync, 300u);
  // Two small messages later, the buffer is small again.
  net::write(remote, net::buffer(text_frame("a")));
  read(1);
  net::write(remote, net::buffer(text_frame("b")));
  read(1);
  CAF_CHECK_EQUAL(layer.capacity(), aligned::min_buffer);
}

CAF_TEST_FIXTURE_SCOPE_END()

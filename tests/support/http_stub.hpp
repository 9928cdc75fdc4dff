// A scripted HTTP/1.1 server on loopback for the Web API client's tests:
// plain sockets, one thread per connection, keep-alive. The script sees
// every request (its number, counted over all connections) and says what
// happens: an answer, an answer and then a close, or a close without any
// answer.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace slackrtm::test {

class http_stub {
public:
  /// One request as received.
  struct request {
    std::string head;
    std::string body;
    /// 1 for the first request the server received, 2 for the next, ...
    std::size_t number = 0;
    /// Requests received before on the same connection.
    std::size_t on_connection = 0;
  };

  /// What the server does with a request.
  struct reply {
    std::string body = R"({"ok":true})";
    int status = 200;
    /// Close the connection after the answer, without saying so (as a
    /// server whose idle timeout passed): the client keeps it in its pool.
    bool close_after = false;
    /// Close the connection without any answer.
    bool drop = false;
  };

  using script = std::function<reply(const request&)>;

  explicit http_stub(script f) : script_(std::move(f)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
            0 ||
        ::listen(listener_, 16) != 0)
      std::abort();
    socklen_t len = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread{[this] { accept_loop(); }};
  }

  ~http_stub() {
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> guard{mtx_};
      for (auto fd : open_)
        ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : connections_)
      t.join();
    ::close(listener_);
  }

  /// The Web API base URL to give the client.
  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/api/";
  }

  /// Requests received so far.
  std::size_t requests() const { return requests_; }

  /// Connections the server has closed so far.
  std::size_t closed() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return closed_;
  }

  /// Waits up to `limit` until the server has closed `n` connections.
  bool wait_closed(std::size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, limit, [&] { return closed_ >= n; });
  }

private:
  void accept_loop() {
    for (;;) {
      auto fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0)
        return;
      std::lock_guard<std::mutex> guard{mtx_};
      open_.push_back(fd);
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string in;
    std::size_t count = 0;
    for (;;) {
      request req;
      if (!read_request(fd, in, req))
        break;
      req.number = ++requests_;
      req.on_connection = count++;
      auto out = script_(req);
      if (out.drop)
        break;
      auto text = "HTTP/1.1 " + std::to_string(out.status) +
                  " X\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(out.body.size()) + "\r\n\r\n" + out.body;
      if (!write_all(fd, text) || out.close_after)
        break;
    }
    ::shutdown(fd, SHUT_RDWR);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      open_.erase(std::find(open_.begin(), open_.end(), fd));
      ::close(fd);
      ++closed_;
    }
    cv_.notify_all();
  }

  // Reads one request (head and Content-Length body) from `fd`; `in` keeps
  // bytes read past it.
  static bool read_request(int fd, std::string& in, request& req) {
    std::size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(fd, in))
        return false;
    req.head = in.substr(0, head_end);
    std::size_t length = 0;
    auto at = req.head.find("Content-Length: ");
    if (at == std::string::npos)
      at = req.head.find("content-length: ");
    if (at != std::string::npos)
      length = std::stoul(req.head.substr(at + 16));
    while (in.size() < head_end + 4 + length)
      if (!read_more(fd, in))
        return false;
    req.body = in.substr(head_end + 4, length);
    in.erase(0, head_end + 4 + length);
    return true;
  }

  static bool read_more(int fd, std::string& in) {
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return false;
    in.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  static bool write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      auto n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  script script_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<int> open_;
  std::vector<std::thread> connections_;
  std::size_t closed_ = 0;
  std::atomic<std::size_t> requests_{0};
};

} // namespace slackrtm::test

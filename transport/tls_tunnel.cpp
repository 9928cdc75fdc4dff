// The TLS tunnel: an acceptor and the forwarded connections, on one
// io_context thread. Every step of a connection runs on that thread, so a
// connection needs no strand.
#include "transport/tls_tunnel.hpp"

#include <array>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "util/logger.hpp"

namespace slackrtm {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// A peer that neither completes the TLS handshake nor goes away is cut off.
constexpr auto handshake_limit = std::chrono::seconds{10};

ssl::context make_context(const tunnel_credentials& credentials, bool server) {
  ssl::context ctx{server ? ssl::context::tls_server
                          : ssl::context::tls_client};
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                  ssl::context::no_tlsv1_1);
  error_code ec;
  auto check = [&](const char* what, const std::string& file) {
    if (ec)
      throw std::runtime_error(std::string{"cannot load "} + what + " " + file +
                               ": " + ec.message());
  };
  if (credentials.cert.empty() || credentials.key.empty() ||
      credentials.ca.empty())
    throw std::invalid_argument("TLS between hub and nodes needs a "
                                "certificate, its key and a CA file");
  ctx.use_certificate_chain_file(credentials.cert, ec);
  check("certificate", credentials.cert);
  ctx.use_private_key_file(credentials.key, ssl::context::pem, ec);
  check("key", credentials.key);
  ctx.load_verify_file(credentials.ca, ec);
  check("CA file", credentials.ca);
  // Both sides show a certificate signed by the CA; a node also checks that
  // the hub's is for the name or address it dialled (see `reach`).
  ctx.set_verify_mode(ssl::verify_peer |
                      (server ? ssl::verify_fail_if_no_peer_cert : 0));
  return ctx;
}

// One forwarded connection: its clear side and its TLS side.
class pipe : public std::enable_shared_from_this<pipe> {
public:
  pipe(tcp::socket clear, ssl::stream<tcp::socket> secure,
       std::shared_ptr<const logger> log)
      : clear_(std::move(clear)), secure_(std::move(secure)),
        timer_(clear_.get_executor()), log_(std::move(log)) {
    // nop
  }

  // Hub side: TLS handshake with the node, then the middleman's port.
  void serve(std::uint16_t target) {
    arm_timer();
    secure_.async_handshake(
        ssl::stream_base::server,
        [self = shared_from_this(), target](const error_code& ec) {
          if (ec) {
            self->log_->warning("refused a handler node connection: TLS ",
                                ec.message());
            return self->stop();
          }
          self->clear_.async_connect(
              tcp::endpoint{net::ip::address_v4::loopback(), target},
              [self](const error_code& ec) {
                if (ec)
                  return self->stop();
                self->start_pumping();
              });
        });
  }

  // Node side: the hub's address, then the TLS handshake.
  void reach(tcp::resolver& resolver, const std::string& host,
             const std::string& port) {
    arm_timer();
    // The hub's certificate must name `host` (a DNS name or an IP address
    // in its subjectAltName), not just come from the CA.
    secure_.set_verify_callback(ssl::host_name_verification(host));
    error_code parse_error;
    net::ip::make_address(host, parse_error);
    if (parse_error) // a name: tell it (SNI)
      SSL_set_tlsext_host_name(secure_.native_handle(), host.c_str());
    resolver.async_resolve(
        host, port,
        [self = shared_from_this(),
         host](const error_code& ec, tcp::resolver::results_type endpoints) {
          if (ec) {
            self->log_->warning("cannot resolve the hub ", host, ": ",
                                ec.message());
            return self->stop();
          }
          net::async_connect(
              self->secure_.next_layer(), endpoints,
              [self](const error_code& ec, const tcp::endpoint&) {
                if (ec)
                  return self->stop();
                self->secure_.async_handshake(
                    ssl::stream_base::client, [self](const error_code& ec) {
                      if (ec) {
                        self->log_->warning("TLS to the hub failed: ",
                                            ec.message());
                        return self->stop();
                      }
                      self->start_pumping();
                    });
              });
        });
  }

private:
  void arm_timer() {
    timer_.expires_after(handshake_limit);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec && !self->pumping_)
        self->stop();
    });
  }

  void start_pumping() {
    pumping_ = true;
    timer_.cancel();
    pump(clear_, secure_, up_);
    pump(secure_, clear_, down_);
  }

  // Copies what `from` reads to `to`, one read and one write at a time,
  // until either fails. `from`, `to` and `buffer` are members: `self`
  // keeps them alive.
  template <class From, class To>
  void pump(From& from, To& to, std::array<char, 16384>& buffer) {
    from.async_read_some(
        net::buffer(buffer), [self = shared_from_this(), &from, &to,
                              &buffer](const error_code& ec, std::size_t n) {
          if (ec)
            return self->stop();
          net::async_write(
              to, net::buffer(buffer, n),
              [self, &from, &to, &buffer](const error_code& ec, std::size_t) {
                if (ec)
                  return self->stop();
                self->pump(from, to, buffer);
              });
        });
  }

  // Either side ended: both end, so that both middlemen notice.
  void stop() {
    if (stopped_)
      return;
    stopped_ = true;
    error_code ignored;
    timer_.cancel();
    clear_.shutdown(tcp::socket::shutdown_both, ignored);
    clear_.close(ignored);
    secure_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    secure_.next_layer().close(ignored);
  }

  tcp::socket clear_;
  ssl::stream<tcp::socket> secure_;
  net::steady_timer timer_;
  std::shared_ptr<const logger> log_;
  std::array<char, 16384> up_;
  std::array<char, 16384> down_;
  bool pumping_ = false;
  bool stopped_ = false;
};

class asio_tunnel final : public tls_tunnel {
public:
  asio_tunnel(const tunnel_credentials& credentials, bool server,
              std::shared_ptr<const logger> log)
      : ctx_(make_context(credentials, server)), acceptor_(ioc_),
        resolver_(ioc_), log_(std::move(log)) {
    // nop
  }

  ~asio_tunnel() override {
    ioc_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  std::uint16_t port() const noexcept override { return port_; }

  void listen(const std::string& host, std::uint16_t port) {
    error_code ec;
    auto address = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
    if (ec)
      throw std::runtime_error("cannot listen on '" + host +
                               "': not an IP address");
    tcp::endpoint where{address, port};
    acceptor_.open(where.protocol(), ec);
    if (!ec)
      acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
      acceptor_.bind(where, ec);
    if (!ec)
      acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + host + ":" +
                               std::to_string(port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
  }

  // Hub side: every connection goes to the middleman at `target`.
  void serve(std::uint16_t target) {
    accept([this, target](tcp::socket socket) {
      auto conn = std::make_shared<pipe>(
          tcp::socket{ioc_}, ssl::stream<tcp::socket>{std::move(socket), ctx_},
          log_);
      conn->serve(target);
    });
  }

  // Node side: every connection goes through TLS to the hub.
  void reach(const std::string& host, std::uint16_t port) {
    accept([this, host, port](tcp::socket socket) {
      auto conn = std::make_shared<pipe>(
          std::move(socket), ssl::stream<tcp::socket>{ioc_, ctx_}, log_);
      conn->reach(resolver_, host, std::to_string(port));
    });
  }

  void run() {
    thread_ = std::thread{[this] {
      auto work = net::make_work_guard(ioc_);
      ioc_.run();
    }};
  }

private:
  template <class OnSocket>
  void accept(OnSocket on_socket) {
    acceptor_.async_accept(
        [this, on_socket](const error_code& ec, tcp::socket socket) {
          if (ec == net::error::operation_aborted)
            return;
          if (!ec)
            on_socket(std::move(socket));
          accept(on_socket);
        });
  }

  // Declared before the io_context: the streams its handlers still hold
  // when it is destroyed refer to it.
  ssl::context ctx_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  tcp::resolver resolver_;
  std::shared_ptr<const logger> log_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

} // namespace

std::unique_ptr<tls_tunnel>
tls_tunnel::serve(const tunnel_credentials& credentials,
                  const std::string& host, std::uint16_t port,
                  std::uint16_t target, std::shared_ptr<const logger> log) {
  auto result = std::make_unique<asio_tunnel>(credentials, true, log);
  result->listen(host, port);
  result->serve(target);
  result->run();
  return result;
}

std::unique_ptr<tls_tunnel>
tls_tunnel::reach(const tunnel_credentials& credentials,
                  const std::string& host, std::uint16_t port,
                  std::shared_ptr<const logger> log) {
  auto result = std::make_unique<asio_tunnel>(credentials, false, log);
  result->listen("127.0.0.1", 0);
  result->reach(host, port);
  result->run();
  return result;
}

} // namespace slackrtm

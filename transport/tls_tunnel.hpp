// TLS between a hub and its handler nodes: CAF's node-to-node traffic goes,
// unchanged, through a TLS connection with certificates checked on both
// sides. Used instead of caf::openssl, whose 0.17.6 build can lose a
// connection without telling the middleman (see docs/hub.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace slackrtm {

class logger;

/// Certificates of one side: its own (PEM chain and key) and the CA that
/// must have signed the other side's.
struct tunnel_credentials {
  std::string cert;
  std::string key;
  std::string ca;
};

/// Forwards TCP connections through TLS, on a thread of its own. Each
/// accepted connection gets one on the far side; when either ends, both
/// are closed, so that the middleman on each side sees the loss at once.
class tls_tunnel {
public:
  /// Hub side: accepts TLS on `host:port` (port 0: any free one), demands a
  /// client certificate signed by the CA, and forwards each connection in
  /// clear to `127.0.0.1:target`. Throws `std::runtime_error` when the
  /// credentials cannot be loaded or the port cannot be bound.
  static std::unique_ptr<tls_tunnel>
  serve(const tunnel_credentials& credentials, const std::string& host,
        std::uint16_t port, std::uint16_t target,
        std::shared_ptr<const logger> log);

  /// Node side: accepts connections on `127.0.0.1` (a free port: see
  /// `port()`) and forwards each through TLS to `host:port`, whose
  /// certificate must be signed by the CA.
  static std::unique_ptr<tls_tunnel>
  reach(const tunnel_credentials& credentials, const std::string& host,
        std::uint16_t port, std::shared_ptr<const logger> log);

  virtual ~tls_tunnel() = default;

  /// The port this side accepts connections on.
  virtual std::uint16_t port() const noexcept = 0;
};

} // namespace slackrtm

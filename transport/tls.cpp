// TLS client context shared by the Web API client and the WebSocket.
#include "transport/tls.hpp"

#include "slackrtm/error.hpp"

namespace slackrtm {

boost::asio::ssl::context make_tls_context(const tls_options& tls) {
  namespace ssl = boost::asio::ssl;
  ssl::context ctx{ssl::context::tls_client};
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                  ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx.set_default_verify_paths(ec);
  if (!tls.ca_file.empty()) {
    ctx.load_verify_file(tls.ca_file, ec);
    if (ec)
      throw transport_error("cannot load CA file " + tls.ca_file + ": " +
                            ec.message());
  }
  if (!tls.ca_dir.empty()) {
    ctx.add_verify_path(tls.ca_dir, ec);
    if (ec)
      throw transport_error("cannot use CA directory " + tls.ca_dir + ": " +
                            ec.message());
  }
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

} // namespace slackrtm

// TLS client context shared by the Web API client and the WebSocket.
#include "transport/tls.hpp"

#include <map>
#include <mutex>
#include <string>
#include <utility>

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

std::shared_ptr<boost::asio::ssl::context>
shared_tls_context(const tls_options& tls) {
  static std::mutex mtx;
  static std::map<std::pair<std::string, std::string>,
                  std::weak_ptr<boost::asio::ssl::context>>
      contexts;
  std::lock_guard<std::mutex> guard{mtx};
  auto& slot = contexts[{tls.ca_file, tls.ca_dir}];
  if (auto result = slot.lock())
    return result;
  auto result =
      std::make_shared<boost::asio::ssl::context>(make_tls_context(tls));
  slot = result;
  return result;
}

} // namespace slackrtm

// The one place where TLS client settings are made: certificate checks
// against the system store (which honours SSL_CERT_FILE) plus extra CAs.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "slackrtm/options.hpp"

namespace slackrtm {

/// A client context that verifies the peer's certificate chain. Host names
/// are verified per stream (see `verify_host`).
boost::asio::ssl::context make_tls_context(const tls_options& tls);

/// The process's context for `tls`, made once and shared while in use:
/// loading the system trust store costs about a megabyte per context, which
/// a hub with a thousand workspaces must not pay a thousand times. OpenSSL
/// contexts may serve streams on many threads.
std::shared_ptr<boost::asio::ssl::context>
shared_tls_context(const tls_options& tls);

} // namespace slackrtm

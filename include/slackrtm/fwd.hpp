// Forward declarations of the public API, so headers stay light.
#pragma once

namespace slackrtm {

class client;
class hub;
class node;
class context;
class web_client;
class api_error;
class transport_error;
struct client_options;
struct hub_options;
struct node_options;
struct web_client_options;
struct tls_options;

namespace detail {

// Internal to the library: where a context's workspace lives, and the
// library's way into its own facades.
class context_origin;
struct access;

} // namespace detail

} // namespace slackrtm

// The library's way into its own facades: what the hub, the node and the
// gateway need of a client or a Web API client that bot authors never do.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/interfaces.hpp"
#include "slackrtm/client.hpp"

namespace slackrtm {

class engine;

namespace detail {

/// Where a hub's workspace plugs into the hub's runtime. The hub keeps the
/// engine alive as long as any of its clients.
struct attachment {
  engine* runtime = nullptr;
  /// The workspace's number in the dispatcher (never 0, never reused).
  std::uint32_t workspace = 0;
  /// The hub's name for it.
  std::string name;
  /// The hub's lifecycle actor (may be null).
  lifecycle_actor lifecycle;
  /// The routes the hub's responders answer (see `socket_mode_protocol`).
  std::set<std::string, std::less<>> responding;
};

struct access {
  /// Carries out a Web API call elsewhere instead of over HTTP: `encoding`
  /// is `"form"`, `"json"` or `"get"`. Returns the answer or throws as
  /// `web_client::api_call` does. A handler node relays through its hub this
  /// way, so that the token never leaves the hub.
  using relay = std::function<nlohmann::json(std::string_view encoding,
                                             std::string_view method,
                                             const nlohmann::json& params)>;

  /// A Web API client whose calls all go through `via` (retries, rate
  /// limits and the token are the relay's business).
  static std::unique_ptr<web_client> relayed(web_client_options options,
                                             relay via);

  /// Runs `task` on one of `web`'s internal threads (those of
  /// `async_api_call`), where it may block. Returns false, and drops `task`
  /// unrun, while `web` is being destroyed.
  static bool post(web_client& web, std::function<void()> task);

  /// `fn` as a handler whose answer goes into the acknowledgement of the
  /// envelope it handles, on the socket of the context's client (a lone
  /// client, or the hub's workspace the event came from).
  /// Throws `std::invalid_argument` for an empty `fn` (naming `route`).
  static handler responding(const std::string& route, responder fn);

  /// Makes `ws`, before its first connect, a workspace of a hub: its actors
  /// are the hub's, it has no handlers of its own.
  static void attach(client& ws, const attachment& where);
};

} // namespace detail

} // namespace slackrtm

// What a handler gets besides the event: the workspace it came from, with
// its Web API client and its socket.
#pragma once

#include <future>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "slackrtm/fwd.hpp"

namespace slackrtm {

/// Passed to every handler call. Valid for the duration of the call; the
/// objects it refers to live at least as long.
class context {
public:
  // -- member types -----------------------------------------------------------

  /// The workspace a context acts on: a `client` of this process, or, on a
  /// handler node, a workspace of the hub, reached through the hub.
  class origin {
  public:
    virtual ~origin() = default;

    /// The Web API client of the workspace.
    virtual slackrtm::web_client& web_client() = 0;

    /// Sends a frame over the workspace's socket (see `client::send`).
    virtual std::future<nlohmann::json> send(nlohmann::json frame) = 0;

    /// The client that delivered the event; null on a handler node.
    virtual slackrtm::client* local_client() noexcept = 0;

    /// The workspace's name (as the hub knows it; empty for a lone client).
    virtual std::string workspace() const = 0;

    /// The workspace's team id (`T...`); empty before the first connection.
    virtual std::string team_id() const = 0;
  };

  // -- constructors -----------------------------------------------------------

  explicit context(origin& from) noexcept : origin_(from) {
    // nop
  }

  // -- observers --------------------------------------------------------------

  /// The Web API client, authenticated with the workspace's token (on a
  /// handler node: calls go through the hub, which holds the token).
  slackrtm::web_client& web_client() const { return origin_.web_client(); }

  /// The RTM client that delivered the event (to close it, or for its
  /// state). Throws `std::logic_error` on a handler node, which has none:
  /// use `send` there.
  slackrtm::client& client() const {
    if (auto* result = origin_.local_client())
      return *result;
    throw std::logic_error("slackrtm: a handler node has no local client; "
                           "use context::send");
  }

  /// True when the handler runs on a handler node, away from the socket.
  bool remote() const noexcept { return origin_.local_client() == nullptr; }

  /// The workspace's name: the hub's name for it, empty for a lone client.
  std::string workspace() const { return origin_.workspace(); }

  /// The workspace's team id (`T...`).
  std::string team_id() const { return origin_.team_id(); }

  // -- sending ----------------------------------------------------------------

  /// Sends `frame` over the workspace's socket; the future holds Slack's
  /// reply (see `client::send`).
  std::future<nlohmann::json> send(nlohmann::json frame) const {
    return origin_.send(std::move(frame));
  }

  /// Sends a message over the workspace's socket, in a thread when
  /// `thread_ts` is given.
  std::future<nlohmann::json>
  send_message(const std::string& channel, const std::string& text,
               const std::string& thread_ts = {}) const {
    nlohmann::json frame{
        {"type", "message"}, {"channel", channel}, {"text", text}};
    if (!thread_ts.empty())
      frame["thread_ts"] = thread_ts;
    return send(std::move(frame));
  }

private:
  origin& origin_;
};

} // namespace slackrtm

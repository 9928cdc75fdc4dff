// What a handler gets besides the event: the workspace it came from, with
// its Web API client and its socket.
#pragma once

#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "slackrtm/fwd.hpp"

namespace slackrtm {

/// Passed to every handler call. Valid for the duration of the call; the
/// objects it refers to live at least as long.
class context {
public:
  // -- constructors -----------------------------------------------------------

  /// Built by the library for each handler call.
  explicit context(detail::context_origin& from) noexcept : origin_(from) {
    // nop
  }

  // -- observers --------------------------------------------------------------

  /// The Web API client, authenticated with the workspace's token (on a
  /// handler node: calls go through the hub, which holds the token).
  slackrtm::web_client& web_client() const;

  /// The RTM client that delivered the event (to close it, or for its
  /// state). Throws `std::logic_error` on a handler node, which has none:
  /// use `send` there.
  slackrtm::client& client() const;

  /// True when the handler runs on a handler node, away from the socket.
  bool remote() const noexcept;

  /// The workspace's name: the hub's name for it, empty for a lone client.
  std::string workspace() const;

  /// The workspace's team id (`T...`).
  std::string team_id() const;

  // -- sending ----------------------------------------------------------------

  /// Sends `frame` over the workspace's socket; the future holds Slack's
  /// reply (see `client::send`).
  std::future<nlohmann::json> send(nlohmann::json frame) const;

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
  detail::context_origin& origin_;
};

} // namespace slackrtm

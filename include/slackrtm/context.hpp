// What a handler gets besides the event: the Web API client and the client.
#pragma once

#include "slackrtm/fwd.hpp"

namespace slackrtm {

/// Passed to every handler call. Valid for the duration of the call; the
/// objects it refers to live as long as the client.
class context {
public:
  // -- constructors -----------------------------------------------------------

  context(slackrtm::client& owner, slackrtm::web_client& web) noexcept
      : client_(owner), web_(web) {
    // nop
  }

  // -- observers --------------------------------------------------------------

  /// The Web API client, authenticated with the client's token.
  slackrtm::web_client& web_client() const noexcept { return web_; }

  /// The RTM client that delivered the event (to send over the socket, or to
  /// close it).
  slackrtm::client& client() const noexcept { return client_; }

private:
  slackrtm::client& client_;
  slackrtm::web_client& web_;
};

} // namespace slackrtm

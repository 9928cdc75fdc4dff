// A client's options, checked.
#include "src/client_options.hpp"

#include <stdexcept>

namespace slackrtm {

const client_options& checked(const client_options& opts) {
  if (opts.token.empty())
    throw std::invalid_argument("slackrtm: a token is required");
  if (opts.ping_interval.count() <= 0)
    throw std::invalid_argument("slackrtm: ping_interval must be positive");
  if (opts.pong_timeout.count() < 0)
    throw std::invalid_argument("slackrtm: pong_timeout must not be negative");
  if (opts.close_grace.count() < 0)
    throw std::invalid_argument("slackrtm: close_grace must not be negative");
  if (opts.send_timeout.count() <= 0 || opts.outbox_capacity == 0)
    throw std::invalid_argument("slackrtm: send_timeout and outbox_capacity "
                                "must be positive");
  if (opts.workers_per_handler == 0)
    throw std::invalid_argument("slackrtm: workers_per_handler must be >= 1");
  if (opts.min_backoff.count() < 0 || opts.max_backoff < opts.min_backoff)
    throw std::invalid_argument("slackrtm: invalid backoff bounds");
  if (opts.connect_method != "rtm.connect" &&
      opts.connect_method != "rtm.start")
    throw std::invalid_argument("slackrtm: connect_method must be rtm.connect "
                                "or rtm.start");
  // A bot token where the app-level token belongs, or the other way round,
  // would only be refused by Slack (not_allowed_token_type) at connect.
  if (opts.app_token.rfind("xox", 0) == 0)
    throw std::invalid_argument("slackrtm: app_token must be the app-level "
                                "token (xapp-...), not a bot or user token");
  if (opts.token.rfind("xapp-", 0) == 0)
    throw std::invalid_argument("slackrtm: token must be the bot token "
                                "(xoxb-...); the app-level token goes in "
                                "app_token");
  if (opts.socket_mode_connections < 1 || opts.socket_mode_connections > 10)
    throw std::invalid_argument("slackrtm: socket_mode_connections must be "
                                "1 to 10 (Slack's limit per app)");
  if (opts.response_deadline.count() <= 0 ||
      opts.response_deadline > std::chrono::seconds{3})
    throw std::invalid_argument("slackrtm: response_deadline must be within "
                                "Slack's 3 s");
  if (!opts.connect_params.is_object())
    throw std::invalid_argument("slackrtm: connect_params must be an object");
  return opts;
}

} // namespace slackrtm

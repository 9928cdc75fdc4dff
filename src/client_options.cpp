// A client's options: checked, and the part its Web API client takes.
#include "src/client_options.hpp"

#include <stdexcept>

namespace slackrtm {

web_client_options web_options(const client_options& opts) {
  web_client_options result;
  result.token = opts.token;
  result.base_url = opts.api_url;
  result.timeout = opts.timeout;
  result.max_rate_limit_retries = opts.max_rate_limit_retries;
  result.max_retry_after = opts.max_retry_after;
  result.max_connection_error_retries = opts.max_connection_error_retries;
  result.max_server_error_retries = opts.max_server_error_retries;
  result.retry_backoff = opts.retry_backoff;
  result.tls = opts.tls;
  result.proxy = opts.proxy;
  result.no_proxy = opts.no_proxy;
  result.headers = opts.headers;
  return result;
}

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
  if (!opts.connect_params.is_object())
    throw std::invalid_argument("slackrtm: connect_params must be an object");
  return opts;
}

} // namespace slackrtm

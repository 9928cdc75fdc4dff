// The frames a client sends over an RTM socket for the application: a
// message, its own ping, typing, presence subscriptions and queries. Each is
// a plain `send`, settled by Slack's reply.
#include "slackrtm/client.hpp"

#include <stdexcept>

namespace slackrtm {

std::future<nlohmann::json> client::send_message(const std::string& channel,
                                                 const std::string& text,
                                                 const std::string& thread_ts) {
  nlohmann::json frame{
      {"type", "message"}, {"channel", channel}, {"text", text}};
  if (!thread_ts.empty())
    frame["thread_ts"] = thread_ts;
  return send(std::move(frame));
}

std::future<nlohmann::json> client::ping(nlohmann::json extra) {
  if (!extra.is_object())
    throw std::invalid_argument("slackrtm: ping fields must be an object");
  extra["type"] = "ping";
  return send(std::move(extra));
}

std::future<nlohmann::json> client::typing(const std::string& channel) {
  return send({{"type", "typing"}, {"channel", channel}});
}

std::future<nlohmann::json>
client::presence_sub(const std::vector<std::string>& user_ids) {
  return send({{"type", "presence_sub"}, {"ids", user_ids}});
}

std::future<nlohmann::json>
client::presence_query(const std::vector<std::string>& user_ids) {
  return send({{"type", "presence_query"}, {"ids", user_ids}});
}

} // namespace slackrtm

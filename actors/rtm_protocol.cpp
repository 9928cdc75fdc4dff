// RTM's frames and rtm.connect's answer, read for the connection.
#include "actors/rtm_protocol.hpp"

#include <chrono>
#include <utility>

#include "slackrtm/error.hpp"
#include "util/json_depth.hpp"

namespace slackrtm {

namespace {

frame_meaning meaning(frame_kind kind, std::uint64_t reply_to,
                      std::string detail) {
  frame_meaning result;
  result.kind = kind;
  result.reply_to = reply_to;
  result.detail = std::move(detail);
  return result;
}

} // namespace

rtm_protocol::rtm_protocol(std::string method) : method_(std::move(method)) {
  // nop
}

const std::string& rtm_protocol::connect_method() const noexcept {
  return method_;
}

connect_result rtm_protocol::read_connect_answer(const nlohmann::json& answer,
                                                 std::exception_ptr err) const {
  if (err)
    return failed_connect(err);
  connect_result result;
  // The web client refuses deeper answers already; copying `self` below
  // would recurse once per level.
  if (json_tree_too_deep(answer)) {
    result.error = "json_too_deep";
    return result;
  }
  auto url = answer.find("url");
  if (url == answer.end() || !url->is_string()) {
    result.error = "invalid_response (no socket URL)";
    return result;
  }
  result.ok = true;
  result.url = url->get<std::string>();
  nlohmann::json identity = nlohmann::json::object();
  for (auto key : {"self", "team"})
    if (auto i = answer.find(key); i != answer.end())
      identity[key] = *i;
  result.identity = identity.dump();
  return result;
}

frame_meaning rtm_protocol::classify(const event& frame) const {
  auto type = frame.get_string("type");
  if (!type) {
    // Replies to the client's frames carry no type.
    auto reply_to = frame.get_int("reply_to");
    if (reply_to && *reply_to >= 0)
      return meaning(frame_kind::reply, static_cast<std::uint64_t>(*reply_to),
                     "");
    return meaning(frame_kind::malformed, 0, "no type");
  }
  if (*type == "hello")
    return meaning(frame_kind::hello, 0, "");
  if (*type == "pong") {
    auto reply_to = frame.get_int("reply_to");
    if (reply_to && *reply_to >= 0)
      return meaning(frame_kind::pong, static_cast<std::uint64_t>(*reply_to),
                     "");
    return meaning(frame_kind::event, 0, "");
  }
  if (*type == "goodbye")
    return meaning(frame_kind::drain, 0, "goodbye");
  if (*type == "team_migration_started")
    return meaning(frame_kind::reconnect, 0, "team migration");
  if (*type != "error")
    return meaning(frame_kind::event, 0, "");
  const auto& body = frame.json();
  auto err = body.find("error");
  std::string msg = "unknown";
  if (err != body.end() && err->is_object()) {
    if (auto m = err->find("msg"); m != err->end() && m->is_string())
      msg = m->get<std::string>();
    if (auto c = err->find("code"); c != err->end() && c->is_number())
      msg = "code " + c->dump() + ": " + msg;
  }
  return meaning(frame_kind::error, 0, std::move(msg));
}

std::string rtm_protocol::ping_frame(std::uint64_t id) const {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return nlohmann::json{{"type", "ping"}, {"id", id}, {"time", now}}.dump();
}

} // namespace slackrtm

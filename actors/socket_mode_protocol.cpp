// Socket Mode's frames and apps.connections.open's answer, read for the
// connection.
#include "actors/socket_mode_protocol.hpp"

#include <memory>
#include <utility>

#include "slackrtm/error.hpp"
#include "util/json_depth.hpp"

namespace slackrtm {

namespace {

// The parts of an envelope's payload that say where it comes from.
void read_origin(const event& payload, envelope& env) {
  env.event_id = payload.string("event_id");
  env.app_id = payload.string("api_app_id");
  env.team_id = payload.string("team_id");
  if (env.team_id.empty())
    if (auto team = payload.object("team")) // interactive payloads
      env.team_id = team->string("id");
}

} // namespace

std::string plain_ack(std::string_view id) {
  // Envelope ids are UUIDs: written as they are unless they need escaping.
  bool plain = true;
  for (auto c : id)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
      plain = false;
  if (!plain)
    return nlohmann::json{{"envelope_id", id}}.dump();
  std::string result;
  result.reserve(id.size() + 18);
  result.append("{\"envelope_id\":\"").append(id).append("\"}");
  return result;
}

socket_mode_protocol::socket_mode_protocol(
    std::set<std::string, std::less<>> responding)
    : method_("apps.connections.open"), responding_(std::move(responding)) {
  // nop
}

const std::string& socket_mode_protocol::connect_method() const noexcept {
  return method_;
}

connect_result
socket_mode_protocol::read_connect_answer(const nlohmann::json& answer,
                                          std::exception_ptr err) const {
  if (err)
    return failed_connect(err);
  connect_result result;
  auto url = answer.find("url");
  if (url == answer.end() || !url->is_string() ||
      url->get_ref<const std::string&>().empty()) {
    result.error = "invalid_response (no socket URL)";
    return result;
  }
  result.ok = true;
  result.url = url->get<std::string>();
  return result;
}

frame_meaning socket_mode_protocol::classify(const event& frame) const {
  frame_meaning result;
  if (auto id = frame.get_string("envelope_id")) {
    auto env = std::make_shared<envelope>();
    env->id = *id;
    env->type = frame.type();
    env->retry_attempt = frame.get_int("retry_attempt").value_or(0);
    env->retry_reason = frame.string("retry_reason");
    env->accepts_response_payload =
        frame.get_bool("accepts_response_payload").value_or(false);
    result.ack = plain_ack(env->id);
    auto payload = frame.object("payload");
    if (!payload) {
      result.kind = frame_kind::malformed;
      result.detail = "envelope without a payload";
      return result;
    }
    read_origin(*payload, *env);
    auto inner = env->type == "events_api" ? payload->object("event")
                                           : std::move(payload);
    if (!inner) {
      result.kind = frame_kind::malformed;
      result.detail = "events_api envelope without an event";
      return result;
    }
    if (env->type == "events_api" && inner->type().empty()) {
      result.kind = frame_kind::malformed;
      result.detail = "events_api event without a type";
      return result;
    }
    auto accepts = env->accepts_response_payload;
    inner->attach(std::move(env));
    if (accepts && !responding_.empty()) {
      auto route = route_of(*inner);
      auto full = std::string{route.type} + "::" + std::string{route.subtype};
      if (responding_.count(route.type) > 0 || responding_.count(full) > 0) {
        result.deferred_ack = inner->envelope()->id;
        result.ack.clear();
      }
    }
    result.kind = frame_kind::event;
    result.routed = std::move(*inner);
    return result;
  }
  auto type = frame.get_string("type");
  if (!type || type->empty()) {
    result.kind = frame_kind::malformed;
    result.detail = "no type and no envelope_id";
    return result;
  }
  if (*type == "hello") {
    result.kind = frame_kind::hello;
    return result;
  }
  if (*type != "disconnect")
    return result; // an event of a type Slack added: tolerated, routed
  auto reason = frame.string("reason", "unknown");
  if (reason == "link_disabled") {
    result.kind = frame_kind::fatal;
    result.detail = "link_disabled";
  } else if (reason == "too_many_websockets") {
    result.kind = frame_kind::backoff;
    result.detail = "too_many_websockets";
    result.retry_after = crowded_backoff;
  } else {
    // warning, refresh_requested, and any reason Slack adds.
    result.kind = frame_kind::drain;
    result.detail = "disconnect (" + std::string{reason} + ")";
  }
  return result;
}

std::string socket_mode_protocol::ping_frame(std::uint64_t) const {
  return {};
}

std::string socket_mode_protocol::ack_with(const std::string& id,
                                           const std::string& response) const {
  if (response.empty())
    return plain_ack(id);
  // A response relayed from a handler node is untrusted: one nested too
  // deep to dump safely is dropped like one that is not JSON.
  auto payload = parse_json(response);
  if (payload.is_discarded() || !payload.is_object())
    return plain_ack(id);
  return nlohmann::json{{"envelope_id", id}, {"payload", std::move(payload)}}
      .dump();
}

} // namespace slackrtm

// control_args.cpp — HTTP answers and the argument checks shared by the /_sim
// control endpoints.
#include "control_args.hpp"

#include <algorithm>
#include <utility>

namespace sim {

http_reply json_reply(int status, const json& body) {
  http_reply r;
  r.status = status;
  r.body = dump(body);
  return r;
}

http_reply bad_arguments(std::string detail) {
  return json_reply(400, {{"ok", false},
                          {"error", "invalid_arguments"},
                          {"detail", std::move(detail)}});
}

bool int_field(const json& body, const char* key, long long lo, long long hi,
               std::optional<long long>& out) {
  auto i = body.find(key);
  if (i == body.end() || i->is_null())
    return true;
  if (!i->is_number_integer())
    return false;
  auto v =
      i->is_number_unsigned()
          ? static_cast<long long>(std::min<std::uint64_t>(
                i->get<std::uint64_t>(), static_cast<std::uint64_t>(hi) + 1))
          : i->get<long long>();
  if (v < lo || v > hi)
    return false;
  out = v;
  return true;
}

std::optional<http_reply> json_body_arg(std::string_view body, json& out) {
  out = json::object();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return std::nullopt;
  auto parsed = parse_json(body);
  if (!parsed || !parsed->is_object())
    return json_reply(400, {{"ok", false}, {"error", "invalid_json"}});
  out = std::move(*parsed);
  return std::nullopt;
}

std::optional<http_reply> raw_frame_arg(const json& body, payload& out) {
  // "text_base64": a text frame of any bytes, such as invalid UTF-8, which
  // a JSON string cannot carry.
  std::string key;
  int given = 0;
  for (auto k : {"text", "binary", "text_base64"})
    if (body.contains(k)) {
      key = k;
      ++given;
    }
  if (given != 1)
    return bad_arguments("give exactly one of text, binary and text_base64");
  auto& value = body.at(key);
  if (!value.is_string())
    return bad_arguments(key + " must be a string");
  auto bytes = value.get<std::string>();
  if (key == "text_base64") {
    auto decoded = unbase64(bytes);
    if (!decoded)
      return bad_arguments("text_base64 is not base64");
    bytes = std::move(*decoded);
  }
  out = text_payload(std::move(bytes));
  out.binary = key == "binary";
  return std::nullopt;
}

} // namespace sim

// control_args.hpp — HTTP answers, and the argument checks the /_sim control
// endpoints share (RTM's and Socket Mode's alike).
#pragma once

#include "sim_state.hpp"
#include "socket_hub.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sim {

struct http_reply {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::optional<int> retry_after;
};

http_reply json_reply(int status, const json& body);

// 400 {"ok":false,"error":"invalid_arguments","detail":..}.
http_reply bad_arguments(std::string detail);

// An optional integer field within [lo, hi]; false if present but invalid.
bool int_field(const json& body, const char* key, long long lo, long long hi,
               std::optional<long long>& out);

// A control request's JSON body into `out` (an empty body is {}); 400
// invalid_json if it is no JSON object.
std::optional<http_reply> json_body_arg(std::string_view body, json& out);

// The frame of /_sim/raw: exactly one of "text", "binary" (the string's
// bytes) and "text_base64" (the decoded bytes as a text frame). An error
// answer if the body says otherwise.
std::optional<http_reply> raw_frame_arg(const json& body, payload& out);

} // namespace sim

// sim_state.hpp — the simulator's memory, free of networking: clock, ts
// generator, socket tickets, fault queue, recordings, request parameters.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sim {

// Ordered so that events go out with their fields as the test wrote them.
using json = nlohmann::ordered_json;
using millis = std::int64_t;
using steady = std::chrono::steady_clock;

// Serialises without throwing: client frames may carry invalid UTF-8.
std::string dump(const json& j);

// Parses a JSON document without throwing; nullopt on any error, including
// nesting so deep that serialising it again would exhaust the stack.
std::optional<json> parse_json(std::string_view text);

void set_quiet(bool quiet);
void log_line(std::string_view line);

// The wall clock in Unix seconds.
std::int64_t now_seconds();

class sim_clock {
public:
  millis now_ms() const;

private:
  steady::time_point start_ = steady::now();
};

// "<unix seconds>.<6-digit counter>", strictly increasing even if the wall
// clock steps back or a second holds more than a million messages.
class ts_generator {
public:
  std::string next();

private:
  std::int64_t sec_ = 0;
  std::int64_t counter_ = 0;
};

// 32 random hexadecimal digits.
std::string random_hex(std::mt19937_64& rng);

// Socket URL tickets: single use, valid for a fixed time after issue. Each
// remembers its owner (the token whose rtm.connect issued it).
class ticket_book {
public:
  explicit ticket_book(std::chrono::seconds ttl);
  std::string issue(std::size_t owner);
  // The ticket's owner, or nullopt when it is unknown, used or expired.
  std::optional<std::size_t> redeem(const std::string& ticket);

private:
  void expire(steady::time_point now);

  std::chrono::seconds ttl_;
  std::mt19937_64 rng_;
  // One TTL for all, so issue order is expiry order.
  std::deque<std::pair<steady::time_point, std::string>> by_age_;
  std::unordered_map<std::string, std::size_t> valid_;
};

struct fault {
  std::string method;
  int remaining = 1;
  std::optional<std::string> channel;
  int status = 200;
  std::optional<int> retry_after;
  std::optional<std::string> error;
  millis delay_ms = 0;
};

class fault_queue {
public:
  void add(fault f);
  // Consumes one use of the oldest fault matching this call, if any.
  std::optional<fault> take(const std::string& method, const json& params);
  void clear();

private:
  std::deque<fault> faults_;
};

// What clients did, for tests to read back through /_sim/. `team` is the
// workspace of the call's token or of the socket: a team id, or null.
class recorder {
public:
  std::uint64_t begin_call(std::uint64_t http_connection, std::string method,
                           json params, millis at, json team);
  void end_call(std::uint64_t call, int status, bool ok, json error, millis at,
                std::optional<std::string> ts);
  void record_frame(std::uint64_t conn, millis at, std::string_view data,
                    bool binary, json team);
  void record_frame(std::uint64_t conn, millis at, json frame, json team);
  std::uint64_t open_connection(millis at, bool accepted, json team);
  void close_connection(std::uint64_t conn, millis at,
                        std::optional<int> client_close_code = std::nullopt);
  void record_ping(std::uint64_t conn, millis at);
  // Forgets calls and frames; connections stay, they are still real.
  void clear();

  json calls_json(bool posts_only) const;
  json frames_json() const;
  json connections_json() const;

private:
  struct call_record {
    std::uint64_t http_connection = 0;
    std::string method;
    json params;
    millis received_ms = 0;
    bool answered = false;
    int status = 0;
    bool ok = false;
    json error;
    millis answered_ms = 0;
    std::optional<std::string> ts;
    json team;
  };
  struct connection_record {
    bool accepted = false;
    json team;
    millis opened_ms = 0;
    std::optional<millis> closed_ms;
    std::optional<int> client_close_code;
    std::vector<millis> ping_ms;
  };

  // Keyed by id so that a delayed call answered after a reset is dropped.
  std::map<std::uint64_t, call_record> calls_;
  std::uint64_t next_call_ = 1;
  std::vector<json> frames_;
  std::map<std::uint64_t, connection_record> connections_;
  std::uint64_t next_connection_ = 1;
};

std::string url_decode(std::string_view s);
// "a=1&b=2" into {"a":"1","b":"2"}; a repeated key keeps its last value.
json parse_form(std::string_view s);

struct target_parts {
  std::string path;
  std::string query;
};
target_parts split_target(std::string_view target);

// The parameters of one Web API call: query string, then the body according
// to its content type; the token is taken out so it is never recorded.
struct api_params {
  json params = json::object();
  std::optional<std::string> token;
  // The token came in an Authorization header, not as a parameter.
  bool bearer = false;
  bool bad_json = false;
};
api_params parse_api_params(std::string_view query,
                            std::string_view content_type,
                            std::string_view body,
                            std::string_view authorization);

// Form parameters are strings while JSON ones may be anything: compare and
// print them as text either way. nullopt when absent or null.
std::optional<std::string> param_text(const json& params, const char* key);

// Slack's boolean arguments: true, 1, "true", "1".
bool truthy(const json& params, const char* key);

// Number of Unicode code points, which is what Slack's length limits count.
std::size_t utf8_length(std::string_view s);
std::string base64(std::string_view bytes);

// The bytes of standard base64 `s` (padding optional); nullopt if not base64.
std::optional<std::string> unbase64(std::string_view s);

} // namespace sim

// sim_state.cpp — clock, ts generator, tickets, faults, recordings and the
// parsing of Web API parameters; no networking here.
#include "sim_state.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

namespace sim {

namespace {

bool quiet_ = false;

// Deeper documents are refused: nlohmann serialises recursively.
constexpr int max_json_depth = 256;

bool nesting_ok(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_json_depth)
        return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<json> parse_json(std::string_view text) {
  if (!nesting_ok(text))
    return std::nullopt;
  auto j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded())
    return std::nullopt;
  return j;
}

void set_quiet(bool quiet) {
  quiet_ = quiet;
}

void log_line(std::string_view line) {
  if (quiet_)
    return;
  std::cerr << "slackrtm-sim: " << line << '\n';
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

millis sim_clock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() -
                                                               start_)
      .count();
}

std::string ts_generator::next() {
  auto now = now_seconds();
  if (now > sec_) {
    sec_ = now;
    counter_ = 1;
  } else if (++counter_ > 999999) {
    ++sec_;
    counter_ = 1;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(sec_),
                static_cast<long long>(counter_));
  return buf;
}

std::string random_hex(std::mt19937_64& rng) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < 2; ++i) {
    auto bits = rng();
    for (int j = 0; j < 16; ++j, bits >>= 4)
      hex += digits[bits & 0xf];
  }
  return hex;
}

ticket_book::ticket_book(std::chrono::seconds ttl)
    : ttl_(ttl), rng_(std::random_device{}()) {}

std::string ticket_book::issue(std::size_t owner) {
  auto now = steady::now();
  expire(now);
  std::string ticket;
  do
    ticket = random_hex(rng_);
  while (valid_.count(ticket) != 0);
  valid_.emplace(ticket, owner);
  by_age_.emplace_back(now, ticket);
  return ticket;
}

std::optional<std::size_t> ticket_book::redeem(const std::string& ticket) {
  expire(steady::now());
  auto i = valid_.find(ticket);
  if (i == valid_.end())
    return std::nullopt;
  auto owner = i->second;
  valid_.erase(i);
  return owner;
}

void ticket_book::expire(steady::time_point now) {
  while (!by_age_.empty() && now - by_age_.front().first >= ttl_) {
    valid_.erase(by_age_.front().second);
    by_age_.pop_front();
  }
}

void fault_queue::add(fault f) {
  faults_.push_back(std::move(f));
}

std::optional<fault> fault_queue::take(const std::string& method,
                                       const json& params) {
  for (auto i = faults_.begin(); i != faults_.end(); ++i) {
    if (i->method != method)
      continue;
    if (i->channel) {
      auto c = params.find("channel");
      if (c == params.end() || !c->is_string() || *c != *i->channel)
        continue;
    }
    fault taken = *i;
    if (--i->remaining <= 0)
      faults_.erase(i);
    return taken;
  }
  return std::nullopt;
}

void fault_queue::clear() {
  faults_.clear();
}

std::uint64_t recorder::begin_call(std::uint64_t http_connection,
                                   std::string method, json params, millis at,
                                   json team) {
  auto id = next_call_++;
  auto& c = calls_[id];
  c.http_connection = http_connection;
  c.method = std::move(method);
  c.params = std::move(params);
  c.received_ms = at;
  c.team = std::move(team);
  return id;
}

void recorder::end_call(std::uint64_t call, int status, bool ok, json error,
                        millis at, std::optional<std::string> ts) {
  auto i = calls_.find(call);
  if (i == calls_.end())
    return;
  auto& c = i->second;
  c.answered = true;
  c.status = status;
  c.ok = ok;
  c.error = std::move(error);
  c.answered_ms = at;
  c.ts = std::move(ts);
}

void recorder::record_frame(std::uint64_t conn, millis at,
                            std::string_view data, bool binary, json team) {
  json f = {{"connection", conn}, {"at_ms", at}, {"team", std::move(team)}};
  if (binary)
    f["binary"] = base64(data);
  else
    f["text"] = std::string(data);
  frames_.push_back(std::move(f));
}

void recorder::record_frame(std::uint64_t conn, millis at, json frame,
                            json team) {
  frames_.push_back({{"connection", conn},
                     {"at_ms", at},
                     {"team", std::move(team)},
                     {"frame", std::move(frame)}});
}

std::uint64_t recorder::open_connection(millis at, bool accepted, json team) {
  auto id = next_connection_++;
  auto& c = connections_[id];
  c.accepted = accepted;
  c.team = std::move(team);
  c.opened_ms = at;
  return id;
}

void recorder::close_connection(std::uint64_t conn, millis at,
                                std::optional<int> client_close_code) {
  auto i = connections_.find(conn);
  if (i != connections_.end() && !i->second.closed_ms) {
    i->second.closed_ms = at;
    i->second.client_close_code = client_close_code;
  }
}

void recorder::record_ping(std::uint64_t conn, millis at) {
  auto i = connections_.find(conn);
  if (i != connections_.end())
    i->second.ping_ms.push_back(at);
}

void recorder::clear() {
  calls_.clear();
  frames_.clear();
}

json recorder::calls_json(bool posts_only) const {
  json out = json::array();
  for (const auto& [id, c] : calls_) {
    if (posts_only && (c.method != "chat.postMessage" || !c.ok))
      continue;
    json j = {{"method", c.method},
              {"params", c.params},
              {"status", c.answered ? json(c.status) : json()},
              {"ok", c.answered ? json(c.ok) : json()},
              {"error", c.error},
              {"received_ms", c.received_ms},
              {"answered_ms", c.answered ? json(c.answered_ms) : json()},
              {"http_connection", c.http_connection},
              {"team", c.team}};
    if (posts_only)
      j["ts"] = c.ts ? json(*c.ts) : json();
    out.push_back(std::move(j));
  }
  return out;
}

json recorder::frames_json() const {
  return json(frames_);
}

json recorder::connections_json() const {
  json out = json::array();
  for (const auto& [id, c] : connections_) {
    out.push_back({{"id", id},
                   {"open", !c.closed_ms},
                   {"accepted", c.accepted},
                   {"team", c.team},
                   {"opened_ms", c.opened_ms},
                   {"closed_ms", c.closed_ms ? json(*c.closed_ms) : json()},
                   {"client_close_code",
                    c.client_close_code ? json(*c.client_close_code) : json()},
                   {"pings", c.ping_ms.size()},
                   {"ping_ms", c.ping_ms}});
  }
  return out;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      // A stray '%' is kept as is: lenient, like most servers.
      out += c;
    }
  }
  return out;
}

json parse_form(std::string_view s) {
  json out = json::object();
  while (!s.empty()) {
    auto amp = s.find('&');
    auto pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::string{}
                                              : url_decode(pair.substr(eq + 1));
    out[key] = std::move(value);
  }
  return out;
}

target_parts split_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {std::string(target), {}};
  return {std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

api_params parse_api_params(std::string_view query,
                            std::string_view content_type,
                            std::string_view body,
                            std::string_view authorization) {
  api_params out;
  out.params = parse_form(query);
  if (lower(content_type).find("json") != std::string::npos) {
    if (!trim(body).empty()) {
      auto j = parse_json(body);
      if (!j || !j->is_object()) {
        out.bad_json = true;
        out.params = json::object();
      } else {
        for (auto& [k, v] : j->items())
          out.params[k] = v;
      }
    }
  } else if (!body.empty()) {
    auto form = parse_form(body);
    for (auto& [k, v] : form.items())
      out.params[k] = v;
  }
  auto auth = trim(authorization);
  if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") {
    out.token = std::string(trim(auth.substr(7)));
    out.bearer = !out.token->empty();
  }
  auto t = out.params.find("token");
  if (t != out.params.end()) {
    if (!out.token && t->is_string())
      out.token = t->get<std::string>();
    out.params.erase(t);
  }
  if (out.token && out.token->empty())
    out.token.reset();
  return out;
}

std::optional<std::string> param_text(const json& params, const char* key) {
  auto i = params.find(key);
  if (i == params.end() || i->is_null())
    return std::nullopt;
  if (i->is_string())
    return i->get<std::string>();
  return dump(*i);
}

bool truthy(const json& params, const char* key) {
  auto i = params.find(key);
  if (i == params.end())
    return false;
  if (i->is_boolean())
    return i->get<bool>();
  if (i->is_number())
    return i->get<double>() != 0;
  if (i->is_string()) {
    auto s = i->get<std::string>();
    return s == "1" || s == "true" || s == "TRUE" || s == "True";
  }
  return false;
}

std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
             (static_cast<unsigned char>(bytes[i + 1]) << 8) |
             static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i < bytes.size()) {
    auto n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size())
      n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> unbase64(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    if (c == '+')
      return 62;
    if (c == '/')
      return 63;
    return -1;
  };
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : s) {
    if (c == '=')
      break;
    int v = value(c);
    if (v < 0)
      return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

} // namespace sim

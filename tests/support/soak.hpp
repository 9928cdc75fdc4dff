// What the chaos soaks share: their length, the process's resident memory,
// and a tally of the numbered events each handler saw.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "slackrtm/slackrtm.hpp"

namespace slackrtm::test {

/// `SLACKRTM_SOAK_SECONDS` (at least 5), else `fallback`.
inline std::chrono::seconds soak_duration(std::chrono::seconds fallback) {
  if (auto text = std::getenv("SLACKRTM_SOAK_SECONDS"))
    return std::chrono::seconds{std::max(5, std::atoi(text))};
  return fallback;
}

/// The process's resident memory.
inline long resident_kib() {
  std::ifstream in{"/proc/self/statm"};
  long pages = 0;
  long resident = 0;
  in >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/// Seq number -> times a handler saw it.
struct tally {
  std::mutex mtx;
  std::map<std::int64_t, int> seen;

  void add(const nlohmann::json& ev) {
    if (!ev.contains("seq"))
      return;
    std::lock_guard<std::mutex> guard{mtx};
    ++seen[ev["seq"].get<std::int64_t>()];
  }

  /// Deliveries beyond the first, summed over every event.
  int duplicates() const {
    int result = 0;
    for (auto& [seq, n] : seen)
      result += n - 1;
    return result;
  }
};

/// The numbered message `seq`, in one of 16 channels.
inline nlohmann::json soak_event(std::int64_t seq) {
  return {{"type", "message"},
          {"channel", "C" + std::to_string(seq % 16)},
          {"user", "U1"},
          {"text", "soak"},
          {"seq", seq}};
}

/// A soak client's options against `api_url`: errors only, quick
/// reconnects and pings.
inline client_options soak_options(const std::string& api_url) {
  using namespace std::chrono_literals;
  client_options opts;
  opts.token = "xoxb-sim-token";
  opts.api_url = api_url;
  opts.level = log_level::error;
  opts.min_backoff = 20ms;
  opts.max_backoff = 500ms;
  opts.ping_interval = 200ms;
  return opts;
}

/// Counts the numbered messages that a `message` handler and a `"*"`
/// handler of `c` see.
inline void tally_messages(client& c, tally& by_message, tally& by_wildcard) {
  c.on("message", [&by_message](context&, const nlohmann::json& ev) {
    by_message.add(ev);
  });
  c.on("*", [&by_wildcard](context&, const nlohmann::json& ev) {
    if (ev.value("type", "") == "message")
      by_wildcard.add(ev);
  });
}

} // namespace slackrtm::test

// What the chaos soaks share: their length, the process's resident memory,
// and a tally of the numbered events each handler saw.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

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

/// The numbered message `seq`, in one of 16 channels.
inline nlohmann::json soak_event(std::int64_t seq) {
  return {{"type", "message"},
          {"channel", "C" + std::to_string(seq % 16)},
          {"user", "U1"},
          {"text", "soak"},
          {"seq", seq}};
}

/// A soak's run: how long it lasts, whether it still runs, and the resident
/// memory once a third of it has passed (the baseline for "stayed flat").
class soak_window {
public:
  explicit soak_window(std::chrono::seconds fallback)
      : duration_{soak_duration(fallback)},
        start_{std::chrono::steady_clock::now()} {}

  std::chrono::seconds duration() const { return duration_; }

  bool running() const { return elapsed() < duration_; }

  /// Records the resident memory the first time a third has passed.
  void sample_rss() {
    if (rss_early_ == 0 && elapsed() > duration_ / 3)
      rss_early_ = resident_kib();
  }

  long rss_early() const { return rss_early_; }

private:
  std::chrono::steady_clock::duration elapsed() const {
    return std::chrono::steady_clock::now() - start_;
  }

  std::chrono::seconds duration_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<long> rss_early_{0};
};

/// Numbers events 1, 2, ... and hands each to `post` every `gap` while
/// `window` runs; `injected` counts those `post` took. A `post` that throws
/// (the control interface, which is not under test) costs no number.
inline std::thread
feed_events(const soak_window& window, std::atomic<std::int64_t>& injected,
            std::chrono::milliseconds gap,
            std::function<void(const nlohmann::json&)> post) {
  return std::thread{[&window, &injected, gap, post = std::move(post)] {
    std::int64_t seq = 1;
    while (window.running()) {
      try {
        post(soak_event(seq));
        ++injected;
        ++seq;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(gap);
    }
  }};
}

/// Until `window` ends, every 300 to 800 ms, calls `inject` with one of
/// `kinds` faults drawn from `seed`; `faults` counts those that went
/// through. Samples the resident memory on the way.
inline void run_faults(soak_window& window, std::atomic<int>& faults,
                       unsigned seed, int kinds,
                       const std::function<void(int)>& inject) {
  std::mt19937 rng{seed};
  std::uniform_int_distribution<int> pick{0, kinds - 1};
  std::uniform_int_distribution<int> pause{300, 800};
  while (window.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds{pause(rng)});
    try {
      inject(pick(rng));
      ++faults;
    } catch (const std::exception&) {
      // The control interface itself is not under test.
    }
    window.sample_rss();
  }
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

/// A soak client's options against `api_url`: errors only, quick
/// reconnects and pings.
inline client_options soak_options(const std::string& api_url) {
  using namespace std::chrono_literals;
  client_options opts;
  opts.token = "xoxb-sim-token";
  opts.base_url = api_url;
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

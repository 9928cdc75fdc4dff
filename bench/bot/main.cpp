// slackrtm-bench-bot: the seeds' echo bot ("Hello" -> "Hi <@USER>!" in the
// thread, through chat.postMessage) plus what bench/driver.py measures: for
// each simulator flood it counts the events, records frame-to-handler
// latency and echo round trips, and prints one JSON report line on stdout
// once it has seen the whole flood (or at once on SIGUSR2). With --clients=N
// it runs N workspaces on one slackrtm::hub in one process. With
// SLACK_APP_TOKEN set it gets its events over Socket Mode, as any slackrtm
// program does (client_options::app_token); the handler is the same.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <pthread.h>

#include "apps/common/cli.hpp"
#include "slackrtm/slackrtm.hpp"

namespace {

const char* usage =
    "usage: slackrtm-bench-bot [--clients=N] [--min-backoff-ms=MS] "
    "[--json-handler]\n"
    "       [--workers-per-handler=N] [--max-pending-events=N]\n"
    "       [--socket-mode-connections=N] [options]\n"
    "The echo bot, instrumented for bench/driver.py: prints a JSON report\n"
    "line per simulator flood (and on SIGUSR2).\n";

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Log-linear histogram of nanoseconds: 32 sub-buckets per power of two
// (3 % resolution), fixed size, lock-free.
class histogram {
public:
  void add(std::int64_t ns) {
    auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
    buckets_[index(v)].fetch_add(1, std::memory_order_relaxed);
    auto max = max_.load(std::memory_order_relaxed);
    while (v > max && !max_.compare_exchange_weak(max, v))
      ;
  }

  void clear() {
    for (auto& b : buckets_)
      b.store(0, std::memory_order_relaxed);
    max_.store(0);
  }

  /// The value below which a fraction `q` of the samples lie (bucket middle).
  std::uint64_t quantile(double q) const {
    std::uint64_t total = 0;
    for (auto& b : buckets_)
      total += b.load(std::memory_order_relaxed);
    if (total == 0)
      return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen > rank)
        return std::min(middle(i), max());
    }
    return max();
  }

  std::uint64_t max() const { return max_.load(); }

private:
  static constexpr std::size_t linear = 64;
  static constexpr std::size_t sub = 32;

  static std::size_t index(std::uint64_t v) {
    if (v < linear)
      return v;
    auto e = 63 - static_cast<std::size_t>(__builtin_clzll(v)); // >= 6
    return linear + (e - 6) * sub + ((v >> (e - 5)) & (sub - 1));
  }

  static std::uint64_t middle(std::size_t i) {
    if (i < linear)
      return i;
    auto e = (i - linear) / sub + 6;
    auto s = (i - linear) % sub;
    auto low = (std::uint64_t{1} << e) + (s << (e - 5));
    return low + (std::uint64_t{1} << (e - 6));
  }

  std::array<std::atomic<std::uint64_t>, linear + 58 * sub> buckets_{};
  std::atomic<std::uint64_t> max_{0};
};

// What one flood did to the bot, over all its clients.
class flood_stats {
public:
  /// Counts one flood event; returns false for events of no flood.
  void seen(std::int64_t flood, std::int64_t total, std::int64_t sent_ns,
            std::int64_t at_ns, bool hello) {
    if (flood != flood_.load(std::memory_order_acquire))
      begin(flood, total);
    latency_.add(at_ns - sent_ns);
    auto first = first_ns_.load(std::memory_order_relaxed);
    while ((first == 0 || at_ns < first) &&
           !first_ns_.compare_exchange_weak(first, at_ns))
      ;
    auto last = last_ns_.load(std::memory_order_relaxed);
    while (at_ns > last && !last_ns_.compare_exchange_weak(last, at_ns))
      ;
    if (hello)
      hellos_.fetch_add(1);
    seen_.fetch_add(1);
    maybe_report();
  }

  void replied(std::int64_t sent_ns, bool ok) {
    auto at = now_ns();
    round_trip_.add(at - sent_ns);
    auto last = reply_last_ns_.load(std::memory_order_relaxed);
    while (at > last && !reply_last_ns_.compare_exchange_weak(last, at))
      ;
    if (!ok)
      reply_errors_.fetch_add(1);
    replies_.fetch_add(1);
    maybe_report();
  }

  /// Prints the report line (partial: not every event seen yet).
  void report(bool partial) {
    nlohmann::json line{{"flood", flood_.load()},
                        {"partial", partial},
                        {"seen", seen_.load()},
                        {"total", total_.load()},
                        {"hellos", hellos_.load()},
                        {"replies", replies_.load()},
                        {"reply_errors", reply_errors_.load()},
                        {"first_ns", first_ns_.load()},
                        {"last_ns", last_ns_.load()},
                        {"reply_last_ns", reply_last_ns_.load()},
                        {"lat_p50_ns", latency_.quantile(0.5)},
                        {"lat_p99_ns", latency_.quantile(0.99)},
                        {"lat_max_ns", latency_.max()},
                        {"rtt_p50_ns", round_trip_.quantile(0.5)},
                        {"rtt_p99_ns", round_trip_.quantile(0.99)},
                        {"rtt_max_ns", round_trip_.max()}};
    std::lock_guard<std::mutex> guard{out_};
    std::cout << line.dump() << std::endl;
  }

private:
  void begin(std::int64_t flood, std::int64_t total) {
    std::lock_guard<std::mutex> guard{begin_};
    if (flood == flood_.load())
      return;
    latency_.clear();
    round_trip_.clear();
    seen_ = hellos_ = replies_ = reply_errors_ = 0;
    first_ns_ = last_ns_ = reply_last_ns_ = 0;
    total_ = total;
    reported_ = false;
    flood_.store(flood, std::memory_order_release);
  }

  void maybe_report() {
    auto total = total_.load();
    if (seen_.load() < total || replies_.load() < hellos_.load())
      return;
    if (!reported_.exchange(true))
      report(false);
  }

  std::mutex begin_;
  std::mutex out_;
  std::atomic<std::int64_t> flood_{0};
  std::atomic<std::int64_t> total_{0};
  std::atomic<std::int64_t> seen_{0};
  std::atomic<std::int64_t> hellos_{0};
  std::atomic<std::int64_t> replies_{0};
  std::atomic<std::int64_t> reply_errors_{0};
  std::atomic<std::int64_t> first_ns_{0};
  std::atomic<std::int64_t> last_ns_{0};
  std::atomic<std::int64_t> reply_last_ns_{0};
  std::atomic<bool> reported_{false};
  histogram latency_;
  histogram round_trip_;
};

// What the echo logic reads from a message.
struct message_fields {
  std::optional<std::string_view> text;
  bool from_bot = false;
  std::string_view user;
  std::string_view channel;
  std::string_view ts;
  std::int64_t flood = 0;
  std::int64_t total = 0;
  std::int64_t sent_ns = 0;
};

// The seeds' echo logic, counted.
void on_message(flood_stats& stats, slackrtm::context& ctx,
                const message_fields& m, std::int64_t at) {
  if (!m.text)
    return;
  bool hello = m.text->find("Hello") != std::string_view::npos && !m.from_bot;
  if (m.flood > 0)
    stats.seen(m.flood, m.total, m.sent_ns, at, hello);
  // The bot's own messages never get here (skip_self_events).
  if (!hello || m.user.empty())
    return;
  bool ok = true;
  try {
    ctx.web_client().chat_postMessage(std::string{m.channel},
                                      "Hi <@" + std::string{m.user} + ">!",
                                      std::string{m.ts});
  } catch (const std::exception& ex) {
    ok = false;
    std::cerr << "slackrtm-bench-bot: could not reply: " << ex.what()
              << std::endl;
  }
  if (m.flood > 0)
    stats.replied(m.sent_ns, ok);
}

// The fields from the event's index (`slackrtm::event`).
message_fields fields_of(const slackrtm::event& event) {
  return {event.get_string("text"),
          event.contains("bot_id"),
          event.string("user"),
          event.string("channel"),
          event.string("ts"),
          event.get_int("sim_flood").value_or(0),
          event.get_int("sim_total").value_or(0),
          event.get_int("sim_sent_ns").value_or(0)};
}

// The same fields from the JSON tree (`--json-handler`), as a handler of
// `const nlohmann::json&` reads them.
message_fields fields_of(const nlohmann::json& event) {
  auto text = [&](const char* key) -> std::optional<std::string_view> {
    auto i = event.find(key);
    if (i == event.end() || !i->is_string())
      return std::nullopt;
    return std::string_view{i->get_ref<const std::string&>()};
  };
  auto integer = [&](const char* key) -> std::int64_t {
    auto i = event.find(key);
    return i != event.end() && i->is_number_integer() ? i->get<std::int64_t>()
                                                      : 0;
  };
  return {text("text"),
          event.contains("bot_id"),
          text("user").value_or(""),
          text("channel").value_or(""),
          text("ts").value_or(""),
          integer("sim_flood"),
          integer("sim_total"),
          integer("sim_sent_ns")};
}

} // namespace

int main(int argc, char** argv) {
  slackrtm::cli::block_signals();
  // SIGUSR2 asks for a report; blocked here so that only our thread takes it.
  sigset_t report_signal;
  sigemptyset(&report_signal);
  sigaddset(&report_signal, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &report_signal, nullptr);

  auto args = slackrtm::cli::parse(argc, argv, "slackrtm-bench-bot");
  if (!args)
    return 2;
  if (args->help) {
    std::cout << usage << slackrtm::cli::common_usage();
    return 0;
  }
  std::size_t clients = 1;
  bool json_handler = false;
  for (const auto& arg : args->rest) {
    std::string value;
    if (slackrtm::cli::take(arg, "clients", value)) {
      clients = std::strtoul(value.c_str(), nullptr, 10);
    } else if (arg == "--json-handler") {
      json_handler = true;
    } else if (slackrtm::cli::take(arg, "max-pending-events", value)) {
      args->options.max_pending_events =
          std::strtoul(value.c_str(), nullptr, 10);
    } else if (slackrtm::cli::take(arg, "workers-per-handler", value)) {
      args->options.workers_per_handler =
          std::strtoul(value.c_str(), nullptr, 10);
    } else if (slackrtm::cli::take(arg, "socket-mode-connections", value)) {
      args->options.socket_mode_connections =
          std::strtoul(value.c_str(), nullptr, 10);
    } else if (slackrtm::cli::take(arg, "min-backoff-ms", value)) {
      args->options.min_backoff =
          std::chrono::milliseconds{std::strtol(value.c_str(), nullptr, 10)};
    } else {
      std::cerr << "slackrtm-bench-bot: unknown argument '" << arg << "'\n"
                << usage;
      return 2;
    }
  }
  if (clients == 0 || clients > 100000) {
    std::cerr << "slackrtm-bench-bot: --clients wants 1..100000\n";
    return 2;
  }

  flood_stats stats;
  std::thread{[&stats, report_signal] {
    for (;;) {
      int sig = 0;
      if (sigwait(&report_signal, &sig) == 0)
        stats.report(true);
    }
  }}.detach();

  try {
    slackrtm::handler handler;
    if (json_handler)
      handler = [&stats](slackrtm::context& ctx, const nlohmann::json& event) {
        auto at = now_ns();
        on_message(stats, ctx, fields_of(event), at);
      };
    else
      handler = [&stats](slackrtm::context& ctx, const slackrtm::event& event) {
        auto at = now_ns();
        on_message(stats, ctx, fields_of(event), at);
      };
    std::mutex done_mutex;
    std::condition_variable done;
    bool stop = false;
    slackrtm::cli::watch_signals([&] {
      std::lock_guard<std::mutex> guard{done_mutex};
      stop = true;
      done.notify_all();
    });
    auto wait_for_signal = [&] {
      std::unique_lock<std::mutex> lock{done_mutex};
      done.wait(lock, [&] { return stop; });
    };
    if (clients == 1) {
      slackrtm::client rtm{args->options};
      rtm.on("message", handler);
      rtm.connect();
      wait_for_signal();
      rtm.close();
      return 0;
    }
    // Many workspaces: one hub, one runtime, one set of handler workers.
    slackrtm::hub_options opts;
    opts.defaults = args->options;
    slackrtm::hub hub{opts};
    hub.on("message", handler);
    for (std::size_t i = 0; i < clients; ++i)
      hub.add("workspace-" + std::to_string(i + 1), args->options.token);
    hub.connect();
    wait_for_signal();
    hub.close();
    return 0;
  } catch (...) {
    return slackrtm::cli::report_failure("slackrtm-bench-bot");
  }
}

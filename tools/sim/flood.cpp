// flood.cpp — building, framing and stamping the frames of a benchmark flood.
#include "flood.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <tuple>

namespace sim {

namespace {

// A write of at most this much keeps one fast socket from starving the
// others of a spread flood, and lets replies in between.
constexpr std::size_t max_batch_bytes = 256 * 1024;
// Room for any steady_ns() value, padded with blanks (valid JSON space).
constexpr std::size_t stamp_width = 20;
const char* const stamp_field = ",\"sim_sent_ns\":";

const char* const filler =
    " Rollout notes: canary healthy in all regions, error budget unchanged,"
    " dashboards green, on-call acknowledged, no customer impact seen so far,"
    " next window opens after the weekly sync with the platform team.";

std::string padded_text(std::string text, std::size_t extra) {
  std::string_view fill(filler);
  while (extra > 0) {
    auto n = std::min(extra, fill.size());
    text.append(fill.substr(0, n));
    extra -= n;
  }
  return text;
}

json blocks_for(const std::string& text) {
  return json::array(
      {{{"type", "rich_text"},
        {"block_id", "Fl0Od"},
        {"elements",
         json::array({{{"type", "rich_text_section"},
                       {"elements", json::array({{{"type", "text"},
                                                  {"text", text}}})}}})}}});
}

} // namespace

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             steady::now().time_since_epoch())
      .count();
}

json default_flood_event() {
  return {{"type", "message"},
          {"channel", "C0BENCH"},
          {"user", "U0ALICE01"},
          {"text", "Deploy of build 4812 finished: 2,317 tests passed, "
                   "0 failed, 12 skipped."},
          {"team", "T0SIM0001"},
          {"client_msg_id", "5f0b6c6e-8d7c-4a0e-9d8b-3f1e2a6b7c8d"},
          {"suppress_notification", false}};
}

// -- flood_stream -------------------------------------------------------------

flood_stream::flood_stream(std::shared_ptr<flood_run> run, double rate)
    : run_(std::move(run)), rate_(rate) {}

void flood_stream::add(std::string_view text, std::size_t stamp_at,
                       std::size_t id_stamp_at) {
  // A server's frame: FIN + text opcode, unmasked, 7/16/64-bit length.
  auto n = text.size();
  bytes_.push_back(static_cast<char>(0x81));
  if (n < 126) {
    bytes_.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    bytes_.push_back(static_cast<char>(126));
    bytes_.push_back(static_cast<char>((n >> 8) & 0xff));
    bytes_.push_back(static_cast<char>(n & 0xff));
  } else {
    bytes_.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      bytes_.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  stamp_at_.push_back(bytes_.size() + stamp_at);
  id_stamp_at_.push_back(bytes_.size() + id_stamp_at);
  bytes_.append(text);
  frame_end_.push_back(bytes_.size());
}

std::string_view flood_stream::take(std::int64_t now_ns,
                                    std::int64_t& wake_ns) {
  if (done())
    return {};
  if (started_ns_ == 0) {
    started_ns_ = now_ns;
    run_->started(now_ns);
  }
  auto due = frame_end_.size();
  if (rate_ > 0) {
    // Frame k is due k / rate seconds after the start.
    auto elapsed = static_cast<double>(now_ns - started_ns_) / 1e9;
    due = std::min(due, static_cast<std::size_t>(elapsed * rate_) + 1);
    if (due <= next_) {
      wake_ns = started_ns_ + static_cast<std::int64_t>(
                                  static_cast<double>(next_) / rate_ * 1e9);
      return {};
    }
  }
  auto begin = next_ == 0 ? 0 : frame_end_[next_ - 1];
  auto end = next_ + 1;
  while (end < due && frame_end_[end] - begin <= max_batch_bytes)
    ++end;
  char digits[stamp_width];
  auto [last, ec] = std::to_chars(digits, digits + stamp_width, now_ns);
  (void)ec;
  auto length = static_cast<std::size_t>(last - digits);
  char padded[stamp_width];
  std::memset(padded, '0', stamp_width);
  std::memcpy(padded + stamp_width - length, digits, length);
  for (auto i = next_; i < end; ++i) {
    std::memcpy(bytes_.data() + stamp_at_[i], digits, length);
    std::memcpy(bytes_.data() + id_stamp_at_[i], padded, stamp_width);
  }
  taken_ = end;
  return std::string_view(bytes_).substr(begin, frame_end_[end - 1] - begin);
}

void flood_stream::written() {
  auto begin = next_ == 0 ? 0 : frame_end_[next_ - 1];
  auto now = steady_ns();
  run_->frames_written(taken_ - next_, frame_end_[taken_ - 1] - begin, now);
  next_ = taken_;
  if (done()) {
    run_->stream_done(now);
    bytes_ = std::string{};
  }
}

// -- flood_run ----------------------------------------------------------------

std::vector<std::shared_ptr<flood_stream>>
flood_run::encode(const std::shared_ptr<flood_run>& self,
                  const std::vector<std::string>& teams, ts_generator& ts) {
  auto t0 = steady_ns();
  auto sockets = teams.size();
  streams_ = sockets;
  std::vector<std::shared_ptr<flood_stream>> out;
  for (std::size_t s = 0; s < sockets; ++s)
    out.push_back(std::make_shared<flood_stream>(
        self, spec_.rate / static_cast<double>(sockets)));

  bool is_default = spec_.event.is_null();
  json base = is_default ? default_flood_event() : spec_.event;
  auto base_text = base.value("text", std::string{});
  std::string base_channel = base.value("channel", std::string{"C0BENCH"});

  auto build = [&](std::size_t i, const std::string& text) {
    json event = base;
    event["text"] = text;
    if (is_default) {
      event["blocks"] = blocks_for(text);
      event["team"] = teams[i % sockets];
    }
    if (spec_.channels > 1)
      event["channel"] =
          base_channel + "-" + std::to_string(i % spec_.channels);
    auto stamp = ts.next();
    event["ts"] = stamp;
    if (is_default || event.contains("event_ts"))
      event["event_ts"] = stamp;
    event["sim_flood"] = spec_.id;
    event["sim_seq"] = i;
    event["sim_total"] = spec_.count;
    // The same marks in a field every client library keeps (slack-go parses
    // events into fixed structs and drops fields it does not know).
    auto id_prefix = "sim-" + std::to_string(spec_.id) + "-" +
                     std::to_string(i) + "-" + std::to_string(spec_.count) +
                     "-";
    event["client_msg_id"] = id_prefix + std::string(stamp_width, '0');
    auto text_json = dump(event);
    auto id_stamp_at = text_json.find(id_prefix) + id_prefix.size();
    text_json.pop_back(); // the closing brace
    text_json += stamp_field;
    auto stamp_at = text_json.size();
    text_json.append(stamp_width, ' ');
    text_json += '}';
    return std::make_tuple(std::move(text_json), stamp_at, id_stamp_at);
  };

  // The default event's text is padded (it appears twice: text and blocks)
  // so that a frame weighs about `size` bytes.
  if (is_default) {
    auto probe = std::get<0>(build(0, base_text)).size();
    if (probe < spec_.size)
      base_text = padded_text(base_text, (spec_.size - probe) / 2);
  }
  for (std::size_t i = 0; i < spec_.count; ++i) {
    bool hello = spec_.hello == flood_hello::all ||
                 (spec_.hello == flood_hello::last && i + 1 == spec_.count);
    auto [text, stamp_at, id_stamp_at] =
        build(i, hello ? "Hello! " + base_text : base_text);
    out[i % sockets]->add(text, stamp_at, id_stamp_at);
  }
  encode_ns_ = steady_ns() - t0;
  return out;
}

void flood_run::started(std::int64_t now_ns) {
  if (started_ns_ == 0)
    started_ns_ = now_ns;
}

void flood_run::frames_written(std::size_t n, std::size_t bytes,
                               std::int64_t now_ns) {
  frames_written_ += n;
  bytes_written_ += bytes;
  ++writes_;
  last_write_ns_ = now_ns;
}

void flood_run::stream_done(std::int64_t now_ns) {
  if (++streams_done_ == streams_)
    finished_ns_ = now_ns;
}

json flood_run::status() const {
  auto span = last_write_ns_ - started_ns_;
  double seconds = static_cast<double>(span) / 1e9;
  return {{"ok", true},
          {"flood", spec_.id},
          {"frames", spec_.count},
          {"rate", spec_.rate},
          {"sockets", streams_},
          {"written", frames_written_},
          {"bytes", bytes_written_},
          {"writes", writes_},
          {"done", streams_ > 0 && streams_done_ == streams_},
          {"encode_ms", static_cast<double>(encode_ns_) / 1e6},
          {"started_ns", started_ns_},
          {"finished_ns", finished_ns_ == 0 ? json() : json(finished_ns_)},
          {"send_seconds", seconds},
          {"send_rate",
           seconds > 0 ? static_cast<double>(frames_written_) / seconds : 0.0}};
}

} // namespace sim

// flood.cpp — building, framing and stamping the frames of a benchmark flood,
// and counting the acks of a Socket Mode flood's envelopes.
#include "flood.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <tuple>

namespace sim {

namespace {

// A write of at most this much keeps one fast socket from starving the
// others of a spread flood, and lets replies in between.
constexpr std::size_t max_batch_bytes = 256 * 1024;
// Room for any steady_ns() value, padded with blanks (valid JSON space).
constexpr std::size_t stamp_width = 20;
const char* const stamp_field = ",\"sim_sent_ns\":";
// A Socket Mode flood's envelope ids: "flood-<flood>-<seq>-<sent_ns>", the
// send stamp zero-padded, so that an ack alone tells its delay.
const std::string_view envelope_id_prefix = "flood-";

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

// An events_api envelope cut around what changes from frame to frame:
// head, envelope_id, middle, payload.event_id, tail, payload.event, "}}".
struct envelope_pieces {
  std::string head;
  std::string middle;
  std::string tail;
};

envelope_pieces cut_envelope(json envelope) {
  const std::string id_marker = "<envelope_id>";
  const std::string event_id_marker = "<event_id>";
  const std::string end = "null}}";
  envelope["envelope_id"] = id_marker;
  envelope["payload"]["event_id"] = event_id_marker;
  envelope["payload"]["event"] = nullptr;
  auto text = dump(envelope);
  auto id_at = text.find(id_marker);
  auto event_id_at = text.find(event_id_marker);
  if (id_at == std::string::npos || event_id_at == std::string::npos ||
      event_id_at < id_at || text.size() < end.size() ||
      text.compare(text.size() - end.size(), end.size(), end) != 0)
    throw std::logic_error("a flood envelope ends with its payload's event");
  auto id_end = id_at + id_marker.size();
  auto event_id_end = event_id_at + event_id_marker.size();
  return {text.substr(0, id_at), text.substr(id_end, event_id_at - id_end),
          text.substr(event_id_end, text.size() - end.size() - event_id_end)};
}

// The unsigned number at the start of `text`, and `text` past it and the
// '-' after it (if any).
std::optional<std::uint64_t> take_number(std::string_view& text) {
  std::uint64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{})
    return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (!text.empty() && text.front() == '-')
    text.remove_prefix(1);
  return value;
}

} // namespace

// -- delay_histogram ----------------------------------------------------------

void delay_histogram::add(std::int64_t ns) {
  auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
  std::size_t i = v;
  if (v >= linear) {
    auto e = 63 - static_cast<std::size_t>(__builtin_clzll(v)); // >= 6
    i = linear + (e - 6) * sub + ((v >> (e - 5)) & (sub - 1));
  }
  ++buckets_[i];
  ++count_;
  max_ = std::max(max_, static_cast<std::int64_t>(v));
}

std::int64_t delay_histogram::quantile(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen <= rank)
      continue;
    if (i < linear)
      return static_cast<std::int64_t>(i);
    // The bucket's middle.
    auto e = (i - linear) / sub + 6;
    auto s = (i - linear) % sub;
    auto middle = (std::uint64_t{1} << e) + (s << (e - 5)) +
                  (std::uint64_t{1} << (e - 6));
    return std::min(static_cast<std::int64_t>(middle), max_);
  }
  return max_;
}

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
                       std::size_t id_stamp_at,
                       std::optional<std::size_t> envelope_stamp_at) {
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
  if (envelope_stamp_at)
    envelope_stamp_at_.push_back(bytes_.size() + *envelope_stamp_at);
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
  if (!envelope_stamp_at_.empty())
    for (auto i = next_; i < end; ++i)
      std::memcpy(bytes_.data() + envelope_stamp_at_[i], padded, stamp_width);
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
                  const std::vector<flood_target>& targets, ts_generator& ts) {
  auto t0 = steady_ns();
  auto sockets = targets.size();
  streams_ = sockets;
  std::vector<std::shared_ptr<flood_stream>> out;
  std::vector<envelope_pieces> envelopes;
  for (std::size_t s = 0; s < sockets; ++s) {
    out.push_back(std::make_shared<flood_stream>(
        self, spec_.rate / static_cast<double>(sockets)));
    if (spec_.socket_mode)
      envelopes.push_back(cut_envelope(targets[s].envelope));
  }
  if (spec_.socket_mode)
    acked_.assign(spec_.count, false);

  bool is_default = spec_.event.is_null();
  json base = is_default ? default_flood_event() : spec_.event;
  auto base_text = base.value("text", std::string{});
  std::string base_channel = base.value("channel", std::string{"C0BENCH"});

  auto build = [&](std::size_t i, const std::string& text) {
    json event = base;
    event["text"] = text;
    if (is_default) {
      event["blocks"] = blocks_for(text);
      event["team"] = targets[i % sockets].team;
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
    auto& stream = *out[i % sockets];
    if (!spec_.socket_mode) {
      stream.add(text, stamp_at, id_stamp_at);
      continue;
    }
    // The event inside its envelope, whose id carries the send stamp too.
    const auto& pieces = envelopes[i % sockets];
    auto seq = std::to_string(spec_.id) + "-" + std::to_string(i);
    auto frame = pieces.head;
    frame.append(envelope_id_prefix).append(seq).append("-");
    auto envelope_stamp_at = frame.size();
    frame.append(stamp_width, '0');
    frame.append(pieces.middle).append("Ev0F").append(seq);
    frame.append(pieces.tail);
    auto event_at = frame.size();
    frame.append(text).append("}}");
    stream.add(frame, event_at + stamp_at, event_at + id_stamp_at,
               envelope_stamp_at);
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

bool flood_run::ack(std::string_view envelope_id, std::int64_t now_ns) {
  if (!spec_.socket_mode ||
      envelope_id.substr(0, envelope_id_prefix.size()) != envelope_id_prefix)
    return false;
  envelope_id.remove_prefix(envelope_id_prefix.size());
  auto flood = take_number(envelope_id);
  auto seq = take_number(envelope_id);
  auto sent_ns = take_number(envelope_id);
  if (flood != spec_.id || !seq || *seq >= acked_.size() || !sent_ns ||
      !envelope_id.empty())
    return false;
  if (acked_[*seq]) {
    ++duplicate_acks_;
    return true;
  }
  acked_[*seq] = true;
  ack_delay_.add(now_ns - static_cast<std::int64_t>(*sent_ns));
  return true;
}

json flood_run::status() const {
  auto span = last_write_ns_ - started_ns_;
  double seconds = static_cast<double>(span) / 1e9;
  json status = {
      {"ok", true},
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
       seconds > 0 ? static_cast<double>(frames_written_) / seconds : 0.0},
      {"socket_mode", spec_.socket_mode}};
  if (!spec_.socket_mode)
    return status;
  auto ms = [this](std::int64_t ns) {
    return ack_delay_.count() == 0 ? json()
                                   : json(static_cast<double>(ns) / 1e6);
  };
  status["acks"] = ack_delay_.count();
  status["duplicate_acks"] = duplicate_acks_;
  status["ack_p50_ms"] = ms(ack_delay_.quantile(0.5));
  status["ack_p99_ms"] = ms(ack_delay_.quantile(0.99));
  status["ack_max_ms"] = ms(ack_delay_.max());
  return status;
}

} // namespace sim

// flood.hpp — benchmark floods: every frame built and WebSocket-framed before
// the first byte leaves, then stamped as it leaves, at next to no cost each;
// RTM events, or Socket Mode envelopes whose acks are counted here.
#pragma once

#include "sim_state.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

/// Nanoseconds on the steady clock (CLOCK_MONOTONIC on Linux: the same
/// clock in every process, so clients can subtract a frame's stamp).
std::int64_t steady_ns();

/// Which frames of a flood say "Hello" (and so ask the echo bot to answer).
enum class flood_hello { last, all, none };

/// What `POST /_sim/flood` asked for.
struct flood_spec {
  std::uint64_t id = 0;
  std::size_t count = 0;
  /// Events per second over all sockets; 0 sends as fast as sockets take it.
  double rate = 0;
  /// The event every frame is made from (type, user, text, blocks...).
  json event;
  /// Size the default event is padded to, in bytes of JSON.
  std::size_t size = 600;
  /// Frames go round-robin over this many channels ("<channel>-<i>").
  std::size_t channels = 1;
  flood_hello hello = flood_hello::last;
  /// Every frame an events_api envelope to a Socket Mode app's sockets.
  bool socket_mode = false;
};

/// Where one stream of a flood goes.
struct flood_target {
  /// The socket's workspace: the default event's `team`.
  std::string team;
  /// Socket Mode: the events_api envelope every event is wrapped in (its
  /// `payload` last, and the payload's `event` last); the flood sets
  /// `envelope_id` and `payload.event_id` per frame. Null for RTM.
  json envelope;
};

/// Counts of nanoseconds in log-linear buckets (32 per power of two, 3 %
/// resolution): percentiles in a fixed 15 kB, however many samples.
class delay_histogram {
public:
  void add(std::int64_t ns);
  /// The value below which a fraction `q` of the samples lie.
  std::int64_t quantile(double q) const;
  std::int64_t max() const { return max_; }
  std::uint64_t count() const { return count_; }

private:
  static constexpr std::size_t linear = 64;
  static constexpr std::size_t sub = 32;

  std::array<std::uint64_t, linear + 58 * sub> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
};

class flood_run;

/// The frames one socket gets: contiguous pre-encoded bytes.
class flood_stream {
public:
  flood_stream(std::shared_ptr<flood_run> run, double rate);

  /// Appends one frame; `stamp_at` is the offset in `text` of the blank
  /// field `steady_ns()` is written into when the frame leaves,
  /// `id_stamp_at` that of its zero-padded copy in `client_msg_id`, and
  /// `envelope_stamp_at` (Socket Mode) that of the one in `envelope_id`.
  void add(std::string_view text, std::size_t stamp_at, std::size_t id_stamp_at,
           std::optional<std::size_t> envelope_stamp_at = std::nullopt);

  /// The bytes to write at `now`: every frame due (a bounded batch), its
  /// stamp set to `now`. Empty when none is due yet; then `wake_ns` says
  /// when the next one is.
  std::string_view take(std::int64_t now_ns, std::int64_t& wake_ns);

  /// The bytes last taken went to the kernel.
  void written();

  bool done() const { return next_ == frame_end_.size(); }
  std::size_t frames() const { return frame_end_.size(); }

private:
  std::shared_ptr<flood_run> run_;
  double rate_;
  std::string bytes_;
  std::vector<std::size_t> frame_end_;
  std::vector<std::size_t> stamp_at_;
  std::vector<std::size_t> id_stamp_at_;
  std::vector<std::size_t> envelope_stamp_at_;
  std::size_t next_ = 0;
  std::size_t taken_ = 0;
  std::int64_t started_ns_ = 0;
};

/// One flood over one or more sockets; its totals answer `GET /_sim/flood`.
class flood_run {
public:
  explicit flood_run(flood_spec spec) : spec_(std::move(spec)) {}

  /// Builds the frames of one stream per target (frame i goes to stream
  /// i mod streams) and returns them.
  std::vector<std::shared_ptr<flood_stream>>
  encode(const std::shared_ptr<flood_run>& self,
         const std::vector<flood_target>& targets, ts_generator& ts);

  void started(std::int64_t now_ns);
  void frames_written(std::size_t n, std::size_t bytes, std::int64_t now_ns);
  void stream_done(std::int64_t now_ns);
  /// A client's ack of `envelope_id`, read at `now_ns`: true if the
  /// envelope is one of this flood's, then counted (a number and a delay
  /// histogram: no record per ack).
  bool ack(std::string_view envelope_id, std::int64_t now_ns);

  const flood_spec& spec() const { return spec_; }
  json status() const;

private:
  flood_spec spec_;
  std::size_t streams_ = 0;
  std::size_t streams_done_ = 0;
  std::size_t frames_written_ = 0;
  std::size_t bytes_written_ = 0;
  std::size_t writes_ = 0;
  std::int64_t encode_ns_ = 0;
  std::int64_t started_ns_ = 0;
  std::int64_t finished_ns_ = 0;
  std::int64_t last_write_ns_ = 0;
  // Socket Mode: which envelopes were acked, and how fast.
  std::vector<bool> acked_;
  std::size_t duplicate_acks_ = 0;
  delay_histogram ack_delay_;
};

/// The event frames of a flood are made from when no template is given: a
/// channel message as Slack sends it, `blocks` included.
json default_flood_event();

} // namespace sim

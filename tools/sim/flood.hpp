// flood.hpp — benchmark floods: every frame built and WebSocket-framed before
// the first byte leaves, then stamped as it leaves, at next to no cost each.
#pragma once

#include "sim_state.hpp"

#include <cstdint>
#include <memory>
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
};

class flood_run;

/// The frames one socket gets: contiguous pre-encoded bytes.
class flood_stream {
public:
  flood_stream(std::shared_ptr<flood_run> run, double rate);

  /// Appends one event; `stamp_at` is the offset in `text` of the blank
  /// field `steady_ns()` is written into when the frame leaves, and
  /// `id_stamp_at` that of its zero-padded copy in `client_msg_id`.
  void add(std::string_view text, std::size_t stamp_at,
           std::size_t id_stamp_at);

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
  std::size_t next_ = 0;
  std::size_t taken_ = 0;
  std::int64_t started_ns_ = 0;
};

/// One flood over one or more sockets; its totals answer `GET /_sim/flood`.
class flood_run {
public:
  explicit flood_run(flood_spec spec) : spec_(std::move(spec)) {}

  /// Builds the frames of one stream per entry of `teams` (frame i goes to
  /// stream i mod streams) and returns them. `teams` names the workspace of
  /// each stream's socket: the default event carries it in its `team`.
  std::vector<std::shared_ptr<flood_stream>>
  encode(const std::shared_ptr<flood_run>& self,
         const std::vector<std::string>& teams, ts_generator& ts);

  void started(std::int64_t now_ns);
  void frames_written(std::size_t n, std::size_t bytes, std::int64_t now_ns);
  void stream_done(std::int64_t now_ns);

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
};

/// The event frames of a flood are made from when no template is given: a
/// channel message as Slack sends it, `blocks` included.
json default_flood_event();

} // namespace sim

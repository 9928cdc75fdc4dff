// How far a WebSocket session reads ahead of its listener, in frames and in
// bytes: 256 frames of up to 16 MiB each would otherwise be 4 GiB in
// memory. The reader (the io thread) counts what it delivers and stops when
// either bound is reached; the listener's thread counts what it has done
// and wakes the reader once both are back at half. Lock-free.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace slackrtm {

/// Bounds of the read-ahead (see `ws_session::frame_done`).
struct read_ahead_limits {
  /// Frames delivered to the listener and not yet done, at most.
  std::uint32_t frames = 256;
  /// Their bytes, at most; a single larger frame (up to the 16 MiB frame
  /// limit) still goes through alone.
  std::size_t bytes = 4 * 1024 * 1024;
};

class read_window {
public:
  // -- constructors -----------------------------------------------------------

  explicit read_window(read_ahead_limits limits) : limits_(limits) {
    // nop
  }

  // -- reader side ------------------------------------------------------------

  /// Counts a delivered frame of `size` bytes. False when the window is now
  /// full: the reader must stop until `done` says to resume.
  bool delivered(std::size_t size) noexcept {
    auto frames = frames_.fetch_add(1) + 1;
    auto bytes = bytes_.fetch_add(size) + size;
    if (frames < limits_.frames && bytes < limits_.bytes)
      return true;
    starved_ = true;
    // Seen together with `done`'s update of the counts (all seq_cst): either
    // it sees this flag, or this sees its counts.
    return caught_up() && starved_.exchange(false);
  }

  // -- listener side ----------------------------------------------------------

  /// Counts `n` processed frames of `size` bytes in all. True when the
  /// reader had stopped and must now resume (exactly one call says so).
  bool done(std::uint32_t n, std::size_t size) noexcept {
    frames_.fetch_sub(n);
    bytes_.fetch_sub(size);
    return caught_up() && starved_.exchange(false);
  }

  // -- observers --------------------------------------------------------------

  /// Frames delivered and not yet done.
  std::uint32_t frames() const noexcept { return frames_.load(); }

  /// Their bytes.
  std::size_t bytes() const noexcept { return bytes_.load(); }

private:
  bool caught_up() const noexcept {
    return frames_.load() <= limits_.frames / 2 &&
           bytes_.load() <= limits_.bytes / 2;
  }

  read_ahead_limits limits_;
  std::atomic<std::uint32_t> frames_{0};
  std::atomic<std::size_t> bytes_{0};
  std::atomic<bool> starved_{false};
};

} // namespace slackrtm

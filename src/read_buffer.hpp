// What `client::read()` returns: events in arrival order, bounded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

namespace slackrtm {

class read_buffer {
public:
  explicit read_buffer(std::size_t capacity) : capacity_(capacity) {
    // nop
  }

  void push(const nlohmann::json& event) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (events_.size() >= capacity_) {
        events_.pop_front();
        ++overflow_;
      }
      events_.push_back(event);
    }
    cv_.notify_one();
  }

  std::vector<nlohmann::json> take(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{mtx_};
    if (timeout.count() > 0)
      cv_.wait_for(guard, timeout, [this] { return !events_.empty(); });
    std::vector<nlohmann::json> result{std::make_move_iterator(events_.begin()),
                                       std::make_move_iterator(events_.end())};
    events_.clear();
    return result;
  }

  std::uint64_t overflow() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return overflow_;
  }

private:
  std::size_t capacity_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> events_;
  std::uint64_t overflow_ = 0;
};

} // namespace slackrtm

// A few threads that run blocking jobs (Web API calls made on behalf of
// actors), so that no actor ever waits on the network. Threads start when
// jobs come and end after a while without any, so that a hub with many
// quiet workspaces does not hold two threads for each.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace slackrtm {

class task_pool {
public:
  explicit task_pool(
      std::size_t max_threads,
      std::chrono::milliseconds idle_limit = std::chrono::milliseconds{2000})
      : max_(max_threads > 0 ? max_threads : 1), idle_limit_(idle_limit) {
    // nop
  }

  /// Drops the jobs still waiting (their requesters are gone by then), lets
  /// running ones finish, then joins.
  ~task_pool() {
    std::map<std::uint64_t, std::thread> threads;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
      threads.swap(threads_);
    }
    cv_.notify_all();
    for (auto& [id, t] : threads)
      t.join();
  }

  task_pool(const task_pool&) = delete;
  task_pool& operator=(const task_pool&) = delete;

  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      jobs_.push_back(std::move(job));
      reap();
      if (idle_ < jobs_.size() && threads_.size() < max_) {
        auto id = next_id_++;
        threads_.emplace(id, std::thread{[this, id] { run(id); }});
      }
    }
    cv_.notify_one();
  }

private:
  // Joins threads that ended for lack of work. Holds `mtx_`.
  void reap() {
    for (auto id : finished_) {
      auto i = threads_.find(id);
      if (i != threads_.end()) {
        i->second.join();
        threads_.erase(i);
      }
    }
    finished_.clear();
  }

  void run(std::uint64_t id) {
    std::unique_lock<std::mutex> guard{mtx_};
    for (;;) {
      ++idle_;
      auto ready = cv_.wait_for(guard, idle_limit_,
                                [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (stopping_)
        return;
      if (!ready)
        break;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      guard.unlock();
      job();
      guard.lock();
    }
    finished_.push_back(id);
  }

  std::size_t max_;
  std::chrono::milliseconds idle_limit_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::size_t idle_ = 0;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::thread> threads_;
  std::vector<std::uint64_t> finished_;
};

} // namespace slackrtm

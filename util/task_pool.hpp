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
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace slackrtm {

class task_pool {
public:
  // -- constructors -----------------------------------------------------------

  explicit task_pool(
      std::size_t max_threads,
      std::chrono::milliseconds idle_limit = std::chrono::milliseconds{2000})
      : state_(std::make_shared<state>(max_threads > 0 ? max_threads : 1,
                                       idle_limit)) {
    // nop
  }

  /// Drops the jobs still waiting (their requesters are gone by then), lets
  /// running ones finish, then joins. Safe on one of the pool's own threads
  /// (a job held the last reference to the pool's owner): that thread is
  /// detached instead and ends once its job returns.
  ~task_pool() {
    std::map<std::uint64_t, std::thread> threads;
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> guard{state_->mtx};
      state_->stopping = true;
      threads.swap(state_->threads);
      dropped.swap(state_->jobs);
    }
    state_->cv.notify_all();
    // Outside the lock: a job's captures may post or destroy anything.
    dropped.clear();
    for (auto& [id, t] : threads) {
      if (t.get_id() == std::this_thread::get_id())
        t.detach();
      else
        t.join();
    }
  }

  task_pool(const task_pool&) = delete;
  task_pool& operator=(const task_pool&) = delete;

  // -- mutators ---------------------------------------------------------------

  /// Runs `job` on one of the threads. Returns false, without running or
  /// keeping `job`, once the pool is being destroyed (a running job that
  /// posts more then learns that no more will run).
  [[nodiscard]] bool post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> guard{state_->mtx};
      if (state_->stopping)
        return false;
      state_->jobs.push_back(std::move(job));
      state_->reap();
      if (state_->idle < state_->jobs.size() &&
          state_->threads.size() < state_->max) {
        auto id = state_->next_id++;
        state_->threads.emplace(id, std::thread{run, state_, id});
      }
    }
    state_->cv.notify_one();
    return true;
  }

private:
  // The threads share it with the pool, so that one detached by the pool's
  // destructor still finds its mutex after its job returns.
  struct state {
    state(std::size_t max_threads, std::chrono::milliseconds idle)
        : max(max_threads), idle_limit(idle) {
      // nop
    }

    // Joins threads that ended for lack of work. Holds `mtx`.
    void reap() {
      for (auto id : finished) {
        auto i = threads.find(id);
        if (i != threads.end()) {
          i->second.join();
          threads.erase(i);
        }
      }
      finished.clear();
    }

    std::size_t max;
    std::chrono::milliseconds idle_limit;
    std::mutex mtx;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    bool stopping = false;
    std::size_t idle = 0;
    std::uint64_t next_id = 0;
    std::map<std::uint64_t, std::thread> threads;
    std::vector<std::uint64_t> finished;
  };

  static void run(std::shared_ptr<state> st, std::uint64_t id) {
    std::unique_lock<std::mutex> guard{st->mtx};
    for (;;) {
      ++st->idle;
      auto ready = st->cv.wait_for(guard, st->idle_limit, [&st] {
        return st->stopping || !st->jobs.empty();
      });
      --st->idle;
      if (st->stopping)
        return;
      if (!ready)
        break;
      auto job = std::move(st->jobs.front());
      st->jobs.pop_front();
      guard.unlock();
      job();
      // Destroyed before the lock is taken again: its captures may post
      // (which locks) or hold the last reference to the pool's owner.
      job = nullptr;
      guard.lock();
    }
    st->finished.push_back(id);
  }

  std::shared_ptr<state> state_;
};

} // namespace slackrtm

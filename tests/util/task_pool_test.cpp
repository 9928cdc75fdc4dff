// The pool's shutdown: jobs die outside its lock, posts while it stops are
// refused, and its last owner may let go of it on one of its own threads.
#define CAF_SUITE task_pool

#include "util/task_pool.hpp"

#include <atomic>
#include <future>

#include <caf/test/unit_test.hpp>

using namespace slackrtm;
using namespace std::chrono_literals;

namespace {

// Runs `f` when destroyed: stands for what a job's captures do then.
struct on_destroy {
  std::function<void()> f;
  ~on_destroy() {
    if (f)
      f();
  }
};

} // namespace

CAF_TEST(a finished job is destroyed outside the pools lock) {
  task_pool pool{1};
  // Another thread posts while the job's captures are being destroyed; it
  // must not wait for them (before the fix it waited for the lock until
  // they were gone).
  std::atomic<bool> blocked{false};
  auto posted = std::make_shared<std::promise<bool>>();
  auto posted_done = posted->get_future().share();
  auto captures = std::make_shared<on_destroy>();
  captures->f = [&pool, &blocked, posted_done, posted] {
    std::thread{[&pool, posted] {
      posted->set_value(pool.post([] {}));
    }}.detach();
    blocked = posted_done.wait_for(2s) != std::future_status::ready;
  };
  std::promise<void> ran;
  CAF_REQUIRE(
      pool.post([captures = std::move(captures), &ran] { ran.set_value(); }));
  ran.get_future().wait();
  // The post completes either way, before the pool goes.
  CAF_REQUIRE(posted_done.wait_for(10s) == std::future_status::ready);
  CAF_CHECK(posted_done.get());
  CAF_CHECK(!blocked);
}

CAF_TEST(post refuses work once the pool is stopping) {
  auto pool = std::make_unique<task_pool>(1);
  auto* raw = pool.get();
  std::promise<void> started;
  std::atomic<bool> refused{false};
  CAF_REQUIRE(raw->post([raw, &started, &refused] {
    started.set_value();
    // Posts until the destructor, which waits for this job, says no.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline)
      if (!raw->post([] {})) {
        refused = true;
        return;
      }
  }));
  started.get_future().wait();
  pool.reset();
  CAF_CHECK(refused);
}

CAF_TEST(the last owner may drop the pool on one of its threads) {
  // A job holds the last reference to the pool's owner (as a relayed call
  // may hold the last client): the pool is destroyed on its own thread.
  struct owner {
    std::shared_ptr<task_pool> pool;
    std::promise<void> gone;
    ~owner() {
      pool.reset();
      gone.set_value();
    }
  };
  auto holder = std::make_shared<owner>();
  holder->pool = std::make_shared<task_pool>(1);
  auto gone = holder->gone.get_future();
  auto pool = holder->pool;
  std::promise<void> release;
  auto released = release.get_future();
  CAF_REQUIRE(pool->post([holder = std::move(holder), &released]() mutable {
    released.wait();
    holder.reset();
  }));
  pool.reset();
  release.set_value();
  CAF_CHECK(gone.wait_for(10s) == std::future_status::ready);
}

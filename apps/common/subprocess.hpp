// Child processes for the demo and the integration tests: start a program
// with its output in a log file, stop it, and wait on conditions with a
// deadline.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace slackrtm::cli {

/// Directory of the running executable (where its sibling programs are).
std::string own_dir();

/// Starts `argv` (argv[0] a path) with stdout and stderr appended to `log`
/// and `extra_env` added to the environment. Throws on failure.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log,
            const std::vector<std::string>& extra_env = {});

/// SIGTERM, then SIGKILL after 5 s; reaps the child. Returns its exit code
/// (-1 when killed by a signal).
int stop(pid_t pid);

/// Polls `predicate` every 20 ms until it holds or `timeout` passes.
template <class Predicate>
bool wait_until(Predicate predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return true;
}

/// A running slackrtm-sim on a free loopback port.
class sim_process {
public:
  /// Starts `dir`/slackrtm-sim with `args`; waits for its port (10 s).
  explicit sim_process(const std::string& dir,
                       std::vector<std::string> args = {});
  ~sim_process();
  sim_process(const sim_process&) = delete;
  sim_process& operator=(const sim_process&) = delete;

  /// `http://127.0.0.1:PORT/api/`.
  std::string api_url() const;
  /// `http://127.0.0.1:PORT/_sim/`.
  std::string control_url() const;
  /// Scratch directory holding the simulator's log.
  const std::string& work_dir() const noexcept { return work_; }

private:
  std::string work_;
  std::string port_;
  pid_t pid_ = -1;
};

} // namespace slackrtm::cli

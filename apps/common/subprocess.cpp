// posix_spawn-based child processes.
#include "apps/common/subprocess.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace slackrtm::cli {

std::string own_dir() {
  std::vector<char> buf(4096);
  auto n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  std::string path = n > 0 ? std::string(buf.data(), n) : std::string{"./x"};
  return path.substr(0, path.rfind('/'));
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log,
            const std::vector<std::string>& extra_env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e; ++e)
    env_strings.emplace_back(*e);
  std::vector<char*> env;
  for (auto& e : env_strings)
    env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = -1;
  auto err =
      posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0)
    throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

int stop(pid_t pid) {
  if (pid <= 0)
    return -1;
  kill(pid, SIGTERM);
  int status = 0;
  auto exited =
      wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; },
                 std::chrono::seconds{5});
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

sim_process::sim_process(const std::string& dir,
                         std::vector<std::string> args) {
  char tmpl[] = "/tmp/slackrtm-sim-XXXXXX";
  if (!mkdtemp(tmpl))
    throw std::runtime_error("cannot create a scratch directory");
  work_ = tmpl;
  auto port_file = work_ + "/port";
  args.insert(args.begin(),
              {dir + "/slackrtm-sim", "--port=0", "--port-file=" + port_file});
  pid_ = spawn(args, work_ + "/sim.log");
  auto ready = wait_until(
      [&] {
        std::ifstream in{port_file};
        return static_cast<bool>(in >> port_);
      },
      std::chrono::seconds{10});
  if (!ready) {
    stop(pid_);
    throw std::runtime_error("slackrtm-sim did not start; see " + work_ +
                             "/sim.log");
  }
}

sim_process::~sim_process() {
  stop(pid_);
}

std::string sim_process::api_url() const {
  return "http://127.0.0.1:" + port_ + "/api/";
}

std::string sim_process::control_url() const {
  return "http://127.0.0.1:" + port_ + "/_sim/";
}

} // namespace slackrtm::cli

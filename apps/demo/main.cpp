// slackrtm-demo: the whole product in one command. Starts slackrtm-sim and
// slackrtm-echo, then a scripted user says Hello in a few channels while a
// slackrtm client watching the workspace prints the conversation live.
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "apps/common/subprocess.hpp"
#include "slackrtm/slackrtm.hpp"

namespace {

using namespace std::chrono_literals;

const std::string token = "xoxb-sim-token";

// -- who is who in the simulated workspace ------------------------------------

const std::map<std::string, std::string> channel_names{
    {"C0GENERAL", "#general"}, {"C0RANDOM", "#random"}, {"C0DEV", "#dev"}};

const std::map<std::string, std::string> user_names{{"U0ALICE", "alice"},
                                                    {"U0BOB", "bob"},
                                                    {"U0CAROL", "carol"},
                                                    {"U0BOT0001", "echo-bot"}};

std::string name_of(const std::map<std::string, std::string>& names,
                    const std::string& id) {
  auto i = names.find(id);
  return i == names.end() ? id : i->second;
}

struct line {
  const char* channel;
  const char* user;
  const char* text;
};

const std::vector<line> script{
    {"C0GENERAL", "U0ALICE", "Hello everyone!"},
    {"C0RANDOM", "U0BOB", "Hello from #random"},
    {"C0GENERAL", "U0BOB", "how is everybody today?"},
    {"C0DEV", "U0CAROL", "Hello bot, are you there?"},
    {"C0GENERAL", "U0CAROL", "Hello, Hello!"},
};

} // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: slackrtm-demo\nRuns slackrtm-sim, slackrtm-echo "
                   "and a scripted user, and prints the conversation.\n";
      return 0;
    }
    std::cerr << "slackrtm-demo: unknown argument '" << arg << "'\n";
    return 2;
  }
  using namespace slackrtm::cli;
  auto dir = own_dir();
  pid_t bot = -1;
  int status = 1;
  try {
    sim_process sim{dir};
    auto work = sim.work_dir();
    auto api_url = sim.api_url();
    std::cout << "slackrtm-sim   listening on " << api_url << "\n";
    bot = spawn({dir + "/slackrtm-echo", "--api-url=" + api_url},
                work + "/echo.log", {"SLACK_BOT_TOKEN=" + token});
    std::cout << "slackrtm-echo  started (log: " << work << "/echo.log)\n\n";

    // The control interface, through the library's own Web API client.
    slackrtm::web_client_options control_opts;
    control_opts.base_url = sim.control_url();
    slackrtm::web_client control{control_opts};

    // A second client watches the workspace and prints every message.
    std::mutex mtx;
    std::condition_variable cv;
    std::set<std::string> answered;
    slackrtm::client_options opts;
    opts.token = token;
    opts.api_url = api_url;
    opts.level = slackrtm::log_level::warning;
    // The watcher shares the bot's token: the bot's replies are its own
    // events, which it must see to print them.
    opts.skip_self_events = false;
    slackrtm::client watcher{opts};
    watcher.on("message", [&](slackrtm::context&, const nlohmann::json& ev) {
      auto channel = name_of(channel_names, ev.value("channel", ""));
      auto user = name_of(user_names, ev.value("user", ""));
      auto text = ev.value("text", "");
      std::lock_guard<std::mutex> guard{mtx};
      if (ev.contains("thread_ts")) {
        std::cout << "  " << channel << "  " << user << " (in thread "
                  << ev.value("thread_ts", "") << "): " << text << std::endl;
        answered.insert(ev.value("thread_ts", ""));
        cv.notify_all();
      } else {
        std::cout << channel << "  " << user << ": " << text << std::endl;
      }
    });
    watcher.connect();
    if (!wait_until(
            [&] {
              auto conns = control.api_get("connections");
              int open = 0;
              for (auto& c : conns["connections"])
                open += c.value("open", false) ? 1 : 0;
              return open >= 2;
            },
            15s))
      throw std::runtime_error("the bot did not connect; see " + work +
                               "/echo.log");
    int hellos = 0;
    for (auto& l : script) {
      auto res = control.api_call_json(
          "message",
          {{"channel", l.channel}, {"user", l.user}, {"text", l.text}});
      auto ts = res.value("ts", "");
      if (std::string{l.text}.find("Hello") == std::string::npos) {
        std::this_thread::sleep_for(300ms); // pacing, for human readers
        continue;
      }
      ++hellos;
      std::unique_lock<std::mutex> guard{mtx};
      if (!cv.wait_for(guard, 10s, [&] { return answered.count(ts) > 0; }))
        throw std::runtime_error("no reply to '" + std::string{l.text} + "'");
    }
    std::lock_guard<std::mutex> guard{mtx};
    std::cout << "\n"
              << hellos << " Hellos, " << answered.size()
              << " replies in thread. Logs in " << work << "\n";
    status = answered.size() == static_cast<std::size_t>(hellos) ? 0 : 1;
    watcher.close();
    stop(bot);
  } catch (const std::exception& ex) {
    std::cerr << "slackrtm-demo: " << ex.what() << std::endl;
    stop(bot);
    status = 1;
  }
  return status;
}

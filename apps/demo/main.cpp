// slackrtm-demo: the whole product in one command. Starts slackrtm-sim and
// slackrtm-echo, then a scripted user says Hello in a few channels while a
// slackrtm client watching the workspace prints the conversation live:
// first with the bot on RTM, then with the same bot on Socket Mode, where a
// slash command is answered in its acknowledgement too.
#include <algorithm>
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
const std::string app_token = "xapp-1-A0APP0001-1-demo";

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

const std::vector<line> rtm_script{
    {"C0GENERAL", "U0ALICE", "Hello everyone!"},
    {"C0RANDOM", "U0BOB", "Hello from #random"},
    {"C0GENERAL", "U0BOB", "how is everybody today?"},
    {"C0DEV", "U0CAROL", "Hello bot, are you there?"},
};

const std::vector<line> socket_mode_script{
    {"C0GENERAL", "U0CAROL", "Hello, Hello!"},
    {"C0DEV", "U0ALICE", "Hello again, over Socket Mode"},
    {"C0RANDOM", "U0BOB", "nothing to answer here"},
};

// Open sockets of the simulator (`connections`: RTM; `socket_mode/sockets`:
// Socket Mode).
int open_sockets(slackrtm::web_client& control, const std::string& what,
                 const char* key) {
  auto answer = control.api_get(what);
  int open = 0;
  for (auto& c : answer[key])
    open += c.value("open", false) ? 1 : 0;
  return open;
}

// Prints the conversation a watching client sees, and tells which Hellos
// got their reply in a thread.
class conversation {
public:
  void on_message(const nlohmann::json& ev) {
    auto channel = name_of(channel_names, ev.value("channel", ""));
    auto user = name_of(user_names, ev.value("user", ""));
    auto text = ev.value("text", "");
    std::lock_guard<std::mutex> guard{mtx_};
    if (ev.contains("thread_ts")) {
      std::cout << "  " << channel << "  " << user << " (in thread "
                << ev.value("thread_ts", "") << "): " << text << std::endl;
      answered_.insert(ev.value("thread_ts", ""));
      cv_.notify_all();
    } else {
      std::cout << channel << "  " << user << ": " << text << std::endl;
    }
  }

  // Says each line of `script`, waiting for the reply to each Hello.
  // Returns the Hellos said.
  std::size_t play(slackrtm::web_client& control,
                   const std::vector<line>& script) {
    std::size_t hellos = 0;
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
      std::unique_lock<std::mutex> guard{mtx_};
      if (!cv_.wait_for(guard, 10s, [&] { return answered_.count(ts) > 0; }))
        throw std::runtime_error("no reply to '" + std::string{l.text} + "'");
    }
    return hellos;
  }

  std::size_t answered() {
    std::lock_guard<std::mutex> guard{mtx_};
    return answered_.size();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::set<std::string> answered_;
};

// Carol types `/echo TEXT`; the bot answers in the envelope's ack.
void slash_command(slackrtm::web_client& control) {
  std::string text = "slash commands work too";
  std::cout << "#dev  carol: /echo " << text << std::endl;
  auto sent =
      control.api_call_json("socket_mode/slash", {{"command", "/echo"},
                                                  {"text", text},
                                                  {"user_id", "U0CAROL"},
                                                  {"channel_id", "C0DEV"}});
  auto id = sent.value("envelope_id", "");
  nlohmann::json ack;
  auto acked = slackrtm::cli::wait_until(
      [&] {
        auto answer = control.api_get("socket_mode/acks");
        for (auto& a : answer["acks"])
          if (a.value("envelope_id", "") == id && a["payload"].is_object())
            ack = a;
        return !ack.is_null();
      },
      10s);
  if (!acked)
    throw std::runtime_error("no answer to /echo");
  std::cout << "  #dev  echo-bot (in the ack, after "
            << ack.value("delay_ms", 0.0)
            << " ms): " << ack["payload"].value("text", "") << std::endl;
}

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
    sim_process sim{dir, {"--app-token=" + app_token}};
    auto work = sim.work_dir();
    auto api_url = sim.api_url();
    std::cout << "slackrtm-sim   listening on " << api_url << "\n";

    // The control interface, through the library's own Web API client.
    slackrtm::web_client_options control_opts;
    control_opts.base_url = sim.control_url();
    slackrtm::web_client control{control_opts};

    // A second client watches the workspace over RTM and prints every
    // message. It shares the bot's token: the bot's replies are its own
    // events, which it must see to print them.
    conversation talk;
    slackrtm::client_options opts;
    opts.token = token;
    opts.base_url = api_url;
    opts.level = slackrtm::log_level::warning;
    opts.skip_self_events = false;
    slackrtm::client watcher{opts};
    watcher.on("message", [&](slackrtm::context&, const nlohmann::json& ev) {
      talk.on_message(ev);
    });
    watcher.connect();

    bot = spawn({dir + "/slackrtm-echo", "--api-url=" + api_url},
                work + "/echo-rtm.log", {"SLACK_BOT_TOKEN=" + token});
    std::cout << "slackrtm-echo  on RTM (log: " << work << "/echo-rtm.log)\n\n";
    if (!wait_until(
            [&] {
              return open_sockets(control, "connections", "connections") >= 2;
            },
            15s))
      throw std::runtime_error("the bot did not connect; see " + work +
                               "/echo-rtm.log");
    auto hellos = talk.play(control, rtm_script);
    stop(bot);
    bot = -1;
    // The app had no socket during the RTM round: the simulator, as Slack,
    // holds those events for it and would deliver them as retries now.
    // They were answered over RTM already; start Socket Mode afresh.
    control.api_call_json("reset", nlohmann::json::object());

    bot = spawn({dir + "/slackrtm-echo", "--api-url=" + api_url},
                work + "/echo-socket-mode.log",
                {"SLACK_BOT_TOKEN=" + token, "SLACK_APP_TOKEN=" + app_token});
    std::cout << "\nslackrtm-echo  on Socket Mode, the same handler (log: "
              << work << "/echo-socket-mode.log)\n\n";
    if (!wait_until(
            [&] {
              return open_sockets(control, "socket_mode/sockets", "sockets") >=
                     2;
            },
            15s))
      throw std::runtime_error("the bot did not connect; see " + work +
                               "/echo-socket-mode.log");
    hellos += talk.play(control, socket_mode_script);
    slash_command(control);
    auto acks = control.api_get("socket_mode/acks")["acks"];
    double slowest = 0;
    for (auto& a : acks)
      slowest = std::max(slowest, a.value("delay_ms", 0.0));

    std::cout << "\n"
              << hellos << " Hellos, " << talk.answered()
              << " replies in thread; " << acks.size()
              << " Socket Mode envelopes acked, the slowest after " << slowest
              << " ms. Logs in " << work << "\n";
    status = talk.answered() == hellos ? 0 : 1;
    watcher.close();
    stop(bot);
  } catch (const std::exception& ex) {
    std::cerr << "slackrtm-demo: " << ex.what() << std::endl;
    if (bot > 0)
      stop(bot);
    status = 1;
  }
  return status;
}

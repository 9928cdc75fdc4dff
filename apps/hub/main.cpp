// slackrtm-hub: holds the tokens and the connections of many workspaces and
// routes their events to handler nodes (`slackrtm-echo --hub=...`) that join
// over CAF's network layer. SIGHUP re-reads the tokens file.
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <pthread.h>

#include "apps/common/cli.hpp"
#include "slackrtm/slackrtm.hpp"

namespace {

const char* usage =
    "usage: slackrtm-hub --listen=[HOST:]PORT [--tokens-file=PATH]\n"
    "                    [--secret-file=PATH] [--expect=TYPE[,TYPE...]]\n"
    "                    [--hold=N] [--port-file=PATH]\n"
    "                    [--node-cert=PEM --node-key=PEM] [--node-ca=PEM]\n"
    "                    [--plain-tcp-beyond-loopback]\n"
    "                    [options]\n"
    "Connects every workspace and serves handler nodes on PORT (0: any free\n"
    "port; HOST defaults to 127.0.0.1).\n"
    "  --tokens-file=PATH    one workspace per line: [NAME=]TOKEN [APP_TOKEN]\n"
    "                        ('#' starts a comment); with an app-level token\n"
    "                        (xapp-...) after the bot token, the workspace\n"
    "                        is served over Socket Mode, else over RTM.\n"
    "                        SIGHUP re-reads it (default: $SLACKRTM_TOKENS,\n"
    "                        the same items comma-separated; without it,\n"
    "                        one workspace from SLACK_BOT_TOKEN and\n"
    "                        SLACK_APP_TOKEN as below)\n"
    "  --secret-file=PATH    what nodes must present (default:\n"
    "                        $SLACKRTM_HUB_SECRET)\n"
    "  --expect=TYPES        hold these event types for nodes from the start\n"
    "  --hold=N              events held per type while no node serves it\n"
    "                        (default 10000; then the oldest are dropped)\n"
    "  --port-file=PATH      write the port there once listening\n"
    "  --node-cert, --node-key, --node-ca  TLS between hub and nodes\n"
    "  --plain-tcp-beyond-loopback  without TLS, listen on a HOST other than\n"
    "                        loopback anyway (events cross in clear)\n";

// A workspace's tokens: the bot token, and the app-level token when it is
// served over Socket Mode.
struct workspace_tokens {
  std::string bot;
  std::string app;

  bool operator==(const workspace_tokens& other) const {
    return bot == other.bot && app == other.app;
  }
};

using workspace_list = std::map<std::string, workspace_tokens>; // by name

// Lines come from the lifecycle worker, the signal thread and main: each
// is written whole.
std::mutex out_mtx;

template <class... Ts>
void say(const Ts&... xs) {
  std::lock_guard<std::mutex> guard{out_mtx};
  (std::cout << ... << xs) << std::endl;
}

// Parses `[NAME=]TOKEN [APP_TOKEN]` items; unnamed ones are called
// workspace-N.
bool add_item(std::string item, workspace_list& out, std::size_t& unnamed) {
  while (!item.empty() && (item.back() == ' ' || item.back() == '\r'))
    item.pop_back();
  item.erase(0, item.find_first_not_of(' '));
  if (item.empty() || item[0] == '#')
    return true;
  auto eq = item.find('=');
  std::string name = eq == std::string::npos
                         ? "workspace-" + std::to_string(++unnamed)
                         : item.substr(0, eq);
  std::stringstream rest{eq == std::string::npos ? item : item.substr(eq + 1)};
  workspace_tokens tokens;
  std::string extra;
  rest >> tokens.bot >> tokens.app >> extra;
  if (name.empty() || tokens.bot.empty() || !extra.empty() ||
      out.count(name) > 0)
    return false;
  out.emplace(std::move(name), std::move(tokens));
  return true;
}

std::optional<workspace_list> read_tokens(const std::string& file) {
  workspace_list result;
  std::size_t unnamed = 0;
  std::string line;
  if (!file.empty()) {
    std::ifstream in{file};
    if (!in) {
      std::cerr << "slackrtm-hub: cannot read the tokens file " << file << "\n";
      return std::nullopt;
    }
    for (int n = 1; std::getline(in, line); ++n)
      if (!add_item(line, result, unnamed)) {
        std::cerr << "slackrtm-hub: " << file << ":" << n
                  << ": want [NAME=]TOKEN [APP_TOKEN] with a name used "
                     "once\n";
        return std::nullopt;
      }
    return result;
  }
  auto env = std::getenv("SLACKRTM_TOKENS");
  if (!env || !*env) {
    // One workspace from the variables every other program reads, as
    // --help says (common_usage).
    auto bot = std::getenv("SLACK_BOT_TOKEN");
    if (!bot || !*bot)
      bot = std::getenv("SLACK_API_TOKEN");
    auto app = std::getenv("SLACK_APP_TOKEN");
    if (bot && *bot)
      result.emplace("workspace-1", workspace_tokens{bot, app ? app : ""});
    return result;
  }
  std::stringstream items{env};
  while (std::getline(items, line, ','))
    if (!add_item(line, result, unnamed)) {
      std::cerr << "slackrtm-hub: SLACKRTM_TOKENS: want comma-separated "
                   "[NAME=]TOKEN [APP_TOKEN] with names used once\n";
      return std::nullopt;
    }
  return result;
}

// Makes the hub serve exactly `wanted`: adds, removes, and replaces a
// workspace whose tokens changed. Touches no other workspace; one with bad
// options is left out, with the reason on stderr.
void apply(slackrtm::hub& hub, const slackrtm::client_options& defaults,
           workspace_list& current, const workspace_list& wanted) {
  for (auto i = current.begin(); i != current.end();) {
    auto w = wanted.find(i->first);
    if (w == wanted.end() || !(w->second == i->second)) {
      hub.remove(i->first);
      i = current.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& [name, tokens] : wanted) {
    if (current.count(name) > 0)
      continue;
    auto options = defaults;
    options.token = tokens.bot;
    options.app_token = tokens.app;
    try {
      hub.add(name, options);
      current.emplace(name, tokens);
    } catch (const std::invalid_argument& ex) {
      say("workspace ", name, " left out: ", ex.what());
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  // SIGHUP joins the signals that only the watcher thread takes.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto args = slackrtm::cli::parse(argc, argv, "slackrtm-hub", false);
  if (!args)
    return 2;
  if (args->help) {
    std::cout << usage << slackrtm::cli::common_usage();
    return 0;
  }
  slackrtm::hub_options opts;
  opts.defaults = args->options;
  std::string listen, tokens_file, secret_file, port_file, expect;
  for (auto& arg : args->rest) {
    std::string value;
    if (slackrtm::cli::take(arg, "listen", value))
      listen = value;
    else if (slackrtm::cli::take(arg, "tokens-file", value))
      tokens_file = value;
    else if (slackrtm::cli::take(arg, "secret-file", value))
      secret_file = value;
    else if (slackrtm::cli::take(arg, "port-file", value))
      port_file = value;
    else if (slackrtm::cli::take(arg, "expect", value))
      expect = value;
    else if (slackrtm::cli::take(arg, "node-cert", value))
      opts.node_cert = value;
    else if (slackrtm::cli::take(arg, "node-key", value))
      opts.node_key = value;
    else if (slackrtm::cli::take(arg, "node-ca", value))
      opts.node_ca = value;
    else if (arg == "--plain-tcp-beyond-loopback")
      opts.plain_tcp_beyond_loopback = true;
    else if (slackrtm::cli::take(arg, "hold", value) &&
             value.find_first_not_of("0123456789") == std::string::npos &&
             !value.empty() && value.size() < 10)
      opts.hold_capacity = std::stoul(value);
    else {
      std::cerr << "slackrtm-hub: bad argument '" << arg << "'\n" << usage;
      return 2;
    }
  }
  std::string host;
  std::uint16_t port = 0;
  if (listen.empty() ||
      !slackrtm::cli::parse_endpoint(listen, "127.0.0.1", true, host, port)) {
    std::cerr << "slackrtm-hub: --listen=[HOST:]PORT is required\n" << usage;
    return 2;
  }
  auto secret = slackrtm::cli::read_secret(secret_file, "slackrtm-hub");
  if (!secret)
    return 2;
  opts.secret = *secret;
  auto wanted = read_tokens(tokens_file);
  if (!wanted)
    return 2;
  if (wanted->empty()) {
    std::cerr << "slackrtm-hub: no workspace: pass --tokens-file or set "
                 "SLACKRTM_TOKENS or SLACK_BOT_TOKEN\n";
    return 2;
  }
  try {
    slackrtm::hub hub{opts};
    std::stringstream types{expect};
    for (std::string type; std::getline(types, type, ',');)
      if (!type.empty())
        hub.expect(type);
    hub.on_lifecycle(
        [](const std::string& workspace, const slackrtm::lifecycle_event& ev) {
          say("workspace ", workspace, ": ", to_string(ev.kind),
              ev.reason.empty() ? "" : " (" + ev.reason + ")");
        });
    workspace_list current;
    apply(hub, opts.defaults, current, *wanted);
    auto bound = hub.listen(port, host);
    say("slackrtm-hub listening on ", host, ":", bound,
        " for handler nodes, serving ", current.size(), " workspace(s)");
    if (!port_file.empty()) {
      auto tmp = port_file + ".tmp";
      std::ofstream{tmp} << bound << "\n";
      std::rename(tmp.c_str(), port_file.c_str());
    }
    std::thread{[&hub, &current, &opts, signals, tokens_file] {
      for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0 || sig != SIGHUP) {
          hub.close();
          return;
        }
        if (auto next = read_tokens(tokens_file)) {
          apply(hub, opts.defaults, current, *next);
          say("reloaded: serving ", current.size(), " workspace(s)");
        }
      }
    }}.detach();
    hub.start();
    auto s = hub.stats();
    say("hub: ", s.events, " events, ", s.redelivered, " redelivered, ", s.held,
        " held, ", s.held_dropped, " dropped from the hold, ", s.unhandled,
        " unhandled");
    return 0;
  } catch (...) {
    return slackrtm::cli::report_failure("slackrtm-hub");
  }
}

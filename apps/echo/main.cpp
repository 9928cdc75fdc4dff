// slackrtm-echo: the seeds' bot. Answers every message containing "Hello"
// with "Hi <@USER>!" in a thread on that message, through chat.postMessage,
// over RTM or (with SLACK_APP_TOKEN) Socket Mode; in Socket Mode it also
// answers the slash command /echo. With --hub it is a handler node of a
// slackrtm-hub instead: it holds no token, and its replies go out through
// the hub.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "apps/common/cli.hpp"
#include "slackrtm/slackrtm.hpp"

namespace {

const char* usage =
    "usage: slackrtm-echo [options]\n"
    "       slackrtm-echo --hub=[HOST:]PORT [--secret-file=PATH]\n"
    "                     [--node-cert=PEM --node-key=PEM] [--node-ca=PEM]\n"
    "Answers \"Hello\" with \"Hi <@USER>!\" in a thread; in Socket Mode\n"
    "(SLACK_APP_TOKEN set) also the slash command /echo TEXT. With --hub,\n"
    "runs as a handler node of slackrtm-hub (no token; the secret comes\n"
    "from --secret-file or SLACKRTM_HUB_SECRET).\n"
    "  --via-socket          reply over the RTM socket (the seeds'\n"
    "                        rtm_send_message) instead of chat.postMessage\n";

// Set by --via-socket.
bool via_socket = false;

// Writes `line` whole: handlers run on several threads at once.
void say(std::ostream& out, const std::string& line) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  out << line << std::endl;
}

// The seeds' handler, the same for a lone bot and a handler node.
void echo(slackrtm::context& ctx, const nlohmann::json& event) {
  auto text = event.value("text", std::string{});
  if (text.find("Hello") == std::string::npos)
    return;
  auto user = event.value("user", std::string{});
  // The bot's own messages are skipped already (skip_self_events); other
  // bots' ones are not answered.
  if (user.empty() || event.contains("bot_id"))
    return;
  auto channel = event.value("channel", std::string{});
  auto ts = event.value("ts", std::string{});
  auto where = ctx.workspace().empty() ? "" : " [" + ctx.workspace() + "]";
  try {
    auto text = "Hi <@" + user + ">!";
    auto reply = via_socket
                     ? ctx.send_message(channel, text, ts).get()
                     : ctx.web_client().chat_postMessage(channel, text, ts);
    say(std::cout, "replied to <@" + user + "> in " + channel + " (thread " +
                       ts + ", reply " + reply.value("ts", std::string{}) +
                       ")" + where);
  } catch (const slackrtm::api_error& ex) {
    say(std::cerr, "slackrtm-echo: could not reply in " + channel + where +
                       ": " + ex.what());
  } catch (const slackrtm::transport_error& ex) {
    say(std::cerr, "slackrtm-echo: could not reply in " + channel + where +
                       ": " + ex.what());
  }
}

// Socket Mode's `/echo TEXT`: answered at once, in the acknowledgement.
nlohmann::json echo_command(slackrtm::context&, const slackrtm::event& cmd) {
  auto text = std::string{cmd.string("text")};
  if (text.empty())
    return {{"response_type", "ephemeral"}, {"text", "Usage: /echo TEXT"}};
  return {{"response_type", "in_channel"}, {"text", text}};
}

int run_node(const slackrtm::cli::parsed& args) {
  slackrtm::node_options opts;
  std::string secret_file;
  for (auto& arg : args.rest) {
    std::string value;
    if (slackrtm::cli::take(arg, "hub", value)) {
      if (!slackrtm::cli::parse_endpoint(value, "127.0.0.1", false,
                                         opts.hub_host, opts.hub_port)) {
        std::cerr << "slackrtm-echo: --hub wants [HOST:]PORT, got '" << value
                  << "'\n";
        return 2;
      }
    } else if (arg == "--via-socket") {
      via_socket = true;
    } else if (slackrtm::cli::take(arg, "secret-file", value)) {
      secret_file = value;
    } else if (slackrtm::cli::take(arg, "node-cert", value)) {
      opts.tls_cert = value;
    } else if (slackrtm::cli::take(arg, "node-key", value)) {
      opts.tls_key = value;
    } else if (slackrtm::cli::take(arg, "node-ca", value)) {
      opts.tls_ca = value;
    } else {
      std::cerr << "slackrtm-echo: unknown argument '" << arg << "'\n" << usage;
      return 2;
    }
  }
  auto secret = slackrtm::cli::read_secret(secret_file, "slackrtm-echo");
  if (!secret)
    return 2;
  opts.secret = *secret;
  opts.level = args.options.level;
  try {
    slackrtm::node node{opts};
    node.on("message", echo);
    slackrtm::cli::watch_signals([&node] { node.close(); });
    node.start();
    return 0;
  } catch (...) {
    return slackrtm::cli::report_failure("slackrtm-echo");
  }
}

} // namespace

int main(int argc, char** argv) {
  slackrtm::cli::block_signals();
  std::string hub;
  for (int i = 1; i < argc; ++i)
    slackrtm::cli::take(argv[i], "hub", hub);
  auto args = slackrtm::cli::parse(argc, argv, "slackrtm-echo", hub.empty());
  if (!args)
    return 2;
  if (args->help) {
    std::cout << usage << slackrtm::cli::common_usage();
    return 0;
  }
  if (!hub.empty())
    return run_node(*args);
  auto& rest = args->rest;
  if (auto flag = std::find(rest.begin(), rest.end(), "--via-socket");
      flag != rest.end()) {
    via_socket = true;
    rest.erase(flag);
  }
  if (!args->rest.empty()) {
    std::cerr << "slackrtm-echo: unknown argument '" << args->rest.front()
              << "'\n"
              << usage << slackrtm::cli::common_usage();
    return 2;
  }
  if (via_socket && !args->options.app_token.empty()) {
    std::cerr << "slackrtm-echo: --via-socket is for RTM: Socket Mode sends "
                 "nothing over its socket\n";
    return 2;
  }
  try {
    slackrtm::client rtm{args->options};
    rtm.on("message", echo);
    rtm.on_slash_command("/echo", echo_command);
    slackrtm::cli::watch_signals([&rtm] { rtm.close(); });
    rtm.start();
    return 0;
  } catch (...) {
    return slackrtm::cli::report_failure("slackrtm-echo");
  }
}

// slackrtm-say: the 1.x seed's rtm_send_message as a tool. Sends one message
// over the RTM socket, waits for Slack's acknowledgement and prints its ts.
#include <cctype>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "apps/common/cli.hpp"
#include "slackrtm/slackrtm.hpp"

namespace {

const char* usage =
    "usage: slackrtm-say [options] CHANNEL TEXT [--thread=TS] [--broadcast]\n"
    "Sends TEXT to CHANNEL over the RTM socket and prints the ts Slack\n"
    "acknowledged. CHANNEL is an id (C.., G.., D..) or a channel name\n"
    "(general or #general).\n"
    "  --thread=TS           reply in the thread of the message TS\n"
    "  --broadcast           with --thread: also show the reply in the "
    "channel\n"
    "  --                    the arguments after it are CHANNEL and TEXT\n";

struct say_args {
  std::string channel;
  std::string text;
  std::string thread_ts;
  bool broadcast = false;
};

int usage_error(const std::string& message) {
  std::cerr << "slackrtm-say: " << message << '\n'
            << usage << slackrtm::cli::common_usage();
  return 2;
}

// Ids are upper case (C0GENERAL, G0PRIVATE, D0USER001); names never are.
bool looks_like_id(const std::string& s) {
  if (s.size() < 2 || (s[0] != 'C' && s[0] != 'G' && s[0] != 'D'))
    return false;
  for (char c : s)
    if (!std::isupper(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

// The id of the public or private channel named `name`, following
// conversations.list's cursors; nullopt when there is none. An archived
// channel counts only when no live one has the name.
std::optional<std::string> find_channel(slackrtm::web_client& web,
                                        const std::string& name) {
  std::optional<std::string> archived;
  std::string cursor;
  do {
    nlohmann::json params = {{"types", "public_channel,private_channel"},
                             {"limit", "200"}};
    if (!cursor.empty())
      params["cursor"] = cursor;
    auto page = web.api_call("conversations.list", params);
    for (const auto& channel : page.value("channels", nlohmann::json::array()))
      if (channel.value("name", "") == name) {
        if (!channel.value("is_archived", false))
          return channel.value("id", "");
        archived = channel.value("id", "");
      }
    cursor.clear();
    if (auto meta = page.find("response_metadata");
        meta != page.end() && meta->is_object())
      cursor = meta->value("next_cursor", "");
  } while (!cursor.empty());
  return archived;
}

// Slack's words for a refused message: the `msg` of its error reply.
std::string slack_msg(const slackrtm::api_error& ex) {
  const auto& reply = ex.response();
  if (reply.is_object())
    if (auto error = reply.find("error");
        error != reply.end() && error->is_object())
      if (auto msg = error->find("msg");
          msg != error->end() && msg->is_string())
        return msg->get<std::string>();
  return ex.error();
}

} // namespace

int main(int argc, char** argv) {
  slackrtm::cli::block_signals();
  auto args = slackrtm::cli::parse(argc, argv, "slackrtm-say");
  if (!args)
    return 2;
  if (args->help) {
    std::cout << usage << slackrtm::cli::common_usage();
    return 0;
  }
  say_args say;
  std::vector<std::string> positional;
  bool options_done = false;
  for (const auto& arg : args->rest) {
    std::string value;
    if (options_done || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      positional.push_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (slackrtm::cli::take(arg, "thread", value)) {
      if (value.empty())
        return usage_error("--thread wants the ts of a message");
      say.thread_ts = value;
    } else if (arg == "--broadcast") {
      say.broadcast = true;
    } else {
      return usage_error("unknown option '" + arg + "'");
    }
  }
  if (positional.size() != 2)
    return usage_error("wants CHANNEL and TEXT");
  say.channel = positional[0];
  say.text = positional[1];
  if (say.channel.empty() || say.channel == "#" || say.text.empty())
    return usage_error("CHANNEL and TEXT must not be empty");
  if (say.broadcast && say.thread_ts.empty())
    return usage_error("--broadcast goes with --thread");

  try {
    slackrtm::client rtm{args->options};
    slackrtm::cli::watch_signals([&rtm] { rtm.close(); });
    // Connecting runs alongside the name look-up.
    rtm.connect();

    std::string channel = say.channel;
    bool by_name = channel[0] == '#';
    if (by_name)
      channel.erase(0, 1);
    if (by_name || !looks_like_id(channel)) {
      auto id = find_channel(rtm.web_client(), channel);
      if (!id) {
        std::cerr << "slackrtm-say: no channel named '" << channel
                  << "' (public or private, that this bot can see)"
                  << std::endl;
        return 1;
      }
      channel = *id;
    }

    nlohmann::json frame = {
        {"type", "message"}, {"channel", channel}, {"text", say.text}};
    if (!say.thread_ts.empty())
      frame["thread_ts"] = say.thread_ts;
    if (say.broadcast)
      frame["reply_broadcast"] = true;
    // A socket lost before the acknowledgement is replaced and the frame
    // sent again by the client (at-least-once); the future settles once.
    nlohmann::json ack;
    try {
      ack = rtm.send(std::move(frame)).get();
    } catch (const slackrtm::transport_error&) {
      // A refused token stops the client: name Slack's code rather than
      // the send's "connection failed" (wait() rethrows it at once then).
      if (rtm.state() == slackrtm::connection_state::closed)
        rtm.wait();
      throw;
    }
    std::cout << ack.value("ts", "") << std::endl;
    rtm.close();
    return 0;
  } catch (const slackrtm::api_error& ex) {
    if (ex.method() == "rtm.send")
      std::cerr << "slackrtm-say: Slack refused the message: " << slack_msg(ex)
                << std::endl;
    else
      std::cerr << "slackrtm-say: " << ex.method() << " failed: " << ex.error()
                << std::endl;
    return 1;
  } catch (const std::exception& ex) {
    std::cerr << "slackrtm-say: " << ex.what() << std::endl;
    return 1;
  }
}

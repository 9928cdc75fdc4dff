// slackrtm-echo: the seeds' bot. Answers every message containing "Hello"
// with "Hi <@USER>!" in a thread on that message, through chat.postMessage.
#include <cstdlib>
#include <iostream>

#include "apps/common/cli.hpp"
#include "slackrtm/slackrtm.hpp"

namespace {

const char* usage = "usage: slackrtm-echo [options]\n"
                    "Answers \"Hello\" with \"Hi <@USER>!\" in a thread.\n";

} // namespace

int main(int argc, char** argv) {
  slackrtm::cli::block_signals();
  auto args = slackrtm::cli::parse(argc, argv, "slackrtm-echo");
  if (!args)
    return 2;
  if (args->help) {
    std::cout << usage << slackrtm::cli::common_usage();
    return 0;
  }
  if (!args->rest.empty()) {
    std::cerr << "slackrtm-echo: unknown argument '" << args->rest.front()
              << "'\n"
              << usage << slackrtm::cli::common_usage();
    return 2;
  }
  try {
    slackrtm::client rtm{args->options};
    rtm.on(
        "message", [&rtm](slackrtm::context& ctx, const nlohmann::json& event) {
          auto text = event.value("text", std::string{});
          if (text.find("Hello") == std::string::npos)
            return;
          auto user = event.value("user", std::string{});
          auto self = rtm.identity();
          if (user.empty() || event.contains("bot_id") ||
              (self.contains("self") && self["self"].value("id", "") == user))
            return;
          auto channel = event.value("channel", std::string{});
          auto ts = event.value("ts", std::string{});
          try {
            auto reply = ctx.web_client().chat_postMessage(
                channel, "Hi <@" + user + ">!", ts);
            std::cout << "replied to <@" << user << "> in " << channel
                      << " (thread " << ts << ", reply "
                      << reply.value("ts", std::string{}) << ")" << std::endl;
          } catch (const slackrtm::api_error& ex) {
            std::cerr << "slackrtm-echo: could not reply in " << channel << ": "
                      << ex.what() << std::endl;
          } catch (const slackrtm::transport_error& ex) {
            std::cerr << "slackrtm-echo: could not reply in " << channel << ": "
                      << ex.what() << std::endl;
          }
        });
    slackrtm::cli::watch_signals([&rtm] { rtm.close(); });
    rtm.start();
    return 0;
  } catch (...) {
    return slackrtm::cli::report_failure("slackrtm-echo");
  }
}

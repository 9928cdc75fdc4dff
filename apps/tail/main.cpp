// slackrtm-tail: the 1.x seed's rtm_read loop as a tool. Prints every event
// as one compact JSON line on stdout, in arrival order; logs go to stderr.
#include <iostream>
#include <set>
#include <string>

#include "apps/common/cli.hpp"
#include "slackrtm/slackrtm.hpp"

namespace {

const char* usage =
    "usage: slackrtm-tail [options] [--include=TYPES] [--exclude=TYPES]\n"
    "Prints every event (RTM, or Socket Mode with SLACK_APP_TOKEN) as one\n"
    "JSON line, in arrival order.\n"
    "  --include=TYPES       only these event types (comma-separated)\n"
    "  --exclude=TYPES       not these event types (comma-separated)\n";

std::set<std::string> split_types(const std::string& list) {
  std::set<std::string> types;
  std::string::size_type start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    auto end = comma == std::string::npos ? list.size() : comma;
    if (end > start)
      types.insert(list.substr(start, end - start));
    start = end + 1;
  }
  return types;
}

} // namespace

int main(int argc, char** argv) {
  slackrtm::cli::block_signals();
  auto args = slackrtm::cli::parse(argc, argv, "slackrtm-tail");
  if (!args)
    return 2;
  if (args->help) {
    std::cout << usage << slackrtm::cli::common_usage();
    return 0;
  }
  std::set<std::string> include;
  std::set<std::string> exclude;
  for (const auto& arg : args->rest) {
    std::string value;
    if (slackrtm::cli::take(arg, "include", value)) {
      include = split_types(value);
      if (include.empty()) {
        std::cerr << "slackrtm-tail: --include wants event types\n"
                  << usage << slackrtm::cli::common_usage();
        return 2;
      }
    } else if (slackrtm::cli::take(arg, "exclude", value)) {
      exclude = split_types(value);
    } else {
      std::cerr << "slackrtm-tail: unknown argument '" << arg << "'\n"
                << usage << slackrtm::cli::common_usage();
      return 2;
    }
  }
  try {
    auto options = args->options;
    // Every event, the bot's own messages included.
    options.skip_self_events = false;
    slackrtm::client rtm{options};
    // One worker: lines come out in the order the events came in, across
    // conversations too.
    auto print = [&](slackrtm::context&, const nlohmann::json& event) {
      auto type = event.value("type", std::string{});
      bool wanted = include.empty() || include.count(type) != 0;
      if (!wanted || exclude.count(type) != 0)
        return;
      std::cout << event.dump(-1, ' ', false,
                              nlohmann::json::error_handler_t::replace)
                << std::endl;
      if (!std::cout) {
        // The reader went away (a closed pipe): nothing left to do.
        rtm.close();
      }
    };
    rtm.on("*", print, 1);
    slackrtm::cli::watch_signals([&rtm] { rtm.close(); });
    rtm.start();
    return 0;
  } catch (...) {
    return slackrtm::cli::report_failure("slackrtm-tail");
  }
}

// The programs' shared command-line conventions.
#include "apps/common/cli.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <pthread.h>
#include <unistd.h>

#include "slackrtm/error.hpp"

namespace slackrtm::cli {

namespace {

bool parse_seconds(const std::string& text, std::chrono::milliseconds& out) {
  char* end = nullptr;
  auto value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value > 0) || value > 86400)
    return false;
  out = std::chrono::milliseconds{static_cast<long long>(value * 1000)};
  return out.count() > 0;
}

} // namespace

const char* common_usage() {
  return "  --api-url=URL         Web API base URL (default: $SLACK_API_URL "
         "or\n"
         "                        https://slack.com/api/)\n"
         "  --ping-interval=SECS  seconds between pings (default 5)\n"
         "  --log-level=LEVEL     debug, info, warning, error or off\n"
         "  --ca-file=PEM         extra trusted CA certificates\n"
         "  --proxy=URL           HTTP proxy (http://[user:pass@]host:port) "
         "for\n"
         "                        the Web API and the socket; 'direct' for "
         "none\n"
         "                        (default: $https_proxy/$http_proxy, "
         "$no_proxy)\n"
         "  --socket-mode         Socket Mode (needs SLACK_APP_TOKEN); the\n"
         "                        default whenever SLACK_APP_TOKEN is set\n"
         "  --help                this text\n"
         "The bot token comes from SLACK_BOT_TOKEN, else SLACK_API_TOKEN. "
         "With\n"
         "SLACK_APP_TOKEN (xapp-...) set, events come over Socket Mode and "
         "the\n"
         "bot token serves the Web API; without it, over RTM.\n";
}

bool take(const std::string& arg, const char* name, std::string& value) {
  std::string prefix = std::string{"--"} + name + "=";
  if (arg.rfind(prefix, 0) != 0)
    return false;
  value = arg.substr(prefix.size());
  return true;
}

std::optional<parsed> parse(int argc, char** argv, const char* program,
                            bool need_token) {
  parsed result;
  auto& opts = result.options;
  if (auto url = std::getenv("SLACK_API_URL"); url && *url)
    opts.base_url = url;
  bool socket_mode = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (arg == "--help" || arg == "-h") {
      result.help = true;
    } else if (take(arg, "api-url", value)) {
      opts.base_url = value;
    } else if (take(arg, "ping-interval", value)) {
      if (!parse_seconds(value, opts.ping_interval)) {
        std::cerr << program << ": --ping-interval wants a positive number "
                  << "of seconds, got '" << value << "'\n";
        return std::nullopt;
      }
    } else if (take(arg, "log-level", value)) {
      if (!parse_log_level(value, opts.level)) {
        std::cerr << program << ": unknown log level '" << value << "'\n";
        return std::nullopt;
      }
    } else if (take(arg, "ca-file", value)) {
      opts.tls.ca_file = value;
    } else if (take(arg, "proxy", value)) {
      opts.proxy = value;
    } else if (arg == "--socket-mode") {
      socket_mode = true;
    } else {
      result.rest.push_back(arg);
    }
  }
  if (result.help || !need_token)
    return result;
  if (auto token = std::getenv("SLACK_BOT_TOKEN"); token && *token)
    opts.token = token;
  else if (auto token = std::getenv("SLACK_API_TOKEN"); token && *token)
    opts.token = token;
  if (opts.token.empty()) {
    std::cerr << program
              << ": no token: set SLACK_BOT_TOKEN (or SLACK_API_TOKEN)\n";
    return std::nullopt;
  }
  if (auto token = std::getenv("SLACK_APP_TOKEN"); token && *token)
    opts.app_token = token;
  if (socket_mode && opts.app_token.empty()) {
    std::cerr << program
              << ": --socket-mode needs the app-level token in "
                 "SLACK_APP_TOKEN (xapp-...)\n";
    return std::nullopt;
  }
  return result;
}

bool parse_endpoint(const std::string& text, const std::string& default_host,
                    bool allow_zero, std::string& host, std::uint16_t& port) {
  auto colon = text.rfind(':');
  host = colon == std::string::npos ? default_host : text.substr(0, colon);
  auto digits = colon == std::string::npos ? text : text.substr(colon + 1);
  if (host.empty() || digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto value = std::stoul(digits);
  if (value > 65535 || (value == 0 && !allow_zero))
    return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

std::optional<std::string> read_secret(const std::string& file,
                                       const char* program) {
  std::string secret;
  if (!file.empty()) {
    std::ifstream in{file};
    if (!in) {
      std::cerr << program << ": cannot read the secret file " << file << "\n";
      return std::nullopt;
    }
    std::getline(in, secret);
    while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' '))
      secret.pop_back();
  } else if (auto env = std::getenv("SLACKRTM_HUB_SECRET"); env) {
    secret = env;
  }
  if (secret.empty()) {
    std::cerr << program << ": no secret: set SLACKRTM_HUB_SECRET or pass "
              << "--secret-file\n";
    return std::nullopt;
  }
  return secret;
}

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace

void block_signals() {
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void watch_signals(std::function<void()> on_signal) {
  auto set = stop_signals();
  std::thread{[set, on_signal = std::move(on_signal)] {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      return;
    on_signal();
    // A second signal while closing is the user insisting: no more waiting
    // for handlers or close handshakes.
    if (sigwait(&set, &sig) == 0) {
      static const char msg[] = "interrupted again: exiting at once\n";
      [[maybe_unused]] auto n = write(2, msg, sizeof(msg) - 1);
      _exit(128 + sig);
    }
  }}.detach();
}

int report_failure(const char* program) {
  try {
    throw;
  } catch (const api_error& ex) {
    std::cerr << program << ": Slack refused to connect: " << ex.error()
              << std::endl;
  } catch (const std::exception& ex) {
    std::cerr << program << ": " << ex.what() << std::endl;
  } catch (...) {
    std::cerr << program << ": unknown error" << std::endl;
  }
  return 1;
}

} // namespace slackrtm::cli

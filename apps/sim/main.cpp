// main.cpp — slackrtm-sim's command line; the simulator itself lives in
// simulator.cpp (behaviour) and server.cpp (network).
#include "server.hpp"

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

const char* const usage =
    "usage: slackrtm-sim [--port=N] [--host=127.0.0.1] [--token=TOKEN]...\n"
    "                    [--tls-cert=PEM --tls-key=PEM] [--url-ttl=SECONDS]\n"
    "                    [--port-file=PATH] [--quiet] [--lenient-urls]\n"
    "                    [--users=N] [--channels=N]\n";

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "slackrtm-sim: " << message << '\n' << usage;
  std::exit(2);
}

long parse_number(const std::string& name, const std::string& value, long lo,
                  long hi) {
  char* end = nullptr;
  errno = 0;
  long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || n < lo || n > hi)
    fail("--" + name + " wants a number from " + std::to_string(lo) + " to " +
         std::to_string(hi) + ", not '" + value + "'");
  return n;
}

} // namespace

int main(int argc, char** argv) {
  sim::server_options opts;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--quiet") {
      opts.quiet = true;
      continue;
    }
    if (arg == "--lenient-urls") {
      opts.lenient_urls = true;
      continue;
    }
    if (arg.substr(0, 2) != "--")
      fail("unexpected argument '" + std::string(arg) + "'");
    auto eq = arg.find('=');
    std::string name(arg.substr(2, eq == arg.npos ? arg.npos : eq - 2));
    std::string value;
    if (eq != arg.npos)
      value = std::string(arg.substr(eq + 1));
    else if (i + 1 < argc)
      value = argv[++i]; // "--port 8080" works too
    else
      fail("--" + name + " needs a value");

    if (name == "port")
      opts.port =
          static_cast<unsigned short>(parse_number(name, value, 0, 65535));
    else if (name == "host")
      opts.host = value;
    else if (name == "token")
      opts.tokens.push_back(value);
    else if (name == "tls-cert")
      opts.tls_cert = value;
    else if (name == "tls-key")
      opts.tls_key = value;
    else if (name == "url-ttl")
      opts.url_ttl = parse_number(name, value, 0, 86400);
    else if (name == "port-file")
      opts.port_file = value;
    else if (name == "users")
      opts.extra_users = static_cast<int>(parse_number(name, value, 0, 100000));
    else if (name == "channels")
      opts.extra_channels =
          static_cast<int>(parse_number(name, value, 0, 100000));
    else
      fail("unknown option '--" + name + "'");
  }
  // Loopback only: the simulator accepts any well-formed request, by design.
  if (opts.host != "127.0.0.1" && opts.host != "::1" &&
      opts.host != "localhost")
    fail("--host must be a loopback address (127.0.0.1, ::1, localhost)");
  if (opts.tls_cert.empty() != opts.tls_key.empty())
    fail("--tls-cert and --tls-key go together");
  if (opts.tokens.empty())
    opts.tokens.push_back("xoxb-sim-token");
  return sim::run_server(opts);
}

// main.cpp — slackrtm-sim's command line; the simulator's behaviour is in
// simulator.hpp's class, its network in server.cpp and websocket.cpp.
#include "server.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace {

const char* const usage =
    "usage: slackrtm-sim [--port=N] [--host=127.0.0.1] [--token=TOKEN]...\n"
    "                    [--workspace=TEAM_ID:TOKEN[:NAME]]...\n"
    "                    [--app-token=[TEAM_ID:]xapp-TOKEN]...\n"
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

const char* const default_team = "T0SIM0001";

// "TEAM_ID:TOKEN[:NAME]". Messages never quote the value: it holds a token.
sim::workspace_option parse_workspace(const std::string& value) {
  const char* const syntax = "--workspace wants TEAM_ID:TOKEN[:NAME]";
  auto colon = value.find(':');
  if (colon == std::string::npos)
    fail(syntax);
  sim::workspace_option w;
  w.id = value.substr(0, colon);
  auto rest = value.substr(colon + 1);
  auto name_at = rest.find(':');
  w.token = rest.substr(0, name_at);
  if (name_at != std::string::npos) {
    w.name = rest.substr(name_at + 1);
    if (w.name.empty())
      fail(std::string(syntax) + " (the NAME, when given, is not empty)");
  }
  bool id_ok = w.id.size() >= 2 && w.id.size() <= 32 && w.id[0] == 'T' &&
               std::all_of(w.id.begin(), w.id.end(), [](char c) {
                 return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
               });
  if (!id_ok)
    fail(std::string(syntax) + " (TEAM_ID: T and up to 31 capital letters "
                               "and digits)");
  if (w.token.empty())
    fail(std::string(syntax) + " (TOKEN is not empty)");
  if (w.name.empty())
    w.name = w.id;
  return w;
}

// "[TEAM_ID:]xapp-...": a team's Socket Mode app token. Messages never
// quote the value.
sim::app_token_option parse_app_token(const std::string& value) {
  sim::app_token_option a;
  auto colon = value.find(':');
  if (colon != std::string::npos)
    a.team = value.substr(0, colon);
  a.token = value.substr(colon == std::string::npos ? 0 : colon + 1);
  if (a.token.compare(0, 5, "xapp-") != 0 || a.token.size() == 5)
    fail("--app-token wants [TEAM_ID:]xapp-TOKEN");
  return a;
}

// Each team once, each token in one team only; T0SIM0001 is --token's.
void check_workspaces(const sim::server_options& opts) {
  std::map<std::string, std::string> owner; // token -> team
  for (const auto& t : opts.tokens)
    owner[t] = default_team;
  std::set<std::string> teams = {default_team};
  for (const auto& w : opts.workspaces) {
    if (w.id == default_team)
      fail("--workspace: " + w.id +
           " is the default team; give its tokens with --token");
    if (!teams.insert(w.id).second)
      fail("--workspace: team " + w.id + " is given twice");
    auto [i, fresh] = owner.emplace(w.token, w.id);
    if (!fresh)
      fail("--workspace: the token of team " + w.id +
           " already belongs to team " + i->second);
  }
  std::set<std::string> apps;
  for (const auto& a : opts.app_tokens) {
    auto team = a.team.empty() ? std::string(default_team) : a.team;
    if (teams.count(team) == 0)
      fail("--app-token: no team " + team);
    if (!apps.insert(team).second)
      fail("--app-token: team " + team + " has an app token already");
    auto [i, fresh] = owner.emplace(a.token, team);
    if (!fresh)
      fail("--app-token: the app token of team " + team +
           " is a token of team " + i->second + " already");
  }
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
    else if (name == "workspace")
      opts.workspaces.push_back(parse_workspace(value));
    else if (name == "app-token")
      opts.app_tokens.push_back(parse_app_token(value));
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
  // The default team keeps its default token, --workspace or not, so that
  // older tests go on working.
  if (opts.tokens.empty())
    opts.tokens.push_back("xoxb-sim-token");
  check_workspaces(opts);
  return sim::run_server(opts);
}

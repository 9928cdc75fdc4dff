// server.hpp — the network side's entry point, free of Beast headers so that
// only server.cpp and websocket.cpp pay for compiling them.
#pragma once

#include <string>
#include <vector>

namespace sim {

// One --workspace: a team of its own with one token.
struct workspace_option {
  std::string id;
  std::string token;
  std::string name;
};

// One --app-token: the Socket Mode app-level token of a team (empty team:
// the default one).
struct app_token_option {
  std::string team;
  std::string token;
};

struct server_options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  // The tokens of the default team, T0SIM0001.
  std::vector<std::string> tokens;
  // Further teams, each with its own id, name and token.
  std::vector<workspace_option> workspaces;
  // Socket Mode: at most one app token per team.
  std::vector<app_token_option> app_tokens;
  std::string tls_cert;
  std::string tls_key;
  long url_ttl = 30;
  std::string port_file;
  bool quiet = false;
  // Generated users and channels on top of the seeded team.
  int extra_users = 0;
  int extra_channels = 0;
  // Accept socket URLs without their query (clients that drop it).
  bool lenient_urls = false;
};

// Serves until SIGINT/SIGTERM; returns the process exit code.
int run_server(const server_options& opts);

} // namespace sim

// socket_hub.cpp — the registry of open WebSockets: sends, broadcasts, drops
// and floods by socket id; no networking here.
#include "socket_hub.hpp"

#include <utility>

namespace sim {

payload text_payload(std::string text) {
  return {std::make_shared<const std::string>(std::move(text)), false};
}

void socket_registry::attach(std::uint64_t id, std::shared_ptr<ws_link> link) {
  open_[id] = std::move(link);
}

void socket_registry::detach(std::uint64_t id) {
  open_.erase(id);
}

std::vector<std::uint64_t> socket_registry::open_sockets() const {
  std::vector<std::uint64_t> ids;
  for (auto& entry : open_)
    ids.push_back(entry.first);
  return ids;
}

bool socket_registry::flood(std::uint64_t conn,
                            std::shared_ptr<flood_stream> s) {
  auto i = open_.find(conn);
  if (i == open_.end())
    return false;
  i->second->flood(std::move(s));
  return true;
}

bool socket_registry::send(std::uint64_t conn, const payload& p) {
  auto i = open_.find(conn);
  if (i == open_.end())
    return false;
  i->second->send(p);
  return true;
}

std::size_t socket_registry::broadcast(const payload& p) {
  for (auto& [id, link] : open_)
    link->send(p);
  return open_.size();
}

std::vector<std::uint64_t>
socket_registry::drop(drop_mode mode, const std::vector<std::uint64_t>* only) {
  std::map<std::uint64_t, std::shared_ptr<ws_link>> victims;
  if (only) {
    for (auto id : *only)
      if (auto i = open_.find(id); i != open_.end()) {
        victims.insert(*i);
        open_.erase(i);
      }
  } else {
    victims = std::move(open_);
    open_.clear();
  }
  std::vector<std::uint64_t> ids;
  for (auto& [id, link] : victims) {
    link->drop(mode);
    ids.push_back(id);
  }
  return ids;
}

} // namespace sim

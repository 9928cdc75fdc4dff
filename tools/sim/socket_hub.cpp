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

ws_link* socket_registry::find(std::uint64_t conn) const {
  auto i = open_.find(conn);
  return i == open_.end() ? nullptr : i->second.get();
}

bool socket_registry::flood(std::uint64_t conn,
                            std::shared_ptr<flood_stream> s) {
  auto* link = find(conn);
  if (link)
    link->flood(std::move(s));
  return link != nullptr;
}

bool socket_registry::send(std::uint64_t conn, const payload& p) {
  auto* link = find(conn);
  if (link)
    link->send(p);
  return link != nullptr;
}

bool socket_registry::ping(std::uint64_t conn, const std::string& payload) {
  auto* link = find(conn);
  if (link)
    link->ping(payload);
  return link != nullptr;
}

bool socket_registry::set_faults(std::uint64_t conn, const wire_faults& f) {
  auto* link = find(conn);
  if (link)
    link->set_faults(f);
  return link != nullptr;
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

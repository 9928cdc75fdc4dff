// Duplicate filters: by content across sockets, by event id over time.
#include "actors/dedupe.hpp"

#include <functional>

namespace slackrtm {

namespace {

const nlohmann::json* member(const nlohmann::json& obj, const char* name) {
  auto i = obj.find(name);
  return i == obj.end() ? nullptr : &*i;
}

} // namespace

bool event_id_filter::admit(std::string_view id, time_point now) {
  while (!order_.empty() &&
         (order_.size() >= capacity_ || now - order_.front().at > window_)) {
    seen_.erase(order_.front().hash);
    order_.pop_front();
  }
  auto hash = static_cast<std::uint64_t>(std::hash<std::string_view>{}(id));
  if (!seen_.insert(hash).second)
    return false;
  order_.push_back({hash, now});
  return true;
}

bool overlap_filter::admit(const std::string& key, std::uint64_t session) {
  auto [i, added] = entries_.try_emplace(key);
  if (added) {
    order_.push_back(key);
    if (order_.size() > capacity_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
  }
  auto& e = i->second;
  auto seen = std::find_if(e.seen.begin(), e.seen.end(),
                           [=](auto& x) { return x.first == session; });
  if (seen == e.seen.end())
    seen = e.seen.emplace(e.seen.end(), session, 0);
  if (++seen->second <= e.delivered)
    return false;
  ++e.delivered;
  return true;
}

std::string dedupe_key(const event& ev) {
  auto type = ev.type();
  if (type == "hello" || type == "goodbye" || type == "pong")
    return {};
  auto ts = ev.string("ts");
  auto event_ts = ev.string("event_ts");
  if (ts.empty() && event_ts.empty())
    return std::string{ev.raw()};
  std::string channel;
  if (auto id = ev.get_string("channel"))
    channel = *id;
  else if (auto field = member(ev.json(), "channel");
           field && !field->is_null())
    channel = field->dump();
  std::string key;
  for (auto part :
       {type, ev.string("subtype"), std::string_view{channel}, ts, event_ts}) {
    key.append(part);
    key.push_back('\x1f');
  }
  return key;
}

} // namespace slackrtm

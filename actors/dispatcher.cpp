// Routing: type -> handler groups -> worker by conversation.
#include "actors/dispatcher.hpp"

#include <algorithm>
#include <functional>

namespace slackrtm {

namespace {

std::uint64_t hash_of(const nlohmann::json& value) {
  if (!value.is_string())
    return 0;
  auto h = std::hash<std::string_view>{}(value.get_ref<const std::string&>());
  return static_cast<std::uint64_t>(h) | 1; // never 0, which means "none"
}

const nlohmann::json* member(const nlohmann::json& obj, const char* name) {
  auto i = obj.find(name);
  return i == obj.end() ? nullptr : &*i;
}

// Picks the worker for `key` and sends it the job.
void route(caf::stateful_actor<dispatcher_state>* self, std::uint32_t gid,
           const shared_event& event, std::uint64_t key) {
  auto& group = self->state.groups[gid];
  std::uint32_t worker;
  auto bound = key != 0 ? group.bound.find(key) : group.bound.end();
  if (bound != group.bound.end()) {
    worker = bound->second.first;
    ++bound->second.second;
  } else {
    auto least = std::min_element(group.load.begin(), group.load.end());
    worker = static_cast<std::uint32_t>(least - group.load.begin());
    if (key != 0)
      group.bound.emplace(key, std::make_pair(worker, 1u));
  }
  ++group.load[worker];
  self->send(group.workers[worker], handler_job{event, gid, worker, key});
}

} // namespace

std::uint64_t conversation_key(const nlohmann::json& event) {
  if (auto channel = member(event, "channel")) {
    if (channel->is_string())
      return hash_of(*channel);
    if (channel->is_object())
      if (auto id = member(*channel, "id"))
        return hash_of(*id);
  }
  if (auto item = member(event, "item"); item && item->is_object())
    if (auto channel = member(*item, "channel"))
      return hash_of(*channel);
  if (auto user = member(event, "user"))
    return hash_of(*user);
  return 0;
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

std::string dedupe_key(const nlohmann::json& event) {
  auto text = [&](const char* name) -> std::string_view {
    auto field = member(event, name);
    if (!field || !field->is_string())
      return {};
    return field->get_ref<const std::string&>();
  };
  auto type = text("type");
  if (type == "hello" || type == "goodbye" || type == "pong")
    return {};
  auto ts = text("ts");
  auto event_ts = text("event_ts");
  if (ts.empty() && event_ts.empty())
    return event.dump();
  std::string channel;
  if (auto field = member(event, "channel"); field && !field->is_null())
    channel = field->is_string() ? field->get<std::string>() : field->dump();
  std::string key;
  for (auto part :
       {type, text("subtype"), std::string_view{channel}, ts, event_ts}) {
    key.append(part);
    key.push_back('\x1f');
  }
  return key;
}

caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self,
                         dispatcher_config cfg) {
  self->state.overlap = overlap_filter{cfg.dedupe_capacity};
  auto duplicates = cfg.duplicates;
  auto skip_self = cfg.skip_self;
  auto self_skipped = cfg.self_skipped;
  auto team = cfg.team;
  for (auto& g : cfg.groups) {
    auto gid = static_cast<std::uint32_t>(self->state.groups.size());
    group_routing routing;
    routing.load.resize(g.workers.size(), 0);
    routing.workers = std::move(g.workers);
    self->state.groups.emplace_back(std::move(routing));
    if (g.type == "*")
      self->state.wildcard.push_back(gid);
    else
      self->state.by_type[g.type].push_back(gid);
    if (g.type.find("::") != std::string::npos)
      self->state.subtype_routes = true;
  }
  return {
      [=](rtm_event& msg) {
        auto& st = self->state;
        if (msg.overlap != 0) {
          auto key = dedupe_key(msg.event.body());
          if (!key.empty() && !st.overlap.admit(key, msg.overlap)) {
            if (duplicates)
              ++*duplicates;
            return;
          }
        }
        auto& body = msg.event.body();
        // Handlers of this very event already see the team as it left it.
        if (team)
          team->apply(body);
        if (skip_self && !st.self_id.empty()) {
          auto user = body.find("user");
          if (user != body.end() && user->is_string() &&
              user->get_ref<const std::string&>() == st.self_id) {
            if (self_skipped)
              ++*self_skipped;
            return;
          }
        }
        const std::vector<std::uint32_t>* typed = nullptr;
        if (auto i = st.by_type.find(msg.event.type()); i != st.by_type.end())
          typed = &i->second;
        const std::vector<std::uint32_t>* subtyped = nullptr;
        if (st.subtype_routes) {
          auto subtype = body.find("subtype");
          if (subtype != body.end() && subtype->is_string()) {
            auto name = std::string{msg.event.type()} +
                        "::" + subtype->get_ref<const std::string&>();
            if (auto i = st.by_type.find(name); i != st.by_type.end())
              subtyped = &i->second;
          }
        }
        if (!typed && !subtyped && st.wildcard.empty()) {
          ++st.unhandled;
          return;
        }
        auto key = conversation_key(body);
        for (auto* gids : {typed, subtyped})
          if (gids)
            for (auto gid : *gids)
              route(self, gid, msg.event, key);
        for (auto gid : st.wildcard)
          route(self, gid, msg.event, key);
      },
      [=](job_done& msg) {
        auto& st = self->state;
        if (msg.group >= st.groups.size())
          return;
        auto& group = st.groups[msg.group];
        if (msg.worker < group.load.size() && group.load[msg.worker] > 0)
          --group.load[msg.worker];
        if (msg.key == 0)
          return;
        if (auto i = group.bound.find(msg.key); i != group.bound.end())
          if (--i->second.second == 0)
            group.bound.erase(i);
      },
      [=](identity_atom, std::string& self_id) {
        self->state.self_id = std::move(self_id);
      },
      [=](caf::get_atom) { return self->state.unhandled; },
      [=](load_atom) {
        // Handler calls queued or running.
        std::uint64_t total = 0;
        for (auto& group : self->state.groups)
          for (auto n : group.load)
            total += n;
        return total;
      },
  };
}

} // namespace slackrtm

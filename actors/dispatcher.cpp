// Routing: type -> handler groups -> worker by conversation.
#include "actors/dispatcher.hpp"

#include <algorithm>
#include <functional>

#include "actors/wire_protocol.hpp"

namespace slackrtm {

namespace {

using dispatcher_self = dispatcher_actor::stateful_pointer<dispatcher_state>;

// The peer the current message came from (nullopt: this process).
std::optional<caf::node_id> peer_of(dispatcher_self self) {
  return self->state.refusals.peer(self);
}

// True (and counted) when the current message came over the network.
bool refuse_remote(dispatcher_self self, const char* what) {
  return self->state.refusals.remote(self, what);
}

bool admitted(dispatcher_self self, const caf::node_id& node) {
  return self->state.admitted.count(node) > 0;
}

// Whether `member` may join or leave: from this process, any local member
// or a member of an admitted node (the gateway checked its ticket); from
// the network, only a member of the admitted node that sends it.
bool may_change_membership(dispatcher_self self, const worker_actor& member,
                           const char* what) {
  auto peer = peer_of(self);
  if (!peer) {
    if (!member || member.node() == self->node() ||
        admitted(self, member.node()))
      return true;
  } else if (member && member.node() == *peer && admitted(self, *peer)) {
    return true;
  }
  self->state.refusals.note(peer ? *peer : member.node(), what);
  return false;
}

bool has_member(const group_routing& group) {
  return std::any_of(group.workers.begin(), group.workers.end(),
                     [](const worker_actor& w) { return w != nullptr; });
}

// The least loaded worker (node groups: among the slots with a member).
std::uint32_t least_loaded(const group_routing& group) {
  std::uint32_t best = 0;
  bool found = false;
  for (std::uint32_t i = 0; i < group.workers.size(); ++i)
    if (group.workers[i] && (!found || group.load[i] < group.load[best])) {
      best = i;
      found = true;
    }
  return best;
}

void hold(dispatcher_self self, group_routing& group, handler_job job) {
  if (group.held.size() >= self->state.hold_capacity) {
    group.held.pop_front();
    ++self->state.counters.held_dropped;
  }
  if (self->state.hold_capacity > 0)
    group.held.push_back(std::move(job));
  else
    ++self->state.counters.held_dropped;
}

// Tells every source to stop or resume reading.
void tell_sources(dispatcher_self self, bool paused) {
  auto& st = self->state;
  st.paused = paused;
  if (paused)
    ++st.counters.read_pauses;
  for (auto& [address, source] : st.sources)
    self->send(source, backlog_atom::value, paused);
}

// After the load rose: pause at the bound.
void check_backlog(dispatcher_self self) {
  auto& st = self->state;
  if (st.max_in_flight > 0 && !st.paused && st.in_flight >= st.max_in_flight)
    tell_sources(self, true);
}

// After the load fell: resume at half the bound.
void check_resume(dispatcher_self self) {
  auto& st = self->state;
  if (st.paused && st.in_flight <= st.max_in_flight / 2)
    tell_sources(self, false);
}

// Picks the worker for `key` and queues the job for it (see flush_jobs).
void route(dispatcher_self self, std::uint32_t gid, const event& event,
           std::uint64_t key, std::uint32_t workspace) {
  auto& group = self->state.groups[gid];
  if (group.nodes && !has_member(group)) {
    hold(self, group, handler_job{event, gid, 0, key, workspace, 0});
    return;
  }
  std::uint32_t worker;
  auto bound = key != 0 ? group.bound.find(key) : group.bound.end();
  if (bound != group.bound.end()) {
    worker = bound->second.first;
    ++bound->second.second;
  } else {
    worker = least_loaded(group);
    if (key != 0)
      group.bound.emplace(key, std::make_pair(worker, 1u));
  }
  ++group.load[worker];
  ++self->state.in_flight;
  handler_job job{event, gid, worker, key, workspace, group.next_seq++};
  if (group.nodes)
    group.unconfirmed[worker].emplace(job.seq, job);
  auto& outbox = self->state.outbox;
  auto& to = group.workers[worker];
  auto i = std::find_if(outbox.begin(), outbox.end(),
                        [&](auto& entry) { return entry.first == to; });
  if (i == outbox.end())
    i = outbox.emplace(outbox.end(), to, std::vector<handler_job>{});
  i->second.push_back(std::move(job));
}

// Sends the routed jobs: one message per worker.
void flush_jobs(dispatcher_self self) {
  for (auto& [worker, jobs] : self->state.outbox) {
    if (jobs.size() == 1)
      self->send(worker, std::move(jobs.front()));
    else
      self->send(worker, handler_jobs{std::move(jobs)});
  }
  self->state.outbox.clear();
}

// A node group's member is gone: its unconfirmed jobs go to the others.
void drop_member(dispatcher_self self, std::uint32_t gid, std::uint32_t slot) {
  auto& group = self->state.groups[gid];
  auto jobs = std::move(group.unconfirmed[slot]);
  group.unconfirmed[slot].clear();
  group.workers[slot] = nullptr;
  self->state.in_flight -= group.load[slot];
  group.load[slot] = 0;
  for (auto i = group.bound.begin(); i != group.bound.end();)
    i = i->second.first == slot ? group.bound.erase(i) : std::next(i);
  for (auto& [seq, job] : jobs) {
    ++self->state.counters.redelivered;
    route(self, gid, job.event, job.key, job.workspace);
  }
  check_resume(self);
}

// Adds `routing` and indexes it by its type; returns its index.
std::uint32_t add_group(dispatcher_state& st, group_routing routing) {
  auto gid = static_cast<std::uint32_t>(st.groups.size());
  auto& type = st.groups.emplace_back(std::move(routing)).type;
  if (type == "*")
    st.wildcard.push_back(gid);
  else
    st.by_type[type].push_back(gid);
  if (type.find("::") != std::string::npos)
    st.subtype_routes = true;
  return gid;
}

// The node group of `type`, created on first use.
std::uint32_t node_group(dispatcher_self self, const std::string& type) {
  auto& st = self->state;
  if (auto i = st.node_groups.find(type); i != st.node_groups.end())
    return i->second;
  group_routing routing;
  routing.type = type;
  routing.nodes = true;
  auto gid = add_group(st, std::move(routing));
  st.node_groups.emplace(type, gid);
  return gid;
}

void join(dispatcher_self self, const std::string& type, worker_actor member) {
  auto gid = node_group(self, type);
  if (!member)
    return;
  auto& group = self->state.groups[gid];
  // A member that joins again lost its connection in between, maybe with
  // jobs on the wire: what it had not confirmed is sent again.
  if (auto i = std::find(group.workers.begin(), group.workers.end(), member);
      i != group.workers.end())
    drop_member(self, gid,
                static_cast<std::uint32_t>(i - group.workers.begin()));
  auto free = std::find_if(group.workers.begin(), group.workers.end(),
                           [](const worker_actor& w) { return !w; });
  if (free != group.workers.end()) {
    *free = member;
  } else {
    group.workers.push_back(member);
    group.load.push_back(0);
    group.unconfirmed.emplace_back();
  }
  self->monitor(member);
  auto held = std::move(group.held);
  group.held.clear();
  for (auto& job : held)
    route(self, gid, job.event, job.key, job.workspace);
}

// Every slot `member` holds in a node group (of `type`, or of all types).
void leave(dispatcher_self self, const caf::actor_addr& member,
           const std::string* type) {
  auto& st = self->state;
  for (auto& [name, gid] : st.node_groups) {
    if (type && name != *type)
      continue;
    auto& workers = st.groups[gid].workers;
    for (std::uint32_t slot = 0; slot < workers.size(); ++slot)
      if (workers[slot] && workers[slot].address() == member)
        drop_member(self, gid, slot);
  }
}

// Routes one event of a socket.
void dispatch(dispatcher_self self, rtm_event& msg) {
  auto& st = self->state;
  auto ws = st.workspaces.find(msg.workspace);
  if (ws == st.workspaces.end())
    return; // removed: its events are no longer wanted
  auto& wcfg = ws->second.config;
  if (auto* env = msg.event.envelope(); env && !env->event_id.empty()) {
    if (!ws->second.event_ids.admit(env->event_id,
                                    std::chrono::steady_clock::now())) {
      if (wcfg.duplicates)
        ++*wcfg.duplicates;
      return;
    }
  } else if (msg.overlap != 0) {
    auto key = dedupe_key(msg.event);
    if (!key.empty() && !ws->second.overlap.admit(key, msg.overlap)) {
      if (wcfg.duplicates)
        ++*wcfg.duplicates;
      return;
    }
  }
  auto& ev = msg.event;
  auto how = route_of(ev);
  auto type = how.type;
  // Handlers of this very event already see the team as it left it.
  if (wcfg.team && team_cache::is_team_event(type))
    wcfg.team->apply(ev.json());
  auto& self_id = ws->second.self_id;
  if (wcfg.skip_self && !self_id.empty() && ev.string("user") == self_id) {
    if (wcfg.self_skipped)
      ++*wcfg.self_skipped;
    return;
  }
  const std::vector<std::uint32_t>* typed = nullptr;
  if (auto i = st.by_type.find(type); i != st.by_type.end())
    typed = &i->second;
  const std::vector<std::uint32_t>* subtyped = nullptr;
  if (st.subtype_routes) {
    if (!how.subtype.empty()) {
      auto name = std::string{type} + "::" + std::string{how.subtype};
      if (auto i = st.by_type.find(name); i != st.by_type.end())
        subtyped = &i->second;
    }
  }
  if (!typed && !subtyped && st.wildcard.empty()) {
    ++st.counters.unhandled;
    return;
  }
  // Channel ids are unique across Slack, but a conversation is still
  // told apart per workspace.
  auto key = conversation_key(ev);
  if (key != 0 && msg.workspace != 0)
    key = (key ^ (std::uint64_t{msg.workspace} * 0x9e3779b97f4a7c15u)) | 1;
  for (auto* gids : {typed, subtyped})
    if (gids)
      for (auto gid : *gids)
        route(self, gid, msg.event, key, msg.workspace);
  for (auto gid : st.wildcard)
    route(self, gid, msg.event, key, msg.workspace);
}

// A worker finished a job. `peer`: the node it came from (nullopt: this
// process), which must be the node of the member the job went to.
void done(dispatcher_self self, const job_done& msg,
          const std::optional<caf::node_id>& peer) {
  auto& st = self->state;
  if (msg.group >= st.groups.size())
    return;
  auto& group = st.groups[msg.group];
  if (msg.worker >= group.load.size())
    return;
  if (peer) {
    auto& member = group.workers[msg.worker];
    auto& sender = self->current_sender();
    if (!group.nodes || !member || !sender ||
        member.address() != caf::actor_cast<caf::actor_addr>(sender)) {
      st.refusals.note(*peer, "a job_done");
      return;
    }
  }
  // A node's confirmation counts once, and only while its member is
  // still the one the job went to.
  if (group.nodes && group.unconfirmed[msg.worker].erase(msg.seq) == 0)
    return;
  if (group.load[msg.worker] > 0) {
    --group.load[msg.worker];
    --st.in_flight;
    check_resume(self);
  }
  if (msg.key == 0)
    return;
  if (auto i = group.bound.find(msg.key); i != group.bound.end())
    if (--i->second.second == 0)
      group.bound.erase(i);
}

// Answers a request of this process with `value`; refuses one from the
// network.
template <class T>
caf::result<T> local_answer(dispatcher_self self, T value) {
  if (refuse_remote(self, "a request"))
    return caf::make_error(caf::sec::unexpected_message);
  return value;
}

dispatch_stats stats_of(const dispatcher_state& st) {
  auto result = st.counters;
  result.in_flight = st.in_flight;
  for (auto& group : st.groups) {
    result.held += group.held.size();
    if (group.nodes)
      for (auto& w : group.workers)
        if (w)
          ++result.node_workers;
  }
  return result;
}

workspace_routing routing_for(const dispatcher_state& st,
                              workspace_config config) {
  return workspace_routing{
      std::move(config),
      overlap_filter{st.dedupe_capacity},
      event_id_filter{st.event_id_window, st.event_id_capacity},
      {}};
}

} // namespace

std::uint64_t conversation_key(const event& ev) {
  auto id = ev.conversation();
  if (id.empty())
    return 0;
  auto h = std::hash<std::string_view>{}(id);
  return static_cast<std::uint64_t>(h) | 1; // never 0, which means "none"
}

dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
           dispatcher_config cfg) {
  auto& st = self->state;
  st.dedupe_capacity = cfg.dedupe_capacity;
  st.hold_capacity = cfg.hold_capacity;
  st.max_in_flight = cfg.max_in_flight;
  st.event_id_window = cfg.event_id_window;
  st.event_id_capacity = cfg.event_id_capacity;
  st.refusals =
      refusals{std::move(cfg.log), std::move(cfg.peer_of), "dispatcher"};
  st.workspaces.emplace(0, routing_for(st, std::move(cfg.workspace)));
  for (auto& g : cfg.groups) {
    group_routing routing;
    routing.type = g.type;
    routing.load.resize(g.workers.size(), 0);
    routing.workers = std::move(g.workers);
    add_group(st, std::move(routing));
  }
  st.refusals.refuse_unexpected(self);
  self->set_down_handler([=](caf::down_msg& msg) {
    if (self->state.refusals.forged(self, msg))
      return;
    self->state.sources.erase(msg.source);
    leave(self, msg.source, nullptr);
    flush_jobs(self);
  });
  // Remembers the sender of an event as a source to pause and resume (one
  // hash lookup per event: a hub may have a thousand connections).
  auto note_source = [=] {
    auto& st = self->state;
    if (st.max_in_flight == 0 || !self->current_sender())
      return;
    auto address = caf::actor_cast<caf::actor_addr>(self->current_sender());
    if (st.sources.count(address) > 0)
      return;
    auto sender = caf::actor_cast<connection_actor>(self->current_sender());
    st.sources.emplace(address, sender);
    self->monitor(sender);
    if (st.paused)
      self->send(sender, backlog_atom::value, true);
  };
  return {
      [=](rtm_event& msg) {
        if (refuse_remote(self, "an event"))
          return;
        note_source();
        dispatch(self, msg);
        flush_jobs(self);
        check_backlog(self);
      },
      [=](rtm_events& msg) {
        if (refuse_remote(self, "events"))
          return;
        note_source();
        for (auto& ev : msg.events)
          dispatch(self, ev);
        flush_jobs(self);
        check_backlog(self);
      },
      [=](job_done& msg) { done(self, msg, peer_of(self)); },
      [=](jobs_done& msg) {
        auto peer = peer_of(self);
        for (auto& d : msg.done)
          done(self, d, peer);
      },
      [=](identity_atom, std::uint32_t workspace, std::string& self_id) {
        if (refuse_remote(self, "an identity"))
          return;
        auto& st = self->state;
        if (auto i = st.workspaces.find(workspace); i != st.workspaces.end())
          i->second.self_id = std::move(self_id);
      },
      [=](add_workspace_atom, std::uint32_t workspace, workspace_config& wcfg) {
        if (refuse_remote(self, "a workspace"))
          return;
        auto& st = self->state;
        st.workspaces.insert_or_assign(workspace,
                                       routing_for(st, std::move(wcfg)));
      },
      [=](remove_workspace_atom, std::uint32_t workspace) {
        if (refuse_remote(self, "a workspace removal"))
          return;
        self->state.workspaces.erase(workspace);
      },
      [=](node_admission& msg) {
        if (refuse_remote(self, "an admission"))
          return;
        auto& admitted = self->state.admitted;
        if (msg.admitted) {
          ++admitted[msg.node];
        } else if (auto i = admitted.find(msg.node);
                   i != admitted.end() && --i->second == 0) {
          admitted.erase(i);
        }
      },
      [=](join_group_atom, std::string& type, worker_actor& member) {
        if (!may_change_membership(self, member, "a join"))
          return;
        join(self, type, std::move(member));
        flush_jobs(self);
      },
      [=](leave_group_atom, std::string& type, worker_actor& member) {
        if (!may_change_membership(self, member, "a leave"))
          return;
        if (member)
          leave(self, member.address(), &type);
        flush_jobs(self);
      },
      [=](unhandled_atom) {
        return local_answer(self, self->state.counters.unhandled);
      },
      [=](refused_atom) {
        return local_answer(self, self->state.refusals.count());
      },
      [=](stats_atom) { return local_answer(self, stats_of(self->state)); },
      [=](in_flight_atom) {
        // Handler calls queued or running.
        return local_answer(self, self->state.in_flight);
      },
  };
}

} // namespace slackrtm

// Routing by type, "*", several handlers; per-conversation worker choice.
#define CAF_SUITE dispatcher

#include "actors/dispatcher.hpp"

#include "actors/socket_mode_protocol.hpp"

#include "tests/support/fixture.hpp"

using namespace slackrtm;

namespace {

// What a probe worker saw: (group, worker, channel or type).
struct seen_job {
  std::uint32_t group;
  std::uint32_t worker;
  std::string channel;
  std::string text;
};

// A stand-in for a handler worker: records each job; replies `job_done`
// only when `auto_done` is set, so tests can hold a worker busy.
worker_actor::behavior_type
probe_worker(worker_actor::pointer self,
             std::shared_ptr<std::vector<seen_job>> log, bool auto_done) {
  auto record = [log](const handler_job& job) {
    auto& ev = job.event.json();
    log->push_back({job.group, job.worker, ev.value("channel", ""),
                    ev.value("text", std::string{job.event.type()})});
    return job_done{job.group, job.worker, job.key, job.seq};
  };
  auto reply_to = [self] {
    return caf::actor_cast<job_sink_actor>(self->current_sender());
  };
  return {
      [=](handler_job& job) {
        auto done = record(job);
        if (auto_done)
          self->send(reply_to(), done);
      },
      [=](handler_jobs& batch) {
        jobs_done done;
        for (auto& job : batch.jobs)
          done.done.push_back(record(job));
        if (auto_done)
          self->send(reply_to(), std::move(done));
      },
  };
}

// A worker that records the texts of each message it gets (a single job or
// a batch) and confirms them the same way.
worker_actor::behavior_type
batch_probe(worker_actor::pointer self,
            std::shared_ptr<std::vector<std::vector<std::string>>> log) {
  auto reply_to = [self] {
    return caf::actor_cast<job_sink_actor>(self->current_sender());
  };
  return {
      [=](handler_job& job) {
        log->push_back({std::string{job.event.string("text")}});
        self->send(reply_to(), job_done{job.group, job.worker, job.key});
      },
      [=](handler_jobs& batch) {
        std::vector<std::string> texts;
        jobs_done done;
        for (auto& job : batch.jobs) {
          texts.emplace_back(job.event.string("text"));
          done.done.push_back(job_done{job.group, job.worker, job.key});
        }
        log->push_back(std::move(texts));
        self->send(reply_to(), std::move(done));
      },
  };
}

struct fixture : slackrtm::test::fixture {
  std::shared_ptr<std::vector<seen_job>> seen =
      std::make_shared<std::vector<seen_job>>();
  std::shared_ptr<std::atomic<std::uint64_t>> duplicates =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<std::atomic<std::uint64_t>> self_skipped =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  bool skip_self = false;
  std::size_t hold_capacity = 10000;
  std::size_t max_in_flight = 0;
  // The peer the dispatcher is told the next messages come from (nullopt:
  // this process). The test coordinator cannot make a remote sender, so
  // the dispatcher's check of it is replaced by this one.
  std::shared_ptr<std::optional<caf::node_id>> peer =
      std::make_shared<std::optional<caf::node_id>>();
  bool inject_peer = false;

  dispatcher_actor
  make_dispatcher(std::vector<std::pair<std::string, int>> spec,
                  bool auto_done = true) {
    std::vector<handler_group> groups;
    for (auto& [type, n] : spec) {
      handler_group g{type, {}};
      for (int i = 0; i < n; ++i)
        g.workers.push_back(sys.spawn(probe_worker, seen, auto_done));
      groups.push_back(std::move(g));
    }
    dispatcher_config cfg;
    cfg.groups = std::move(groups);
    cfg.workspace.duplicates = duplicates;
    cfg.workspace.skip_self = skip_self;
    cfg.workspace.self_skipped = self_skipped;
    cfg.hold_capacity = hold_capacity;
    cfg.max_in_flight = max_in_flight;
    if (inject_peer)
      cfg.peer_of = [peer = peer](caf::local_actor*) { return *peer; };
    auto result = sys.spawn(dispatcher, cfg);
    drain();
    return result;
  }

  // Delivers `ev` as from socket `overlap` (0: outside an overlap).
  void deliver(const dispatcher_actor& disp, nlohmann::json ev,
               std::uint64_t overlap = 0) {
    self->send(disp, rtm_event{event{std::move(ev)}, overlap});
    drain();
  }

  // A handler node's worker that records its jobs and never confirms them.
  std::pair<worker_actor, std::shared_ptr<std::vector<seen_job>>>
  join_member(const dispatcher_actor& disp, const std::string& type) {
    auto log = std::make_shared<std::vector<seen_job>>();
    auto member = sys.spawn(probe_worker, log, false);
    self->send(disp, join_group_atom::value, type, member);
    drain();
    return {member, log};
  }

  // Messages the dispatcher refused from the network.
  std::uint64_t refused(const dispatcher_actor& disp) {
    auto from = std::exchange(*peer, std::nullopt);
    std::uint64_t result = 0;
    self->send(disp, refused_atom::value);
    drain();
    self->receive([&](std::uint64_t x) { result = x; });
    *peer = from;
    return result;
  }

  dispatch_stats stats(const dispatcher_actor& disp) {
    dispatch_stats result;
    self->send(disp, stats_atom::value);
    drain();
    self->receive([&](dispatch_stats& x) { result = x; });
    return result;
  }

  static std::vector<std::string> texts(const std::vector<seen_job>& jobs) {
    std::vector<std::string> result;
    for (auto& job : jobs)
      result.push_back(job.text);
    return result;
  }

  // Delivers a Socket Mode envelope as the connection would: its inner
  // event, in its envelope.
  void deliver_envelope(const dispatcher_actor& disp, const std::string& text) {
    auto frame = event::parse(text);
    CAF_REQUIRE(frame.has_value());
    auto meaning = socket_mode_protocol{}.classify(*frame);
    CAF_REQUIRE(meaning.routed);
    self->send(disp, rtm_event{meaning.routed, 0});
    drain();
  }

  static std::string envelope(const std::string& id,
                              const std::string& event_id, int retry,
                              const std::string& text) {
    return nlohmann::json{
        {"envelope_id", id},
        {"type", "events_api"},
        {"retry_attempt", retry},
        {"payload",
         {{"event_id", event_id},
          {"event", {{"type", "message"}, {"channel", "C1"}, {"text", text}}}}}}
        .dump();
  }

  static nlohmann::json message(const std::string& channel,
                                const std::string& text) {
    return {{"type", "message"}, {"channel", channel}, {"text", text}};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dispatcher_tests, fixture)

CAF_TEST(events go to the handlers of their type only) {
  auto disp = make_dispatcher({{"message", 1}, {"reaction_added", 1}});
  deliver(disp, message("C1", "hi"));
  deliver(disp, {{"type", "reaction_added"}, {"item", {{"channel", "C1"}}}});
  deliver(disp, {{"type", "user_typing"}, {"channel", "C1"}});
  CAF_REQUIRE_EQUAL(seen->size(), 2u);
  CAF_CHECK_EQUAL((*seen)[0].group, 0u);
  CAF_CHECK_EQUAL((*seen)[0].text, "hi");
  CAF_CHECK_EQUAL((*seen)[1].group, 1u);
  CAF_CHECK_EQUAL((*seen)[1].text, "reaction_added");
  self->send(disp, unhandled_atom::value);
  drain();
  self->receive(
      [](std::uint64_t unhandled) { CAF_CHECK_EQUAL(unhandled, 1u); });
}

CAF_TEST(wildcard handlers get every event and several handlers share a type) {
  auto disp = make_dispatcher({{"message", 1}, {"*", 1}, {"message", 1}});
  deliver(disp, message("C1", "hi"));
  deliver(disp, {{"type", "hello"}});
  // "hi" reaches both message handlers and "*"; "hello" only "*".
  std::vector<std::uint32_t> groups_hi;
  std::vector<std::uint32_t> groups_hello;
  for (auto& job : *seen)
    (job.text == "hi" ? groups_hi : groups_hello).push_back(job.group);
  std::sort(groups_hi.begin(), groups_hi.end());
  CAF_CHECK_EQUAL(groups_hi, (std::vector<std::uint32_t>{0, 1, 2}));
  CAF_CHECK_EQUAL(groups_hello, (std::vector<std::uint32_t>{1}));
}

CAF_TEST(a busy conversation keeps its worker while others go elsewhere) {
  auto disp = make_dispatcher({{"message", 3}}, false);
  deliver(disp, message("C1", "a1"));
  deliver(disp, message("C2", "b1"));
  deliver(disp, message("C1", "a2"));
  deliver(disp, message("C3", "c1"));
  CAF_REQUIRE_EQUAL(seen->size(), 4u);
  auto w_a1 = (*seen)[0].worker;
  auto w_b1 = (*seen)[1].worker;
  auto w_a2 = (*seen)[2].worker;
  auto w_c1 = (*seen)[3].worker;
  CAF_CHECK_EQUAL(w_a1, w_a2);
  CAF_CHECK_NOT_EQUAL(w_a1, w_b1);
  CAF_CHECK_NOT_EQUAL(w_c1, w_a1);
  CAF_CHECK_NOT_EQUAL(w_c1, w_b1);
}

CAF_TEST(a finished conversation is free to move to the least loaded worker) {
  auto disp = make_dispatcher({{"message", 2}}, false);
  deliver(disp, message("C1", "a1"));
  auto key = conversation_key(event{nlohmann::json(message("C1", ""))});
  deliver(disp, message("C2", "b1"));
  deliver(disp, message("C2", "b2"));
  // C1's only job finishes: C1 is unbound; worker 0 is now the idle one.
  auto w_a1 = (*seen)[0].worker;
  self->send(disp, job_done{0, w_a1, key});
  drain();
  deliver(disp, message("C1", "a2"));
  CAF_CHECK_EQUAL(seen->back().worker, w_a1);
  // C2 still has two jobs in flight on the other worker: it stays there.
  deliver(disp, message("C2", "b3"));
  CAF_CHECK_EQUAL(seen->back().worker, (*seen)[1].worker);
}

CAF_TEST(conversation keys come from channel channel id item or user) {
  auto k1 = conversation_key(event{nlohmann::json({{"channel", "C1"}})});
  CAF_CHECK_NOT_EQUAL(k1, 0u);
  CAF_CHECK_EQUAL(
      conversation_key(event{nlohmann::json({{"channel", {{"id", "C1"}}}})}),
      k1);
  CAF_CHECK_EQUAL(
      conversation_key(event{nlohmann::json({{"item", {{"channel", "C1"}}}})}),
      k1);
  CAF_CHECK_NOT_EQUAL(conversation_key(event{nlohmann::json({{"user", "U1"}})}),
                      0u);
  CAF_CHECK_EQUAL(conversation_key(event{nlohmann::json({{"type", "hello"}})}),
                  0u);
  CAF_CHECK_NOT_EQUAL(
      conversation_key(event{nlohmann::json({{"channel", "C2"}})}), k1);
}

CAF_TEST(an event on two overlapping sockets is delivered once) {
  auto disp = make_dispatcher({{"*", 1}});
  auto first = message("C1", "a");
  first["ts"] = "1.000001";
  deliver(disp, first, 1);
  deliver(disp, first, 2);
  CAF_CHECK_EQUAL(seen->size(), 1u);
  CAF_CHECK_EQUAL(duplicates->load(), 1u);
  // Another message, or the same ts in another channel, is new.
  auto second = message("C1", "b");
  second["ts"] = "1.000002";
  deliver(disp, second, 2);
  deliver(disp, second, 1);
  auto elsewhere = message("C2", "a");
  elsewhere["ts"] = "1.000001";
  deliver(disp, elsewhere, 1);
  CAF_CHECK_EQUAL(seen->size(), 3u);
  // Outside an overlap nothing is filtered.
  deliver(disp, first);
  CAF_CHECK_EQUAL(seen->size(), 4u);
  CAF_CHECK_EQUAL(duplicates->load(), 2u);
}

CAF_TEST(an event that happens twice is delivered twice even in an overlap) {
  auto disp = make_dispatcher({{"*", 1}});
  // No timestamp: the same content twice on the old socket is two events
  // (away, active, away); the new socket's copies of them are dropped.
  nlohmann::json away{
      {"type", "presence_change"}, {"user", "U1"}, {"presence", "away"}};
  deliver(disp, away, 1);
  deliver(disp, away, 2);
  deliver(disp, away, 1);
  CAF_CHECK_EQUAL(seen->size(), 2u);
  deliver(disp, away, 2);
  CAF_CHECK_EQUAL(seen->size(), 2u);
  CAF_CHECK_EQUAL(duplicates->load(), 2u);
  // Each socket's own hello always counts.
  deliver(disp, {{"type", "hello"}}, 1);
  deliver(disp, {{"type", "hello"}}, 2);
  CAF_CHECK_EQUAL(seen->size(), 4u);
}

CAF_TEST(dedupe keys tell events apart by type subtype channel and stamps) {
  nlohmann::json reaction{{"type", "reaction_added"}, {"event_ts", "2.000001"}};
  nlohmann::json removed = reaction;
  removed["type"] = "reaction_removed";
  CAF_CHECK_NOT_EQUAL(dedupe_key(event{nlohmann::json(reaction)}), "");
  CAF_CHECK_NOT_EQUAL(dedupe_key(event{nlohmann::json(reaction)}),
                      dedupe_key(event{nlohmann::json(removed)}));
  nlohmann::json edit{{"type", "message"},
                      {"subtype", "message_changed"},
                      {"channel", "C1"},
                      {"ts", "3.000001"}};
  nlohmann::json plain = edit;
  plain.erase("subtype");
  CAF_CHECK_NOT_EQUAL(dedupe_key(event{nlohmann::json(edit)}),
                      dedupe_key(event{nlohmann::json(plain)}));
  CAF_CHECK_EQUAL(dedupe_key(event{nlohmann::json({{"type", "hello"}})}), "");
  CAF_CHECK_EQUAL(
      dedupe_key(event{nlohmann::json({{"type", "pong"}, {"reply_to", 1}})}),
      "");
  nlohmann::json typing{{"type", "user_typing"}, {"channel", "C1"}};
  CAF_CHECK_EQUAL(dedupe_key(event{nlohmann::json(typing)}), typing.dump());
}

CAF_TEST(the overlap filter forgets the oldest events) {
  overlap_filter filter{2};
  CAF_CHECK(filter.admit("a", 1));
  CAF_CHECK(filter.admit("b", 1));
  CAF_CHECK(!filter.admit("a", 2));
  CAF_CHECK(filter.admit("c", 1));
  // "a" fell out of the window: its copy looks new again.
  CAF_CHECK(filter.admit("a", 2));
  CAF_CHECK(!filter.admit("c", 2));
}

CAF_TEST(the event id filter forgets ids by age and by count) {
  using namespace std::chrono_literals;
  auto t0 = std::chrono::steady_clock::time_point{};
  event_id_filter filter{10min, 3};
  CAF_CHECK(filter.admit("Ev1", t0));
  CAF_CHECK(!filter.admit("Ev1", t0 + 5min));
  CAF_CHECK(filter.admit("Ev2", t0 + 5min));
  // Ten minutes on, Ev1 is forgotten, Ev2 not yet.
  CAF_CHECK(filter.admit("Ev1", t0 + 10min + 1s));
  CAF_CHECK(!filter.admit("Ev2", t0 + 10min + 1s));
  CAF_CHECK(filter.admit("Ev3", t0 + 11min));
  CAF_CHECK_EQUAL(filter.size(), 3u);
  // At its capacity the oldest goes first.
  CAF_CHECK(filter.admit("Ev4", t0 + 11min));
  CAF_CHECK_EQUAL(filter.size(), 3u);
  CAF_CHECK(filter.admit("Ev2", t0 + 11min));
}

CAF_TEST(a redelivered socket mode event reaches the handlers once) {
  auto disp = make_dispatcher({{"message", 1}});
  deliver_envelope(disp, envelope("e1", "Ev1", 0, "first"));
  deliver_envelope(disp, envelope("e2", "Ev1", 1, "first again"));
  // A retry whose first delivery never came is the only copy: delivered.
  deliver_envelope(disp, envelope("e3", "Ev2", 1, "only the retry"));
  CAF_CHECK_EQUAL(texts(*seen),
                  (std::vector<std::string>{"first", "only the retry"}));
  CAF_CHECK_EQUAL(duplicates->load(), 1u);
}

CAF_TEST(slash commands and interactive payloads have routes of their own) {
  auto disp = make_dispatcher({{"slash_commands::/deploy", 1},
                               {"slash_commands", 1},
                               {"interactive::block_actions", 1},
                               {"message", 1}});
  deliver_envelope(
      disp,
      R"({"envelope_id":"s1","type":"slash_commands","payload":{"command":"/deploy","text":"now","channel_id":"C1"}})");
  deliver_envelope(
      disp,
      R"({"envelope_id":"s2","type":"slash_commands","payload":{"command":"/other","text":"x"}})");
  deliver_envelope(
      disp,
      R"({"envelope_id":"i1","type":"interactive","payload":{"type":"block_actions","text":"click"}})");
  using entry = std::pair<std::uint32_t, std::string>;
  std::vector<entry> got;
  for (auto& job : *seen)
    got.emplace_back(job.group, job.text);
  std::sort(got.begin(), got.end());
  CAF_CHECK_EQUAL(got, (std::vector<entry>{
                           {0, "now"}, {1, "now"}, {1, "x"}, {2, "click"}}));
}

CAF_TEST(subtype handlers get only their subtype and type handlers all) {
  auto disp = make_dispatcher({{"message", 1}, {"message::bot_message", 1}});
  auto bot = message("C1", "from a bot");
  bot["subtype"] = "bot_message";
  deliver(disp, message("C1", "plain"));
  deliver(disp, bot);
  auto join = message("C1", "joined");
  join["subtype"] = "channel_join";
  deliver(disp, join);
  using entry = std::pair<std::uint32_t, std::string>;
  std::vector<entry> got;
  for (auto& job : *seen)
    got.emplace_back(job.group, job.text);
  CAF_CHECK_EQUAL(
      got,
      (std::vector<entry>{
          {0, "plain"}, {0, "from a bot"}, {1, "from a bot"}, {0, "joined"}}));
}

CAF_TEST(the bots own events are skipped once its id is known) {
  skip_self = true;
  auto disp = make_dispatcher({{"*", 1}});
  auto own = message("C1", "mine");
  own["user"] = "U0BOT";
  deliver(disp, own); // id not known yet: delivered
  self->send(disp, identity_atom::value, std::uint32_t{0},
             std::string{"U0BOT"});
  drain();
  deliver(disp, own);
  auto other = message("C1", "theirs");
  other["user"] = "U1";
  deliver(disp, other);
  CAF_REQUIRE_EQUAL(seen->size(), 2u);
  CAF_CHECK_EQUAL(seen->back().text, "theirs");
  CAF_CHECK_EQUAL(self_skipped->load(), 1u);
}

CAF_TEST(with skipping off the bots own events are delivered) {
  auto disp = make_dispatcher({{"*", 1}});
  self->send(disp, identity_atom::value, std::uint32_t{0},
             std::string{"U0BOT"});
  drain();
  auto own = message("C1", "mine");
  own["user"] = "U0BOT";
  deliver(disp, own);
  CAF_CHECK_EQUAL(seen->size(), 1u);
}

CAF_TEST(node members share a group and a dead members jobs go to another) {
  auto disp = make_dispatcher({});
  auto [m1, log1] = join_member(disp, "message");
  auto [m2, log2] = join_member(disp, "message");
  deliver(disp, message("C1", "a1"));
  deliver(disp, message("C2", "b1"));
  deliver(disp, message("C1", "a2"));
  // Each event went to exactly one member, a conversation to one member.
  CAF_REQUIRE_EQUAL(log1->size() + log2->size(), 3u);
  auto& c1_log = (*log1)[0].channel == "C1" ? log1 : log2;
  auto& other_log = c1_log == log1 ? log2 : log1;
  auto& c1_member = c1_log == log1 ? m1 : m2;
  CAF_CHECK_EQUAL(texts(*c1_log), (std::vector<std::string>{"a1", "a2"}));
  CAF_CHECK_EQUAL(texts(*other_log), (std::vector<std::string>{"b1"}));
  CAF_CHECK_EQUAL(stats(disp).node_workers, 2u);
  // The member of C1 dies without confirming: its jobs go, in order, to the
  // member left.
  caf::anon_send_exit(c1_member, caf::exit_reason::kill);
  drain();
  CAF_CHECK_EQUAL(texts(*other_log),
                  (std::vector<std::string>{"b1", "a1", "a2"}));
  auto after = stats(disp);
  CAF_CHECK_EQUAL(after.redelivered, 2u);
  CAF_CHECK_EQUAL(after.node_workers, 1u);
  // New events of C1 follow its jobs to the member left.
  deliver(disp, message("C1", "a3"));
  CAF_CHECK_EQUAL(other_log->back().text, "a3");
}

CAF_TEST(a member that joins again gets its unconfirmed jobs again) {
  auto disp = make_dispatcher({});
  auto [m1, log1] = join_member(disp, "message");
  deliver(disp, message("C1", "a1"));
  deliver(disp, message("C2", "b1"));
  CAF_REQUIRE_EQUAL(log1->size(), 2u);
  // Its node lost the connection (jobs may have been lost on the wire)
  // and registers the same worker again.
  self->send(disp, join_group_atom::value, std::string{"message"}, m1);
  drain();
  CAF_CHECK_EQUAL(texts(*log1),
                  (std::vector<std::string>{"a1", "b1", "a1", "b1"}));
  auto after = stats(disp);
  CAF_CHECK_EQUAL(after.redelivered, 2u);
  CAF_CHECK_EQUAL(after.node_workers, 1u);
  CAF_CHECK_EQUAL(after.in_flight, 2u);
}

CAF_TEST(a confirmation settles its job once and only from its member) {
  auto disp = make_dispatcher({});
  auto [m1, log1] = join_member(disp, "message");
  deliver(disp, message("C1", "a1"));
  CAF_REQUIRE_EQUAL(log1->size(), 1u);
  self->send(disp, in_flight_atom::value);
  drain();
  self->receive([](std::uint64_t load) { CAF_CHECK_EQUAL(load, 1u); });
  // A confirmation of a job number never sent changes nothing.
  auto key = conversation_key(event{nlohmann::json(message("C1", ""))});
  self->send(disp, job_done{0, 0, key, 99});
  drain();
  self->send(disp, in_flight_atom::value);
  drain();
  self->receive([](std::uint64_t load) { CAF_CHECK_EQUAL(load, 1u); });
  // The real one settles it; a repeat of it is ignored.
  self->send(disp, job_done{0, 0, key, 1});
  self->send(disp, job_done{0, 0, key, 1});
  drain();
  self->send(disp, in_flight_atom::value);
  drain();
  self->receive([](std::uint64_t load) { CAF_CHECK_EQUAL(load, 0u); });
  // Confirmed jobs are not sent again when the member dies.
  caf::anon_send_exit(m1, caf::exit_reason::kill);
  drain();
  CAF_CHECK_EQUAL(stats(disp).redelivered, 0u);
}

CAF_TEST(a node group without members holds the newest events up to its cap) {
  hold_capacity = 2;
  auto disp = make_dispatcher({});
  self->send(disp, join_group_atom::value, std::string{"message"},
             worker_actor{});
  drain();
  deliver(disp, message("C1", "a1"));
  deliver(disp, message("C2", "b1"));
  deliver(disp, message("C1", "a2"));
  auto held = stats(disp);
  CAF_CHECK_EQUAL(held.held, 2u);
  CAF_CHECK_EQUAL(held.held_dropped, 1u);
  CAF_CHECK_EQUAL(held.unhandled, 0u);
  // The first member gets what was held, oldest first.
  auto [m1, log1] = join_member(disp, "message");
  CAF_CHECK_EQUAL(texts(*log1), (std::vector<std::string>{"b1", "a2"}));
  CAF_CHECK_EQUAL(stats(disp).held, 0u);
  // When the last member leaves, its unconfirmed jobs are held again.
  self->send(disp, leave_group_atom::value, std::string{"message"}, m1);
  drain();
  CAF_CHECK_EQUAL(stats(disp).held, 2u);
}

CAF_TEST(workspaces are routed apart and a removed one is dropped) {
  auto disp = make_dispatcher({{"message", 1}});
  auto skipped = std::make_shared<std::atomic<std::uint64_t>>(0);
  self->send(disp, add_workspace_atom::value, std::uint32_t{7},
             workspace_config{nullptr, true, nullptr, skipped});
  self->send(disp, identity_atom::value, std::uint32_t{7},
             std::string{"U0BOT7"});
  drain();
  auto own = message("C1", "mine");
  own["user"] = "U0BOT7";
  self->send(disp, rtm_event{event{own}, 0, 7});
  // Workspace 0 has another bot: U0BOT7's message is a user's there.
  self->send(disp, rtm_event{event{own}, 0, 0});
  drain();
  CAF_REQUIRE_EQUAL(seen->size(), 1u);
  CAF_CHECK_EQUAL(skipped->load(), 1u);
  self->send(disp, remove_workspace_atom::value, std::uint32_t{7});
  self->send(disp, rtm_event{event{message("C1", "late")}, 0, 7});
  drain();
  CAF_CHECK_EQUAL(seen->size(), 1u);
}

CAF_TEST(too many calls in flight pause the sources until half are done) {
  max_in_flight = 4;
  auto disp = make_dispatcher({{"message", 2}}, false);
  // What the dispatcher told this test's actor, which sends the events.
  auto told = [&] {
    std::vector<bool> result;
    for (bool more = true; more;)
      self->receive(
          [&](backlog_atom, bool paused) { result.push_back(paused); },
          caf::after(std::chrono::seconds{0}) >> [&] { more = false; });
    return result;
  };
  for (auto channel : {"C1", "C2", "C3"})
    deliver(disp, message(channel, "x"));
  CAF_CHECK(told().empty());
  deliver(disp, message("C4", "x"));
  CAF_CHECK_EQUAL(told(), (std::vector<bool>{true}));
  CAF_REQUIRE_EQUAL(seen->size(), 4u);
  // 3 left: still more than half the bound.
  auto done = [&](const seen_job& job) {
    self->send(disp, job_done{job.group, job.worker,
                              conversation_key(event{
                                  nlohmann::json(message(job.channel, ""))}),
                              0});
    drain();
  };
  done((*seen)[0]);
  CAF_CHECK(told().empty());
  done((*seen)[1]);
  CAF_CHECK_EQUAL(told(), (std::vector<bool>{false}));
  CAF_CHECK_EQUAL(stats(disp).read_pauses, 1u);
  CAF_CHECK_EQUAL(stats(disp).in_flight, 2u);
}

CAF_TEST(a batch of events reaches each worker as one message in order) {
  using texts = std::vector<std::string>;
  auto first = std::make_shared<std::vector<texts>>();
  auto second = std::make_shared<std::vector<texts>>();
  dispatcher_config cfg;
  cfg.groups = {
      {"message",
       {sys.spawn(batch_probe, first), sys.spawn(batch_probe, second)}}};
  cfg.max_in_flight = 100;
  auto disp = sys.spawn(dispatcher, cfg);
  rtm_events batch;
  for (auto [channel, text] : {std::pair{"C1", "a"},
                               {"C2", "b"},
                               {"C1", "c"},
                               {"C2", "d"},
                               {"C1", "e"}})
    batch.events.push_back(rtm_event{event{message(channel, text)}});
  self->send(disp, std::move(batch));
  drain();
  // One conversation per worker, each one message in arrival order.
  CAF_CHECK_EQUAL(*first, (std::vector<texts>{{"a", "c", "e"}}));
  CAF_CHECK_EQUAL(*second, (std::vector<texts>{{"b", "d"}}));
  // The batched confirmations settled every call.
  CAF_CHECK_EQUAL(stats(disp).in_flight, 0u);
  // A lone event is still a lone job (C2 is free again: the least loaded,
  // first worker takes it).
  deliver(disp, message("C2", "f"));
  CAF_CHECK_EQUAL(*first, (std::vector<texts>{{"a", "c", "e"}, {"f"}}));
  CAF_CHECK_EQUAL(stats(disp).in_flight, 0u);
}

// -- messages from the network (issue 14) -------------------------------------

CAF_TEST(the network reaches none of the dispatchers local messages) {
  inject_peer = true;
  auto disp = make_dispatcher({{"message", 1}});
  auto stranger =
      caf::make_node_id(4242, "0123456789012345678901234567890123456789");
  CAF_REQUIRE(stranger);
  *peer = *stranger;
  // Events, a workspace's bot id, a workspace's removal, the counters.
  deliver(disp, message("C1", "fake"));
  self->send(disp, rtm_events{{rtm_event{event{message("C1", "fake")}}}});
  self->send(disp, identity_atom::value, std::uint32_t{0}, std::string{"U1"});
  self->send(disp, remove_workspace_atom::value, std::uint32_t{0});
  self->send(disp, stats_atom::value);
  drain();
  self->receive([](dispatch_stats&) { CAF_FAIL("the counters were read"); },
                [](caf::error&) {});
  CAF_CHECK(seen->empty());
  CAF_CHECK_EQUAL(refused(disp), 5u);
  // None of it took effect: the workspace is still routed.
  *peer = std::nullopt;
  deliver(disp, message("C1", "real"));
  CAF_REQUIRE_EQUAL(seen->size(), 1u);
  CAF_CHECK_EQUAL(seen->front().text, "real");
}

CAF_TEST(a node joins only once the gateway admitted it and until it dies) {
  inject_peer = true;
  auto disp = make_dispatcher({});
  auto log = std::make_shared<std::vector<seen_job>>();
  auto member = sys.spawn(probe_worker, log, true);
  // The test's actors play a handler node: "remote", on the node they are.
  auto node = member.node();
  auto join_from_node = [&] {
    *peer = node;
    self->send(disp, join_group_atom::value, std::string{"message"}, member);
    drain();
    *peer = std::nullopt;
  };
  join_from_node();
  CAF_CHECK_EQUAL(stats(disp).node_workers, 0u);
  CAF_CHECK_EQUAL(refused(disp), 1u);
  // Another node cannot join it either, admitted or not.
  auto other = caf::make_node_id(7, "0123456789012345678901234567890123456789");
  self->send(disp, node_admission{*other, true});
  drain();
  *peer = *other;
  self->send(disp, join_group_atom::value, std::string{"message"}, member);
  drain();
  *peer = std::nullopt;
  CAF_CHECK_EQUAL(stats(disp).node_workers, 0u);
  // Admitted (a local message, as from the gateway): its member joins.
  self->send(disp, node_admission{node, true});
  drain();
  join_from_node();
  CAF_CHECK_EQUAL(stats(disp).node_workers, 1u);
  deliver(disp, message("C1", "a1"));
  CAF_CHECK_EQUAL(texts(*log), (std::vector<std::string>{"a1"}));
  // Its connection died: a new join of it is refused.
  self->send(disp, leave_group_atom::value, std::string{"message"}, member);
  self->send(disp, node_admission{node, false});
  drain();
  join_from_node();
  CAF_CHECK_EQUAL(stats(disp).node_workers, 0u);
  CAF_CHECK_EQUAL(refused(disp), 3u);
}

CAF_TEST(from the network only the member a job went to confirms it) {
  inject_peer = true;
  auto disp = make_dispatcher({});
  auto [m1, log1] = join_member(disp, "message");
  deliver(disp, message("C1", "a1"));
  CAF_REQUIRE_EQUAL(log1->size(), 1u);
  auto key = conversation_key(event{nlohmann::json(message("C1", ""))});
  // Sent by the test's actor, not by the member.
  *peer = m1.node();
  self->send(disp, job_done{0, 0, key, 1});
  self->send(disp, jobs_done{{job_done{0, 0, key, 1}}});
  drain();
  *peer = std::nullopt;
  CAF_CHECK_EQUAL(stats(disp).in_flight, 1u);
  CAF_CHECK_EQUAL(refused(disp), 2u);
  // A forged down_msg does not evict the member.
  // (A peer's handle is untyped: it can send anything.)
  self->send(caf::actor_cast<caf::actor>(disp),
             caf::down_msg{m1.address(), caf::exit_reason::kill});
  drain();
  CAF_CHECK_EQUAL(stats(disp).node_workers, 1u);
  CAF_CHECK_EQUAL(refused(disp), 3u);
}

CAF_TEST(a message outside the interface is refused and counted) {
  auto disp = make_dispatcher({{"message", 1}});
  // A peer without our headers holds an untyped handle: a worker joining as
  // an untyped actor, and a message of no meaning here.
  auto untyped = caf::actor_cast<caf::actor>(disp);
  self->send(untyped, join_group_atom::value, std::string{"message"},
             caf::actor_cast<caf::actor>(self));
  self->send(untyped, std::string{"hello"});
  drain();
  CAF_CHECK_EQUAL(refused(disp), 2u);
  CAF_CHECK_EQUAL(stats(disp).node_workers, 0u);
  // It still routes.
  deliver(disp, message("C1", "real"));
  CAF_CHECK_EQUAL(texts(*seen), (std::vector<std::string>{"real"}));
}

CAF_TEST(a message handed over as the middleman does counts as remote) {
  // No injected check: CAF's own representation of the message decides.
  auto disp = make_dispatcher({{"message", 1}});
  // The middleman delivers a deserialized caf::message, here anonymous.
  caf::anon_send(caf::actor_cast<caf::actor>(disp),
                 caf::make_message(rtm_event{event{message("C1", "x")}}));
  drain();
  CAF_CHECK(seen->empty());
  CAF_CHECK_EQUAL(refused(disp), 1u);
  // A local send, anonymous or not, is routed.
  caf::anon_send(disp, rtm_event{event{message("C1", "anon")}});
  deliver(disp, message("C1", "sent"));
  CAF_CHECK_EQUAL(texts(*seen), (std::vector<std::string>{"anon", "sent"}));
}

CAF_TEST_FIXTURE_SCOPE_END()

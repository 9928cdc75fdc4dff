// A peer that never shows the hub's secret: it speaks CAF's protocol to the
// hub's port, addresses the hub's actors by guessed ids (as CAF 0.17 lets
// any connected peer do) and tries to join a spy worker and to inject a fake
// event. Prints what it got until it is killed; test_hub_security.py judges.
// Usage: slackrtm-hub-intruder HOST PORT TEAM [MAX_ID]
#include <chrono>
#include <future>
#include <iostream>
#include <string>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/basp_broker.hpp>

#include "actors/interfaces.hpp"

using namespace slackrtm;

namespace {

// Prints each event the hub routes to it (events it should never see).
// Takes an argument: CAF 0.17 spawns an argument-less function through a
// null tuple pointer, which UBSan rightly reports.
caf::behavior spy(caf::event_based_actor* self, std::string label) {
  auto saw = [label](const handler_job& job) {
    std::cout << label << " saw: " << job.event.raw() << std::endl;
  };
  return {
      [=](handler_job& job) {
        saw(job);
        self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                   job_done{job.group, job.worker, job.key, job.seq});
      },
      [=](handler_jobs& batch) {
        jobs_done done;
        for (auto& job : batch.jobs) {
          saw(job);
          done.done.push_back(
              job_done{job.group, job.worker, job.key, job.seq});
        }
        self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                   std::move(done));
      },
  };
}

// A proxy for actor `id` of node `hub`, made the way CAF makes one for a
// handle that arrives in a message: nothing on the hub is asked.
caf::actor proxy_for(caf::actor_system& sys, const caf::node_id& hub,
                     caf::actor_id id) {
  auto& mm = sys.middleman();
  auto broker = mm.named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto* impl = static_cast<caf::io::basp_broker*>(
      caf::actor_cast<caf::abstract_actor*>(broker));
  std::promise<caf::strong_actor_ptr> made;
  mm.run_later([&] {
    // The broker's "last hop" is a thread-local left over from elsewhere.
    impl->set_last_hop(nullptr);
    made.set_value(impl->proxy_registry_ptr()->get_or_put(hub, id));
  });
  return caf::actor_cast<caf::actor>(made.get_future().get());
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: slackrtm-hub-intruder HOST PORT TEAM [MAX_ID]\n";
    return 2;
  }
  std::string host = argv[1];
  auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
  std::string team = argv[3];
  caf::actor_id max_id = argc > 4 ? std::stoul(argv[4]) : 16;
  caf::actor_system_config cfg;
  add_message_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  // Connecting needs no secret: it yields the published gateway.
  auto gateway = sys.middleman().remote_actor<hub_actor>(host, port);
  if (!gateway) {
    std::cerr << "cannot connect: " << sys.render(gateway.error()) << "\n";
    return 1;
  }
  auto hub = gateway->node();
  auto spy_worker = sys.spawn(spy, std::string{"spy"});
  caf::scoped_actor self{sys};
  int answered_stats = 0;
  auto fake = event::parse(
      R"({"type":"message","channel":"C0INTRUDE","user":"U0USER001",)"
      R"("text":"Hello","ts":"1700000000.000777","team":")" +
      team + R"("})");
  for (caf::actor_id id = 1; id <= max_id; ++id) {
    if (id == gateway->id())
      continue;
    auto target = proxy_for(sys, hub, id);
    if (!target)
      continue;
    // Reading: the dispatcher's counters.
    self->request(target, std::chrono::milliseconds{300}, stats_atom::value)
        .receive([&](dispatch_stats&) { ++answered_stats; },
                 [](caf::error&) {});
    // Joining a spy, from an actor and anonymously, as an untyped actor
    // and with the worker interface the dispatcher takes.
    auto typed_spy = caf::actor_cast<worker_actor>(spy_worker);
    self->send(target, join_group_atom::value, std::string{"message"},
               spy_worker);
    caf::anon_send(target, join_group_atom::value, std::string{"message"},
                   spy_worker);
    self->send(target, join_group_atom::value, std::string{"message"},
               typed_spy);
    caf::anon_send(target, join_group_atom::value, std::string{"message"},
                   typed_spy);
    // Injecting a fake Hello into each workspace, both ways.
    for (std::uint32_t ws = 1; ws <= 2; ++ws) {
      self->send(target, rtm_event{*fake, 0, ws});
      caf::anon_send(target, rtm_events{{rtm_event{*fake, 0, ws}}});
    }
  }
  std::cout << "stats answered: " << answered_stats << std::endl;
  std::cout << "spy joined" << std::endl;
  // The spy listens until the test ends this process.
  for (;;)
    std::this_thread::sleep_for(std::chrono::seconds{1});
}

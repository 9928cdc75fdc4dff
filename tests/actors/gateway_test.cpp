// Admission of handler nodes: the secret, the node's ticket, and what
// nobody without one (or with a dead one) may do.
#define CAF_SUITE gateway

#include "actors/gateway.hpp"

#include "tests/support/fixture.hpp"
#include "util/logger.hpp"
#include "util/secret_proof.hpp"

using namespace slackrtm;

namespace {

// What the dispatcher stand-in was told: "join TYPE", "leave TYPE", or that
// a node was "admitted" or "dropped".
using told_list = std::vector<std::string>;

node_groups_actor::behavior_type
probe_dispatcher(node_groups_actor::pointer, std::shared_ptr<told_list> told) {
  return {
      [=](join_group_atom, const std::string& type, const worker_actor&) {
        told->push_back("join " + type);
      },
      [=](leave_group_atom, const std::string& type, const worker_actor&) {
        told->push_back("leave " + type);
      },
      [=](node_admission& msg) {
        told->push_back(msg.admitted ? "admitted" : "dropped");
      },
  };
}

// Takes an argument: spawning a function of none makes CAF 0.17 bind a
// reference to a null tuple (UBSan reports it).
worker_actor::behavior_type idle_worker(worker_actor::pointer, int) {
  return {[](handler_job&) {}, [](handler_jobs&) {}};
}

// A node's relay that does nothing: the node's identity at the gateway.
node_relay_actor::behavior_type idle_relay(node_relay_actor::pointer, int) {
  return {[](set_hub_atom, hub_calls_actor&, std::string&) {},
          [](drop_hub_atom) {}, [](relay_request&) {}};
}

struct fixture : slackrtm::test::fixture {
  std::shared_ptr<told_list> told = std::make_shared<told_list>();
  std::shared_ptr<std::vector<std::string>> lines =
      std::make_shared<std::vector<std::string>>();
  node_groups_actor dispatcher = sys.spawn(probe_dispatcher, told);
  gateway_actor gw;
  // What the gateway finds for any workspace (none unless a test sets it).
  std::shared_ptr<std::shared_ptr<gateway_target>> target =
      std::make_shared<std::shared_ptr<gateway_target>>();
  // The peer the gateway is told the next messages come from (nullopt: this
  // process): the test coordinator cannot make a remote sender.
  std::shared_ptr<std::optional<caf::node_id>> peer =
      std::make_shared<std::optional<caf::node_id>>();

  fixture() {
    gateway_config cfg;
    cfg.secret = "s3cret-value";
    cfg.dispatcher = dispatcher;
    cfg.find = [t = target](std::uint32_t) { return *t; };
    auto sink = [l = lines](log_level, std::string_view line) {
      l->emplace_back(line);
    };
    cfg.log = std::make_shared<const logger>(log_level::debug, sink);
    cfg.peer_of = [peer = peer](caf::local_actor*) { return *peer; };
    gw = sys.spawn(gateway, cfg);
    drain();
  }

  ~fixture() {
    caf::anon_send_exit(gw, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
    drain();
  }

  relay_answer answer() {
    relay_answer result;
    drain();
    self->receive([&](relay_answer& x) { result = std::move(x); });
    return result;
  }

  relay_answer challenge() {
    self->send(gw, challenge_atom::value);
    return answer();
  }

  relay_answer admit_with(const std::string& challenge,
                          const std::string& proof,
                          const node_relay_actor& node) {
    self->send(gw, admit_atom::value, challenge, proof, node);
    return answer();
  }

  // A node proves `secret` over a fresh challenge; its relay actor gets the
  // ticket.
  relay_answer admit(const std::string& secret, const node_relay_actor& node) {
    auto given = challenge();
    CAF_REQUIRE(given.ok);
    return admit_with(given.body, secret_proof(secret, given.body), node);
  }

  relay_answer join(const std::string& ticket, const worker_actor& worker) {
    self->send(gw, join_group_atom::value, ticket, std::string{"message"},
               worker);
    return answer();
  }

  relay_answer call(const std::string& ticket,
                    const std::string& params = "{}") {
    self->send(gw, webapi_atom::value, ticket, std::uint32_t{1},
               std::string{"form"}, std::string{"chat.postMessage"}, params);
    return answer();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(gateway_tests, fixture)

CAF_TEST(a wrong secret is refused and the dispatcher hears nothing) {
  auto node = sys.spawn(idle_relay, 0);
  auto refused = admit("s3cret-valuX", node);
  CAF_CHECK(!refused.ok);
  CAF_CHECK_EQUAL(refused.kind, "refused");
  // The log says why, but never shows either secret.
  CAF_REQUIRE_EQUAL(lines->size(), 1u);
  CAF_CHECK(lines->front().find("wrong secret") != std::string::npos);
  CAF_CHECK(lines->front().find("s3cret") == std::string::npos);
  CAF_CHECK(!admit("", node).ok);
  CAF_CHECK(!admit("s3cret-value-and-more", node).ok);
  // Without a ticket no worker joins.
  auto stranger =
      join("0123456789abcdef0123456789abcdef", sys.spawn(idle_worker, 0));
  CAF_CHECK(!stranger.ok);
  CAF_CHECK_EQUAL(stranger.error, "not admitted by the hub");
  drain();
  CAF_CHECK(told->empty());
}

CAF_TEST(the secret admits a node whose ticket lets its workers join) {
  auto node = sys.spawn(idle_relay, 0);
  auto admitted = admit("s3cret-value", node);
  CAF_REQUIRE(admitted.ok);
  CAF_CHECK_EQUAL(admitted.body.size(), 32u);
  CAF_CHECK(join(admitted.body, sys.spawn(idle_worker, 0)).ok);
  drain();
  CAF_CHECK_EQUAL(*told, (told_list{"admitted", "join message"}));
  auto other = admit("s3cret-value", sys.spawn(idle_relay, 0));
  CAF_CHECK_NOT_EQUAL(other.body, admitted.body);
}

CAF_TEST(calls need a live ticket) {
  auto stranger = call("0123456789abcdef0123456789abcdef");
  CAF_CHECK(!stranger.ok);
  CAF_CHECK_EQUAL(stranger.error, "not admitted by the hub");
  auto node = sys.spawn(idle_relay, 0);
  auto worker = sys.spawn(idle_worker, 0);
  auto ticket = admit("s3cret-value", node).body;
  CAF_REQUIRE(join(ticket, worker).ok);
  // Admitted, but the workspace is gone: a clear refusal, no call.
  auto gone = call(ticket);
  CAF_CHECK(!gone.ok);
  CAF_CHECK_EQUAL(gone.error, "workspace 1 is no longer served by the hub");
  // Leaving needs the ticket too.
  self->send(gw, leave_group_atom::value, std::string{"bogus"},
             std::string{"message"}, worker);
  self->send(gw, leave_group_atom::value, ticket, std::string{"message"},
             worker);
  drain();
  CAF_CHECK_EQUAL(*told,
                  (told_list{"admitted", "join message", "leave message"}));
  // The ticket dies with its node, and the dispatcher hears it.
  caf::anon_send_exit(node, caf::exit_reason::kill);
  drain();
  CAF_CHECK_EQUAL(call(ticket).error, "not admitted by the hub");
  CAF_CHECK_EQUAL(told->back(), "dropped");
}

CAF_TEST(relayed json nested too deep is refused before any copy of it) {
  auto node = sys.spawn(idle_relay, 0);
  auto ticket = admit("s3cret-value", node).body;
  // 100,000 levels: a recursive copy of its tree overflowed the stack.
  auto deep =
      R"({"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto refused = call(ticket, deep);
  CAF_CHECK(!refused.ok);
  CAF_CHECK(refused.error.find("at most 128 levels") != std::string::npos);
  self->send(gw, rtmsend_atom::value, ticket, std::uint32_t{1}, deep);
  refused = answer();
  CAF_CHECK(!refused.ok);
  CAF_CHECK(refused.error.find("at most 128 levels") != std::string::npos);
  // A shallow call still gets as far as the workspace (none here).
  CAF_CHECK(call(ticket).error.find("no longer served") != std::string::npos);
}

CAF_TEST(a ticket counts only from the node it was issued to) {
  auto node = sys.spawn(idle_relay, 0);
  auto worker = sys.spawn(idle_worker, 0);
  auto ticket = admit("s3cret-value", node).body;
  // Another node shows it (it overheard it, say).
  auto other = caf::make_node_id(7, "0123456789012345678901234567890123456789");
  CAF_REQUIRE(other);
  *peer = *other;
  CAF_CHECK_EQUAL(join(ticket, worker).error, "not admitted by the hub");
  CAF_CHECK_EQUAL(call(ticket).error, "not admitted by the hub");
  // A forged down_msg does not void the node's ticket.
  *peer = std::nullopt;
  // (A peer's handle is untyped: it can send anything.)
  self->send(caf::actor_cast<caf::actor>(gw),
             caf::down_msg{node.address(), caf::exit_reason::kill});
  drain();
  CAF_CHECK(join(ticket, worker).ok);
  CAF_CHECK_EQUAL(*told, (told_list{"admitted", "join message"}));
  // Refusals are logged once per peer.
  auto logged = std::count_if(lines->begin(), lines->end(), [](auto& line) {
    return line.find("refused") != std::string::npos &&
           line.find("0123456789") != std::string::npos;
  });
  CAF_CHECK_EQUAL(logged, 1);
}

CAF_TEST(a call relayed to a closing workspace is refused at once) {
  auto node = sys.spawn(idle_relay, 0);
  auto ticket = admit("s3cret-value", node).body;
  auto closing = std::make_shared<gateway_target>();
  closing->name = "acme";
  closing->team_id = [] { return std::string{"T42"}; };
  auto offered = std::make_shared<int>(0);
  closing->post = [offered](std::function<void()>) {
    ++*offered;
    return false; // the workspace's Web API threads are stopping
  };
  *target = closing;
  auto refused = call(ticket);
  CAF_CHECK_EQUAL(*offered, 1);
  CAF_CHECK(!refused.ok);
  CAF_CHECK(refused.error.find("closing") != std::string::npos);
  // The workspace's name and team still answer.
  self->send(gw, workspace_atom::value, ticket, std::uint32_t{1});
  auto info = answer();
  CAF_REQUIRE(info.ok);
  auto body = nlohmann::json::parse(info.body);
  CAF_CHECK_EQUAL(body["name"], "acme");
  CAF_CHECK_EQUAL(body["team_id"], "T42");
}

CAF_TEST(the secret never crosses and a proof works once) {
  auto node = sys.spawn(idle_relay, 0);
  auto given = challenge();
  CAF_REQUIRE(given.ok);
  CAF_CHECK_EQUAL(given.body.size(), 64u);
  CAF_CHECK_NOT_EQUAL(challenge().body, given.body);
  auto proof = secret_proof("s3cret-value", given.body);
  CAF_CHECK(proof.find("s3cret") == std::string::npos);
  CAF_CHECK(admit_with(given.body, proof, node).ok);
  // Overheard and replayed: the challenge is used up.
  auto replayed = admit_with(given.body, proof, sys.spawn(idle_relay, 0));
  CAF_CHECK(!replayed.ok);
  CAF_CHECK_EQUAL(replayed.error, "unknown, used or expired challenge");
  // A proof for a challenge the hub never gave counts for nothing either.
  auto made_up = std::string(64, 'a');
  CAF_CHECK(
      !admit_with(made_up, secret_proof("s3cret-value", made_up), node).ok);
}

CAF_TEST(a challenge lives 30 s and only for the node it was given to) {
  auto node = sys.spawn(idle_relay, 0);
  auto late = challenge().body;
  advance_time(std::chrono::seconds{31});
  CAF_CHECK_EQUAL(
      admit_with(late, secret_proof("s3cret-value", late), node).error,
      "unknown, used or expired challenge");
  // Given to another node, shown by this one.
  *peer = *caf::make_node_id(7, "0123456789012345678901234567890123456789");
  auto theirs = challenge().body;
  peer->reset();
  CAF_CHECK_EQUAL(
      admit_with(theirs, secret_proof("s3cret-value", theirs), node).error,
      "unknown, used or expired challenge");
  CAF_CHECK(admit("s3cret-value", node).ok);
}

CAF_TEST(failed attempts make a peer wait longer each time) {
  auto node = sys.spawn(idle_relay, 0);
  for (int i = 0; i < 4; ++i)
    CAF_CHECK_EQUAL(admit("guess", node).kind, "refused");
  // The fourth failure costs a second: no challenge, no admission.
  auto waiting = challenge();
  CAF_CHECK(!waiting.ok);
  CAF_CHECK_EQUAL(waiting.error, "too many failed attempts: retry in 1 s");
  CAF_CHECK_EQUAL(admit_with(std::string(64, 'a'), "x", node).error,
                  waiting.error);
  advance_time(std::chrono::seconds{1});
  CAF_CHECK_EQUAL(admit("guess", node).kind, "refused");
  // The fifth: two seconds.
  advance_time(std::chrono::seconds{1});
  CAF_CHECK_EQUAL(challenge().error, "too many failed attempts: retry in 1 s");
  advance_time(std::chrono::seconds{1});
  // Another peer was never slowed down.
  *peer = *caf::make_node_id(7, "0123456789012345678901234567890123456789");
  CAF_CHECK(challenge().ok);
  peer->reset();
  CAF_CHECK(admit("s3cret-value", node).ok);
  // Admitted: its failures are forgotten.
  CAF_CHECK_EQUAL(admit("guess", node).kind, "refused");
  CAF_CHECK(challenge().ok);
}

CAF_TEST(the admission guard keeps a bounded number of challenges and peers) {
  admission_guard::limits lim;
  lim.max_challenges = 4;
  lim.max_peers = 2;
  admission_guard guard{lim};
  auto now = std::chrono::steady_clock::now();
  auto me = *caf::make_node_id(1, "0123456789012345678901234567890123456789");
  std::vector<std::string> given;
  for (int i = 0; i < 100; ++i)
    given.push_back(guard.issue(me, now));
  CAF_CHECK_LESS_OR_EQUAL(guard.challenges(), 4u);
  CAF_CHECK(!guard.redeem(given.front(), me, now));
  CAF_CHECK(guard.redeem(given.back(), me, now));
  // Three failing peers: the one that failed longest ago is forgotten.
  auto peer_n = [](std::uint32_t n) {
    return *caf::make_node_id(n, "0123456789012345678901234567890123456789");
  };
  for (std::uint32_t n = 1; n <= 3; ++n)
    for (int i = 0; i < 4; ++i)
      guard.failed(peer_n(n), now + std::chrono::milliseconds{n});
  CAF_CHECK_EQUAL(guard.wait(peer_n(1), now).count(), 0);
  CAF_CHECK_GREATER(guard.wait(peer_n(3), now).count(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()

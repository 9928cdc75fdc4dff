// Admission of handler nodes and the calls they relay.
#include "actors/gateway.hpp"

#include "actors/relay.hpp"
#include "util/json_depth.hpp"
#include "util/logger.hpp"
#include "util/secret_proof.hpp"

namespace slackrtm {

namespace {

std::string new_ticket() {
  return random_hex(16);
}

relay_answer refused(std::string why) {
  auto result = relay_refusal(std::move(why));
  result.kind = "refused";
  return result;
}

} // namespace

gateway_actor::behavior_type
gateway(gateway_actor::stateful_pointer<gateway_state> self,
        gateway_config cfg) {
  if (cfg.secret.empty())
    throw std::invalid_argument("gateway: a secret is required");
  auto log = cfg.log;
  self->state.refusals = refusals{log, cfg.peer_of, "gateway"};
  self->state.refusals.refuse_unexpected(self);
  self->set_down_handler([=](caf::down_msg& msg) {
    if (self->state.refusals.forged(self, msg))
      return;
    auto& tickets = self->state.tickets;
    for (auto i = tickets.begin(); i != tickets.end();) {
      if (i->second != msg.source) {
        ++i;
        continue;
      }
      self->send(cfg.dispatcher, node_admission{i->second.node(), false});
      i = tickets.erase(i);
    }
  });
  // The node a message came from (this one for a local sender).
  auto peer_of_message = [=] {
    return self->state.refusals.peer(self).value_or(self->node());
  };
  auto too_many_failures = [=](admission_guard::duration wait) {
    auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
    // Debug only: a peer that keeps trying must not flood the log.
    log->debug("refused a handler node: too many failed attempts");
    return relay_refusal("too many failed attempts: retry in " +
                         std::to_string(seconds) + " s");
  };
  // A ticket counts when the node it was issued to shows it.
  auto admitted = [=](const std::string& ticket) {
    auto peer = self->state.refusals.peer(self);
    auto& tickets = self->state.tickets;
    if (auto i = tickets.find(ticket);
        i != tickets.end() && i->second.node() == peer.value_or(self->node()))
      return true;
    self->state.refusals.note(peer.value_or(self->node()),
                              "a call without a valid ticket");
    return false;
  };
  // Runs `call` on the workspace's Web API threads, answers when done.
  auto relay = [=](std::uint32_t workspace,
                   std::function<void(gateway_target&, std::uint64_t)> start)
      -> caf::result<relay_answer> {
    auto target = cfg.find(workspace);
    if (!target)
      return relay_refusal("workspace " + std::to_string(workspace) +
                           " is no longer served by the hub");
    auto id = ++self->state.next_call;
    self->state.calls.emplace(id, self->make_response_promise<relay_answer>());
    start(*target, id);
    return caf::delegated<relay_answer>{};
  };
  return {
      [=](challenge_atom) -> relay_answer {
        auto peer = peer_of_message();
        auto now = self->clock().now();
        if (auto wait = self->state.admission.wait(peer, now);
            wait > wait.zero())
          return too_many_failures(wait);
        relay_answer result;
        result.ok = true;
        result.body = self->state.admission.issue(peer, now);
        return result;
      },
      [=](admit_atom, const std::string& challenge, const std::string& proof,
          node_relay_actor& node) -> relay_answer {
        auto peer = peer_of_message();
        auto now = self->clock().now();
        auto& guard = self->state.admission;
        if (auto wait = guard.wait(peer, now); wait > wait.zero())
          return too_many_failures(wait);
        if (!guard.redeem(challenge, peer, now)) {
          guard.failed(peer, now);
          log->warning("refused a handler node: unknown, used or expired "
                       "challenge");
          // Not fatal for the node: a fresh challenge may do.
          return relay_refusal("unknown, used or expired challenge");
        }
        if (!same_text(proof, secret_proof(cfg.secret, challenge))) {
          guard.failed(peer, now);
          log->warning("refused a handler node: wrong secret");
          return refused("wrong secret");
        }
        if (!node)
          return relay_refusal("a node actor is required");
        guard.admitted(peer);
        auto ticket = new_ticket();
        self->state.tickets.emplace(ticket, node.address());
        self->monitor(node);
        // Before any join of the node's workers, which come after this.
        self->send(cfg.dispatcher, node_admission{node.node(), true});
        log->info("handler node admitted");
        relay_answer result;
        result.ok = true;
        result.body = std::move(ticket);
        return result;
      },
      [=](join_group_atom, const std::string& ticket, std::string& type,
          worker_actor& worker) -> relay_answer {
        if (!admitted(ticket))
          return relay_refusal("not admitted by the hub");
        if (!worker || type.empty())
          return relay_refusal("a worker and an event type are required");
        log->debug("handler node worker joined for '", type, "'");
        self->send(cfg.dispatcher, join_group_atom::value, std::move(type),
                   std::move(worker));
        relay_answer result;
        result.ok = true;
        return result;
      },
      [=](leave_group_atom, const std::string& ticket, std::string& type,
          worker_actor& worker) {
        if (admitted(ticket))
          self->send(cfg.dispatcher, leave_group_atom::value, std::move(type),
                     std::move(worker));
      },
      [=](webapi_atom, const std::string& ticket, std::uint32_t workspace,
          std::string& encoding, std::string& method,
          std::string& params) -> caf::result<relay_answer> {
        if (!admitted(ticket))
          return relay_refusal("not admitted by the hub");
        // Depth-checked: the tree is copied (recursively) below.
        auto args = parse_json(params);
        if (!args.is_object())
          return relay_refusal("relayed parameters are not a JSON object "
                               "(nested at most " +
                               std::to_string(max_json_depth) + " levels)");
        auto me = caf::actor_cast<gateway_actor>(self);
        return relay(workspace, [=](gateway_target& target, std::uint64_t id) {
          auto owner = target.owner;
          auto posted = target.post([=] {
            auto answer = run_relayed([&] {
              auto& web = owner->web_client();
              if (encoding == "json")
                return web.api_call_json(method, args);
              if (encoding == "get")
                return web.api_get(method, args);
              return web.api_call(method, args);
            });
            caf::anon_send(me, relay_done{id, std::move(answer)});
          });
          if (!posted)
            caf::anon_send(me, relay_done{id, relay_refusal("the workspace "
                                                            "is closing")});
        });
      },
      [=](rtmsend_atom, const std::string& ticket, std::uint32_t workspace,
          std::string& frame) -> caf::result<relay_answer> {
        if (!admitted(ticket))
          return relay_refusal("not admitted by the hub");
        auto body = parse_json(frame);
        if (!body.is_object())
          return relay_refusal("a frame must be a JSON object (nested at "
                               "most " +
                               std::to_string(max_json_depth) + " levels)");
        auto me = caf::actor_cast<gateway_actor>(self);
        return relay(workspace, [=](gateway_target& target, std::uint64_t id) {
          target.owner->send_async(body, [me, id](nlohmann::json reply,
                                                  std::exception_ptr err) {
            caf::anon_send(me,
                           relay_done{id, pack_relayed(std::move(reply), err)});
          });
        });
      },
      [=](workspace_atom, const std::string& ticket,
          std::uint32_t workspace) -> relay_answer {
        if (!admitted(ticket))
          return relay_refusal("not admitted by the hub");
        auto target = cfg.find(workspace);
        if (!target)
          return relay_refusal("workspace " + std::to_string(workspace) +
                               " is no longer served by the hub");
        relay_answer result;
        result.ok = true;
        result.body = nlohmann::json{{"name", target->name},
                                     {"team_id", target->team_id()}}
                          .dump();
        return result;
      },
      [=](relay_done& done) {
        auto& calls = self->state.calls;
        if (auto i = calls.find(done.call); i != calls.end()) {
          i->second.deliver(std::move(done.answer));
          calls.erase(i);
        }
      },
  };
}

} // namespace slackrtm

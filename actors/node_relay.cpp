// A node's relay: one request to the hub per call, every call answered.
#include "actors/node_relay.hpp"

#include <future>
#include <memory>

#include "actors/relay.hpp"

namespace slackrtm {

node_relay_actor::behavior_type
node_relay(node_relay_actor::stateful_pointer<node_relay_state> self,
           std::chrono::milliseconds timeout) {
  return {
      [=](set_hub_atom, hub_calls_actor& hub, std::string& ticket) {
        self->state.hub = std::move(hub);
        self->state.ticket = std::move(ticket);
      },
      [=](drop_hub_atom) {
        self->state.hub = nullptr;
        self->state.ticket.clear();
      },
      [=](relay_request& req) {
        auto& st = self->state;
        if (!st.hub) {
          req.done(relay_refusal("not joined to a hub"));
          return;
        }
        auto done = req.done;
        auto on_answer = [done](relay_answer& answer) { done(answer); };
        auto on_error = [done, self](caf::error& err) {
          done(relay_refusal("hub did not answer: " +
                             self->system().render(err)));
        };
        switch (req.what) {
        case relay_request::kind::web:
          self->request(st.hub, timeout, webapi_atom::value, st.ticket,
                        req.workspace, req.encoding, req.method, req.payload)
              .then(on_answer, on_error);
          break;
        case relay_request::kind::send:
          self->request(st.hub, timeout, rtmsend_atom::value, st.ticket,
                        req.workspace, req.payload)
              .then(on_answer, on_error);
          break;
        case relay_request::kind::info:
          self->request(st.hub, timeout, workspace_atom::value, st.ticket,
                        req.workspace)
              .then(on_answer, on_error);
          break;
        }
      },
  };
}

relay_answer relay_and_wait(const node_relay_actor& relay, relay_request req) {
  auto promise = std::make_shared<std::promise<relay_answer>>();
  auto result = promise->get_future();
  req.done = [promise](relay_answer answer) {
    promise->set_value(std::move(answer));
  };
  caf::anon_send(relay, std::move(req));
  return result.get();
}

} // namespace slackrtm

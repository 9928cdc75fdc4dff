// Telling network messages from local ones, and refusing the former.
#include "actors/refusals.hpp"

#include "util/logger.hpp"

namespace slackrtm {

std::optional<caf::node_id> network_peer(caf::local_actor* self) {
  auto* element = self->current_mailbox_element();
  if (!element)
    return std::nullopt;
  auto& sender = element->sender;
  if (sender && sender->node() != self->node())
    return sender->node();
  // CAF 0.17 delivers a network message with its content deserialized into
  // a `caf::message`, while a local send stores its values in a typed
  // element (a `type_erased_tuple`). The sender alone cannot tell: a peer
  // may send anonymously, or name any actor of ours that CAF registered
  // (the gateway, the dispatcher) as the sender.
  if (dynamic_cast<const caf::type_erased_tuple*>(element) == nullptr)
    return caf::node_id{};
  return std::nullopt;
}

void refusals::note(const caf::node_id& peer, const char* what) {
  ++count_;
  // A peer can take a new node id per connection: log the first few only.
  constexpr std::size_t max_logged = 64;
  auto* log = log_.get();
  if (!log || logged_.size() > max_logged)
    return;
  auto name = peer ? caf::to_string(peer) : std::string{"a hidden peer"};
  if (!logged_.insert(name).second)
    return;
  if (logged_.size() > max_logged)
    log->warning(actor_, ": refused messages from more unadmitted peers; "
                         "no longer logged one by one");
  else
    log->warning(actor_, ": refused ", what, " from unadmitted peer ", name,
                 " (further refusals from it are counted, not logged)");
}

} // namespace slackrtm

// Who sent the message an actor handles, and the refusal of what a network
// peer may not send. CAF 0.17 delivers a network message to any actor it
// registered, by actor id, whether or not the peer was admitted; the actors a
// node can address check each message with these.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include <caf/all.hpp>

namespace slackrtm {

class logger;

/// The peer the current message of `self` came from over the network, or
/// nullopt for a message of this process. An empty `node_id` stands for a
/// peer that hid (an anonymous send, or one naming a local actor as sender).
std::optional<caf::node_id> network_peer(caf::local_actor* self);

/// Tells the origin of the current message (`network_peer`; tests, which
/// cannot make a remote sender, inject their own).
using peer_check =
    std::function<std::optional<caf::node_id>(caf::local_actor* self)>;

/// What an actor that the network can address refuses, and how: it tells a
/// network message from a local one, counts each refusal, and logs the first
/// from each peer only, so that a peer cannot flood the log.
class refusals {
public:
  refusals() = default;

  /// Logs to `log` (may be null) as `actor`; `check` replaces
  /// `network_peer` (null: none).
  refusals(std::shared_ptr<const logger> log, peer_check check,
           const char* actor)
      : log_(std::move(log)), check_(std::move(check)), actor_(actor) {
    // nop
  }

  /// The peer the current message of `self` came from (nullopt: this
  /// process).
  std::optional<caf::node_id> peer(caf::local_actor* self) const {
    return check_ ? check_(self) : network_peer(self);
  }

  /// Counts a refused `what` from `peer`; logs it when `peer` is new.
  void note(const caf::node_id& peer, const char* what);

  /// True, and counted, when the current message of `self` came over the
  /// network.
  bool remote(caf::local_actor* self, const char* what) {
    auto from = peer(self);
    if (from)
      note(*from, what);
    return from.has_value();
  }

  /// True, and counted, for a `down_msg` that does not come from the actor
  /// it names: CAF's own does, while a peer could forge one to evict a
  /// member or void a ticket.
  bool forged(caf::local_actor* self, const caf::down_msg& msg) {
    if (caf::actor_cast<caf::actor_addr>(self->current_sender()) == msg.source)
      return false;
    note(peer(self).value_or(caf::node_id{}), "a down_msg");
    return true;
  }

  /// Makes `self` refuse every message outside its interface (the network
  /// can send any), answering `unexpected_message`. CAF's default would
  /// print each to stderr. `self` must own this object.
  template <class Self>
  void refuse_unexpected(Self* self) {
    self->set_default_handler(
        [this, self](caf::scheduled_actor*,
                     caf::message_view&) -> caf::result<caf::message> {
          note(peer(self).value_or(self->node()),
               "a message outside its interface");
          return caf::make_error(caf::sec::unexpected_message);
        });
  }

  /// Messages refused.
  std::uint64_t count() const noexcept { return count_; }

private:
  std::shared_ptr<const logger> log_;
  peer_check check_;
  const char* actor_ = "actor";
  std::uint64_t count_ = 0;
  std::unordered_set<std::string> logged_;
};

} // namespace slackrtm

// The handlers registered with a client, a hub or a node before it runs.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "actors/handler_worker.hpp"
#include "slackrtm/client.hpp"
#include "slackrtm/context.hpp"
#include "src/context_origin.hpp"

namespace slackrtm {

/// One registration: the event type (`type` or `type::subtype` or `*`),
/// the callback, and its worker count (0: the owner's default).
struct handler_registration {
  std::string type;
  handler fn;
  std::size_t workers = 0;
};

/// Checks a registration and returns it; throws `std::invalid_argument` for
/// an empty type or callback.
inline handler_registration checked_handler(std::string type, handler fn,
                                            std::size_t workers) {
  if (!fn)
    throw std::invalid_argument("slackrtm: empty handler for " + type);
  if (type.empty())
    throw std::invalid_argument("slackrtm: empty event type");
  return {std::move(type), std::move(fn), workers};
}

/// The routing name of `type` with `subtype` (`type` alone when empty).
inline std::string subtype_route(const std::string& type,
                                 const std::string& subtype) {
  return subtype.empty() ? type : type + "::" + subtype;
}

using handler_list = std::vector<handler_registration>;

/// The one adapter from a user's handler to a worker's callback, for the
/// client, the hub and the node: each event runs `fn` with a context on the
/// origin that `find(workspace)` returns (a pointer, raw or shared, held for
/// the call), or is skipped when that is null (the workspace is gone).
template <class FindOrigin>
event_callback bind_handler(handler fn, FindOrigin find) {
  return [fn = std::move(fn), find = std::move(find)](std::uint32_t workspace,
                                                      const event& ev) {
    auto origin = find(workspace);
    if (!origin)
      return;
    context ctx{*origin};
    fn(ctx, ev);
  };
}

} // namespace slackrtm

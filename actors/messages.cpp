// Out-of-line parts of the message types.
#include "actors/messages.hpp"

namespace slackrtm {

caf::error make_error(conn_errc code, std::string reason,
                      std::int32_t retry_after) {
  return caf::error{static_cast<std::uint8_t>(code), conn_category,
                    caf::make_message(std::move(reason), retry_after)};
}

} // namespace slackrtm

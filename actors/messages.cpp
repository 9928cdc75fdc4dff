// Out-of-line parts of the message types.
#include "actors/messages.hpp"

namespace slackrtm {

std::string_view shared_event::type() const noexcept {
  if (!body_ || !body_->is_object())
    return {};
  auto i = body_->find("type");
  if (i == body_->end() || !i->is_string())
    return {};
  return i->get_ref<const std::string&>();
}

bool shared_event::load(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded())
    return false;
  body_ = std::make_shared<const nlohmann::json>(std::move(parsed));
  return true;
}

caf::error make_error(conn_errc code, std::string reason,
                      std::int32_t retry_after) {
  return caf::error{static_cast<std::uint8_t>(code), conn_category,
                    caf::make_message(std::move(reason), retry_after)};
}

} // namespace slackrtm

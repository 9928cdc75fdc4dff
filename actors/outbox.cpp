// Outbox bookkeeping: validation, id stamping, settling by reply_to.
#include "actors/outbox.hpp"

#include "util/json_depth.hpp"

namespace slackrtm {

namespace {

// Room for `"id":<20 digits>,` added when stamping.
constexpr std::size_t id_room = 28;

} // namespace

std::size_t utf8_length(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

std::optional<std::string> outbox::add(std::uint64_t request,
                                       const std::string& frame) {
  // A frame relayed from a handler node is untrusted; its tree is dumped
  // (recursively) for every attempt.
  if (json_too_deep(frame))
    return "frame nests deeper than " + std::to_string(max_json_depth) +
           " levels";
  auto parsed = nlohmann::json::parse(frame, nullptr, false);
  if (!parsed.is_object())
    return "a frame must be a JSON object";
  if (frame.size() + id_room > limits_.max_frame_bytes)
    return "frame of " + std::to_string(frame.size()) +
           " bytes exceeds Slack's limit of " +
           std::to_string(limits_.max_frame_bytes) + " bytes";
  if (auto text = parsed.find("text");
      text != parsed.end() && text->is_string()) {
    auto chars = utf8_length(text->get_ref<const std::string&>());
    if (chars > limits_.max_text_chars)
      return "text of " + std::to_string(chars) +
             " characters exceeds Slack's limit of " +
             std::to_string(limits_.max_text_chars);
  }
  if (entries_.size() >= limits_.capacity)
    return "outbox full (" + std::to_string(limits_.capacity) +
           " frames awaiting Slack's reply)";
  auto type = parsed.value("type", std::string{});
  // Slack answers messages with a reply and pings with a pong.
  auto expects_reply = type == "message" || type == "ping";
  entries_.emplace(request, entry{std::move(parsed), {}, expects_reply});
  return std::nullopt;
}

std::string outbox::stamp(std::uint64_t request, std::uint64_t id) {
  auto i = entries_.find(request);
  if (i == entries_.end())
    return {};
  i->second.ids.push_back(id);
  by_id_.emplace(id, request);
  i->second.frame["id"] = id;
  return i->second.frame.dump();
}

std::optional<std::uint64_t> outbox::settle(std::uint64_t reply_to) {
  auto i = by_id_.find(reply_to);
  if (i == by_id_.end())
    return std::nullopt;
  auto request = i->second;
  remove(request);
  return request;
}

bool outbox::remove(std::uint64_t request) {
  auto i = entries_.find(request);
  if (i == entries_.end())
    return false;
  for (auto id : i->second.ids)
    by_id_.erase(id);
  entries_.erase(i);
  return true;
}

std::vector<std::uint64_t> outbox::clear() {
  auto result = requests();
  entries_.clear();
  by_id_.clear();
  return result;
}

const nlohmann::json* outbox::frame(std::uint64_t request) const {
  auto i = entries_.find(request);
  return i == entries_.end() ? nullptr : &i->second.frame;
}

bool outbox::expects_reply(std::uint64_t request) const {
  auto i = entries_.find(request);
  return i != entries_.end() && i->second.expects_reply;
}

std::vector<std::uint64_t> outbox::requests() const {
  std::vector<std::uint64_t> result;
  result.reserve(entries_.size());
  for (auto& [request, e] : entries_)
    result.push_back(request);
  return result;
}

} // namespace slackrtm

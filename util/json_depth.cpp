// Depth checks that themselves never recurse, so that they hold on any
// input.
#include "util/json_depth.hpp"

#include <utility>
#include <vector>

namespace slackrtm {

bool json_too_deep(std::string_view text, std::size_t limit) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i; // an escaped quote does not end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
    case '"':
      in_string = true;
      break;
    case '[':
    case '{':
      if (++depth > limit)
        return true;
      break;
    case ']':
    case '}':
      if (depth > 0)
        --depth;
      break;
    default:
      break;
    }
  }
  return false;
}

bool json_tree_too_deep(const nlohmann::json& value, std::size_t limit) {
  if (!value.is_structured())
    return false;
  if (limit == 0)
    return true;
  // The containers from the root down to the one being walked, each with
  // its next child; never longer than `limit`.
  std::vector<std::pair<const nlohmann::json*, nlohmann::json::const_iterator>>
      path;
  path.emplace_back(&value, value.cbegin());
  while (!path.empty()) {
    auto& [node, next] = path.back();
    if (next == node->cend()) {
      path.pop_back();
      continue;
    }
    const auto& child = *next++;
    if (!child.is_structured())
      continue;
    if (path.size() >= limit)
      return true;
    path.emplace_back(&child, child.cbegin());
  }
  return false;
}

nlohmann::json parse_json(std::string_view text, std::size_t limit) {
  if (json_too_deep(text, limit))
    return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text, nullptr, false);
}

} // namespace slackrtm

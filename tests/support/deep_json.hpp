// Hostile JSON for the nesting bound's tests: arrays or objects nested `n`
// levels deep, built without recursion.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace slackrtm::test {

/// `[[[...]]]`, `n` levels deep.
inline std::string deep_json_text(std::size_t n) {
  return std::string(n, '[') + std::string(n, ']');
}

/// `{"a":{"a":...{}}}`, `n` levels deep (nlohmann destroys it without
/// recursion; copying or dumping it would recurse).
inline nlohmann::json deep_json_tree(std::size_t n) {
  nlohmann::json root = nlohmann::json::object();
  auto* node = &root;
  for (std::size_t i = 1; i < n; ++i)
    node = &((*node)["a"] = nlohmann::json::object());
  return root;
}

} // namespace slackrtm::test

// A bound on the nesting of JSON from outside (Web API answers, frames,
// relayed calls and responses). nlohmann parses and destroys a tree without
// recursion, but copies, compares and dumps it recursively: an answer
// nested 100,000 levels deep overflowed the stack there. Such JSON is
// refused before a tree of it exists.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace slackrtm {

/// Arrays and objects nested deeper than this are refused. Slack's own
/// payloads, Block Kit's included, stay within about a dozen levels.
inline constexpr std::size_t max_json_depth = 128;

/// True when `text` opens more than `limit` arrays or objects inside one
/// another (brackets in strings do not count). One pass, no validation.
bool json_too_deep(std::string_view text,
                   std::size_t limit = max_json_depth) noexcept;

/// True when the tree `value` nests arrays or objects more than `limit`
/// levels deep. Walks it without recursion.
bool json_tree_too_deep(const nlohmann::json& value,
                        std::size_t limit = max_json_depth);

/// Like `nlohmann::json::parse(text, nullptr, false)`: a discarded value
/// when `text` is not JSON, and also when it nests deeper than `limit`.
nlohmann::json parse_json(std::string_view text,
                          std::size_t limit = max_json_depth);

} // namespace slackrtm

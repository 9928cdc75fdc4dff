// The nesting bound: text and trees 100,000 levels deep are seen as too
// deep without recursion; brackets in strings do not count.
#define CAF_SUITE json_depth

#include "util/json_depth.hpp"

#include <caf/test/unit_test.hpp>

#include "tests/support/deep_json.hpp"

using namespace slackrtm;

CAF_TEST(text deeper than the limit is seen without recursion) {
  CAF_CHECK(json_too_deep(test::deep_json_text(100000)));
  CAF_CHECK(json_too_deep(test::deep_json_text(max_json_depth + 1)));
  CAF_CHECK(!json_too_deep(test::deep_json_text(max_json_depth)));
  CAF_CHECK(!json_too_deep(R"({"a":[1,{"b":"]]]"}]})", 3));
  CAF_CHECK(json_too_deep(R"({"a":[1,{"b":[]}]})", 3));
  // Brackets in strings, escaped quotes included, do not count.
  CAF_CHECK(!json_too_deep(R"(["\"[[[[", "{{{{"])", 1));
}

CAF_TEST(trees deeper than the limit are seen without recursion) {
  CAF_CHECK(json_tree_too_deep(test::deep_json_tree(100000)));
  CAF_CHECK(json_tree_too_deep(test::deep_json_tree(max_json_depth + 1)));
  CAF_CHECK(!json_tree_too_deep(test::deep_json_tree(max_json_depth)));
  CAF_CHECK(!json_tree_too_deep(nlohmann::json(42), 0));
  CAF_CHECK(json_tree_too_deep(nlohmann::json::array(), 0));
  nlohmann::json wide{{"a", {1, 2, {{"b", nullptr}}}}, {"c", "d"}};
  CAF_CHECK(!json_tree_too_deep(wide, 3));
  CAF_CHECK(json_tree_too_deep(wide, 2));
}

CAF_TEST(parse_json refuses text nested too deep) {
  CAF_CHECK(parse_json(test::deep_json_text(100000)).is_discarded());
  CAF_CHECK(parse_json("{").is_discarded());
  auto fine = parse_json(R"({"a":[1]})");
  CAF_CHECK_EQUAL(fine["a"][0], 1);
}

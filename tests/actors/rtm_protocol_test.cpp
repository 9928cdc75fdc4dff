// rtm.connect's answer as the connection reads it: the socket URL and the
// identity, and an answer too deep to copy.
#define CAF_SUITE rtm_protocol

#include "actors/rtm_protocol.hpp"

#include <caf/test/unit_test.hpp>

#include "tests/support/deep_json.hpp"

using namespace slackrtm;

CAF_TEST(the connect answer gives the url and the identity) {
  rtm_protocol protocol;
  auto result =
      protocol.read_connect_answer({{"ok", true},
                                    {"url", "wss://example.invalid/x"},
                                    {"self", {{"id", "U1"}}},
                                    {"team", {{"id", "T1"}}},
                                    {"other", 1}},
                                   nullptr);
  CAF_CHECK(result.ok);
  CAF_CHECK_EQUAL(result.url, "wss://example.invalid/x");
  CAF_CHECK_EQUAL(result.identity,
                  R"({"self":{"id":"U1"},"team":{"id":"T1"}})");
}

CAF_TEST(a self nested 100000 levels deep fails the connect) {
  rtm_protocol protocol;
  nlohmann::json answer{{"ok", true}, {"url", "wss://example.invalid/x"}};
  answer["self"] = test::deep_json_tree(100000);
  auto result = protocol.read_connect_answer(answer, nullptr);
  CAF_CHECK(!result.ok);
  CAF_CHECK_EQUAL(result.error, "json_too_deep");
}

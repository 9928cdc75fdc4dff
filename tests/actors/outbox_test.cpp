// The outbox: limits checked before sending, ids stamped per attempt, and a
// reply to any attempt settling the send exactly once.
#define CAF_SUITE outbox

#include "actors/outbox.hpp"

#include <caf/test/unit_test.hpp>

#include "tests/support/deep_json.hpp"
#include "util/json_depth.hpp"

using namespace slackrtm;

CAF_TEST(a reply to any attempt settles the send once) {
  outbox box;
  CAF_REQUIRE(!box.add(1, R"({"type":"message","channel":"C1","text":"hi"})"));
  auto first = nlohmann::json::parse(box.stamp(1, 10));
  CAF_CHECK_EQUAL(first["id"], 10);
  CAF_CHECK_EQUAL(first["text"], "hi");
  // The socket died; the same send goes out again under a new id.
  auto second = nlohmann::json::parse(box.stamp(1, 11));
  CAF_CHECK_EQUAL(second["id"], 11);
  // The old socket's reply arrives late, on the new socket.
  CAF_CHECK_EQUAL(box.settle(10), std::optional<std::uint64_t>{1});
  CAF_CHECK_EQUAL(box.settle(11), std::nullopt);
  CAF_CHECK_EQUAL(box.size(), 0u);
}

CAF_TEST(requests come back oldest first) {
  outbox box;
  for (std::uint64_t r : {3, 1, 2})
    CAF_REQUIRE(!box.add(r, R"({"type":"typing","channel":"C1"})"));
  CAF_CHECK_EQUAL(box.requests(), (std::vector<std::uint64_t>{1, 2, 3}));
  CAF_CHECK(box.remove(2));
  CAF_CHECK(!box.remove(2));
  CAF_CHECK_EQUAL(box.clear(), (std::vector<std::uint64_t>{1, 3}));
  CAF_CHECK_EQUAL(box.size(), 0u);
}

CAF_TEST(oversized text and frames and a full outbox are refused) {
  outbox::limits lim;
  lim.capacity = 2;
  outbox box{lim};
  nlohmann::json msg{{"type", "message"}, {"channel", "C1"}};
  // 4000 characters are fine, even when each takes several bytes.
  std::string text;
  for (int i = 0; i < 4000; ++i)
    text += "\xc3\xa9"; // é
  msg["text"] = text;
  CAF_CHECK(!box.add(1, msg.dump()));
  msg["text"] = text + "x";
  auto refused = box.add(2, msg.dump());
  CAF_REQUIRE(refused.has_value());
  CAF_CHECK_NOT_EQUAL(refused->find("4001 characters"), std::string::npos);
  nlohmann::json big{{"type", "presence_sub"},
                     {"ids", std::vector<std::string>(2000, "U000000001")}};
  refused = box.add(3, big.dump());
  CAF_REQUIRE(refused.has_value());
  CAF_CHECK_NOT_EQUAL(refused->find("16384 bytes"), std::string::npos);
  CAF_CHECK(box.add(4, "[1,2]").has_value());
  CAF_CHECK(!box.add(5, R"({"type":"typing","channel":"C1"})"));
  refused = box.add(6, R"({"type":"typing","channel":"C1"})");
  CAF_REQUIRE(refused.has_value());
  CAF_CHECK_NOT_EQUAL(refused->find("outbox full"), std::string::npos);
  CAF_CHECK_EQUAL(box.size(), 2u);
}

CAF_TEST(only messages expect a reply) {
  outbox box;
  CAF_REQUIRE(!box.add(1, R"({"type":"message","channel":"C1","text":"x"})"));
  CAF_REQUIRE(!box.add(2, R"({"type":"typing","channel":"C1"})"));
  CAF_REQUIRE(!box.add(3, R"({"type":"presence_sub","ids":["U1"]})"));
  CAF_CHECK(box.expects_reply(1));
  CAF_CHECK(!box.expects_reply(2));
  CAF_CHECK(!box.expects_reply(3));
  CAF_CHECK(!box.expects_reply(4));
}

CAF_TEST(utf8 length counts characters) {
  CAF_CHECK_EQUAL(utf8_length(""), 0u);
  CAF_CHECK_EQUAL(utf8_length("abc"), 3u);
  CAF_CHECK_EQUAL(utf8_length("h\xc3\xa9llo \xf0\x9f\x91\x8b"), 7u);
}

CAF_TEST(frames nested deeper than the bound are refused) {
  outbox box;
  for (std::size_t depth : {std::size_t{100000}, max_json_depth + 1}) {
    auto frame = R"({"type":"message","channel":"C1","blocks":)" +
                 test::deep_json_text(depth - 1) + "}";
    auto refused = box.add(1, frame);
    CAF_REQUIRE(refused.has_value());
    CAF_CHECK(refused->find("nests deeper than 128 levels") !=
              std::string::npos);
  }
  CAF_CHECK_EQUAL(box.size(), 0u);
}

// The team cache: loading rtm.start's answer or the lists, look-ups by id
// and name, and keeping current from Slack's team events.
#define CAF_SUITE team_cache

#include "actors/team_cache.hpp"

#include <caf/test/unit_test.hpp>

using namespace slackrtm;
using json = nlohmann::json;

namespace {

json start_answer() {
  return json::parse(R"({
    "ok": true, "url": "ws://x/rtm",
    "self": {"id": "U0BOT", "name": "bot"},
    "team": {"id": "T1", "name": "Team", "domain": "team"},
    "users": [{"id": "U1", "name": "alice",
               "profile": {"display_name": "Alice A"}},
              {"id": "U0BOT", "name": "bot"}],
    "channels": [{"id": "C1", "name": "general", "is_channel": true,
                  "is_member": true, "members": ["U1", "U0BOT"]}],
    "groups": [{"id": "G1", "name": "secret", "is_group": true,
                "is_private": true}],
    "ims": [{"id": "D1", "user": "U1"}],
    "mpims": [{"id": "G2", "name": "mpdm-alice--bot-1"}]
  })");
}

std::string name_of(const std::optional<json>& x) {
  return x ? x->value("name", "") : "<none>";
}

struct fixture {
  team_cache team;
  fixture() { team.load_connect_answer(start_answer()); }
};

} // namespace

CAF_TEST(rtm connect fills only self and team) {
  team_cache team;
  CAF_CHECK(!team.ready());
  team.load_connect_answer(
      {{"self", {{"id", "U0BOT"}}}, {"team", {{"id", "T1"}}}});
  CAF_CHECK(!team.ready());
  CAF_CHECK_EQUAL(team.self().value("id", ""), "U0BOT");
  CAF_CHECK(team.users().empty());
}

CAF_TEST_FIXTURE_SCOPE(team_state_tests, fixture)

CAF_TEST(rtm start fills users and every kind of conversation) {
  CAF_CHECK(team.ready());
  CAF_CHECK_EQUAL(team.team().value("domain", ""), "team");
  CAF_CHECK_EQUAL(team.users().size(), 2u);
  CAF_CHECK_EQUAL(team.conversations().size(), 4u);
  CAF_CHECK_EQUAL(team.conversations("channel").size(), 1u);
  CAF_CHECK_EQUAL(team.conversations("group").size(), 1u);
  CAF_CHECK_EQUAL(team.conversations("im").size(), 1u);
  CAF_CHECK_EQUAL(team.conversations("mpim").size(), 1u);
}

CAF_TEST(look ups by id and by name) {
  CAF_CHECK_EQUAL(name_of(team.user("U1")), "alice");
  CAF_CHECK_EQUAL(name_of(team.user_by_name("@alice")), "alice");
  CAF_CHECK_EQUAL(name_of(team.user_by_name("Alice A")), "alice");
  CAF_CHECK(!team.user("U9"));
  CAF_CHECK_EQUAL(name_of(team.conversation_by_name("#general")), "general");
  CAF_CHECK_EQUAL(name_of(team.conversation_by_name("secret")), "secret");
  CAF_CHECK(!team.conversation_by_name("nope"));
  auto im = team.im_with("U1");
  CAF_REQUIRE(im.has_value());
  CAF_CHECK_EQUAL(im->value("id", ""), "D1");
}

CAF_TEST(channel events keep the conversations current) {
  CAF_CHECK(team.apply(json::parse(
      R"({"type":"channel_created","channel":{"id":"C2","name":"new"}})")));
  auto created = team.conversation("C2");
  CAF_REQUIRE(created.has_value());
  CAF_CHECK_EQUAL(created->value("is_channel", false), true);
  team.apply(json::parse(
      R"({"type":"channel_rename","channel":{"id":"C2","name":"renamed"}})"));
  CAF_CHECK_EQUAL(name_of(team.conversation_by_name("renamed")), "renamed");
  CAF_CHECK(!team.conversation_by_name("new"));
  team.apply(json::parse(R"({"type":"channel_archive","channel":"C2"})"));
  CAF_CHECK_EQUAL(team.conversation("C2")->value("is_archived", false), true);
  team.apply(json::parse(R"({"type":"channel_unarchive","channel":"C2"})"));
  CAF_CHECK_EQUAL(team.conversation("C2")->value("is_archived", true), false);
  team.apply(json::parse(R"({"type":"channel_deleted","channel":"C2"})"));
  CAF_CHECK(!team.conversation("C2"));
}

CAF_TEST(membership events update members and the bots own membership) {
  team.apply(json::parse(
      R"({"type":"member_left_channel","channel":"C1","user":"U0BOT"})"));
  auto c1 = team.conversation("C1");
  CAF_REQUIRE(c1.has_value());
  CAF_CHECK_EQUAL(c1->value("is_member", true), false);
  CAF_CHECK_EQUAL((*c1)["members"], json::array({"U1"}));
  team.apply(json::parse(
      R"({"type":"member_joined_channel","channel":"C1","user":"U2"})"));
  c1 = team.conversation("C1");
  CAF_CHECK_EQUAL((*c1)["members"], json::array({"U1", "U2"}));
  CAF_CHECK_EQUAL(c1->value("num_members", 0), 2);
  team.apply(json::parse(
      R"({"type":"group_joined","channel":{"id":"G3","name":"more"}})"));
  CAF_CHECK_EQUAL(team.conversation("G3")->value("is_private", false), true);
  team.apply(json::parse(R"({"type":"group_left","channel":"G3"})"));
  CAF_CHECK_EQUAL(team.conversation("G3")->value("is_member", true), false);
  team.apply(json::parse(
      R"({"type":"im_created","user":"U2","channel":{"id":"D2"}})"));
  CAF_CHECK_EQUAL(team.im_with("U2")->value("id", ""), "D2");
}

CAF_TEST(user and team events keep users and the team current) {
  team.apply(
      json::parse(R"({"type":"team_join","user":{"id":"U3","name":"carol"}})"));
  CAF_CHECK_EQUAL(name_of(team.user_by_name("carol")), "carol");
  team.apply(json::parse(
      R"({"type":"user_change","user":{"id":"U3","name":"caroline"}})"));
  CAF_CHECK_EQUAL(name_of(team.user("U3")), "caroline");
  team.apply(json::parse(R"({"type":"team_rename","name":"Renamed"})"));
  CAF_CHECK_EQUAL(team.team().value("name", ""), "Renamed");
}

CAF_TEST(other and malformed events change nothing) {
  CAF_CHECK(!team.apply(json::parse(R"({"type":"message","text":"x"})")));
  CAF_CHECK(!team.apply(json::parse(R"({"type":"channel_created"})")));
  CAF_CHECK(!team.apply(json::parse(R"({"type":"team_join","user":"U5"})")));
  CAF_CHECK(!team.apply(json::parse(R"({"type":"channel_archive"})")));
  CAF_CHECK_EQUAL(team.conversations().size(), 4u);
  CAF_CHECK_EQUAL(team.users().size(), 2u);
}

CAF_TEST(lists replace what was loaded) {
  team.load_lists({json{{"id", "U7"}, {"name", "zed"}}},
                  {json{{"id", "C7"}, {"name", "only"}}});
  CAF_CHECK_EQUAL(team.users().size(), 1u);
  CAF_CHECK_EQUAL(name_of(team.conversation_by_name("only")), "only");
  CAF_CHECK(!team.conversation("C1"));
}

CAF_TEST_FIXTURE_SCOPE_END()

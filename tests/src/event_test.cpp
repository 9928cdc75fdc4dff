// The event's index: validation, top-level fields, the conversation id, the
// lazily built tree, and handlers of either form.
#define CAF_SUITE event

#include "slackrtm/event.hpp"

#include <string>
#include <thread>
#include <vector>

#include <caf/test/unit_test.hpp>

#include "slackrtm/client.hpp"
#include "src/context_origin.hpp"
#include "tests/support/deep_json.hpp"
#include "util/json_depth.hpp"

using namespace slackrtm;

namespace {

event parsed(const std::string& text) {
  std::string error;
  auto ev = event::parse(text, &error);
  if (!ev)
    CAF_FAIL("cannot parse " << text << ": " << error);
  return std::move(*ev);
}

} // namespace

CAF_TEST(top level fields are read from the index) {
  auto ev =
      parsed(R"({"type":"message","subtype":"bot_message","text":"a\"b\u00e9",)"
             R"("n":-42,"big":18446744073709551615,"f":1.5,"yes":true,)"
             R"("no":false,"nil":null,"blocks":[{"type":"x"}]})");
  CAF_CHECK_EQUAL(ev.type(), "message");
  CAF_CHECK_EQUAL(ev.subtype(), "bot_message");
  CAF_CHECK_EQUAL(ev.string("text"), "a\"b\xc3\xa9");
  CAF_CHECK_EQUAL(ev.get_int("n"), std::optional<std::int64_t>{-42});
  CAF_CHECK(!ev.get_int("big"));
  CAF_CHECK(!ev.get_int("f"));
  CAF_CHECK(!ev.get_int("text"));
  CAF_CHECK_EQUAL(ev.get_bool("yes"), std::optional<bool>{true});
  CAF_CHECK_EQUAL(ev.get_bool("no"), std::optional<bool>{false});
  CAF_CHECK(!ev.get_bool("nil"));
  CAF_CHECK(ev.contains("nil"));
  CAF_CHECK(ev.contains("blocks"));
  CAF_CHECK(!ev.contains("missing"));
  CAF_CHECK(!ev.get_string("blocks"));
  CAF_CHECK_EQUAL(ev.string("missing", "fallback"), "fallback");
  // Nested values come from the tree.
  CAF_CHECK_EQUAL(ev.json()["blocks"][0]["type"], "x");
  CAF_CHECK_EQUAL(ev.json()["text"], "a\"b\xc3\xa9");
}

CAF_TEST(malformed frames are refused with a reason) {
  std::string error;
  CAF_CHECK(!event::parse("{\"type\":", &error));
  CAF_CHECK(error.find("not JSON") == 0);
  CAF_CHECK(!event::parse("[1,2]", &error));
  CAF_CHECK_EQUAL(error, "not a JSON object");
  CAF_CHECK(!event::parse("\"text\"", &error));
  CAF_CHECK(!event::parse("{\"a\":tru}", &error));
  CAF_CHECK(!event::parse("{\"a\":\"\xff\"}", &error)); // not UTF-8
  CAF_CHECK(!event::parse("", &error));
}

CAF_TEST(the conversation is the channel or the channel id or item or user) {
  // The views point into the event: each one is kept while checked.
  auto plain = parsed(R"({"channel":"C1","user":"U1"})");
  CAF_CHECK_EQUAL(plain.conversation(), "C1");
  auto object = parsed(R"({"channel":{"id":"C2","name":"x"}})");
  CAF_CHECK_EQUAL(object.conversation(), "C2");
  auto item =
      parsed(R"({"item":{"type":"message","channel":"C3"},"user":"U1"})");
  CAF_CHECK_EQUAL(item.conversation(), "C3");
  auto user = parsed(R"({"channel":null,"user":"U4"})");
  CAF_CHECK_EQUAL(user.conversation(), "U4");
  auto none = parsed(R"({"type":"hello"})");
  CAF_CHECK_EQUAL(none.conversation(), "");
}

CAF_TEST(the last of duplicate keys counts) {
  auto ev = parsed(R"({"type":"a","type":"b"})");
  CAF_CHECK_EQUAL(ev.type(), "b");
}

CAF_TEST(large frames parse on a parser of their own) {
  std::string text(100000, 'x');
  auto ev = parsed("{\"type\":\"message\",\"text\":\"" + text + "\"}");
  CAF_CHECK_EQUAL(ev.string("text").size(), text.size());
  // The per-thread parser still works afterwards.
  auto small = parsed(R"({"type":"small"})");
  CAF_CHECK_EQUAL(small.type(), "small");
}

CAF_TEST(events made from a tree keep it) {
  nlohmann::json body{{"type", "connecting"}, {"attempt", 3}};
  event ev{body};
  CAF_CHECK_EQUAL(ev.type(), "connecting");
  CAF_CHECK_EQUAL(ev.get_int("attempt"), std::optional<std::int64_t>{3});
  CAF_CHECK_EQUAL(ev.json(), body);
  CAF_CHECK_EQUAL(nlohmann::json::parse(ev.raw()), body);
  event empty;
  CAF_CHECK(!empty);
  CAF_CHECK_EQUAL(empty.type(), "");
  CAF_CHECK(empty.json().is_object());
}

CAF_TEST(the tree is built once for concurrent readers) {
  auto ev = parsed(R"({"type":"message","blocks":[1,2,3]})");
  std::vector<const nlohmann::json*> seen(4);
  std::vector<std::thread> readers;
  for (std::size_t i = 0; i < seen.size(); ++i)
    readers.emplace_back([&, i] { seen[i] = &ev.json(); });
  for (auto& t : readers)
    t.join();
  for (auto* tree : seen) {
    CAF_CHECK_EQUAL(tree, seen[0]);
    CAF_CHECK_EQUAL((*tree)["blocks"].size(), 3u);
  }
}

CAF_TEST(handlers take the event or the json tree) {
  auto ev = parsed(R"({"type":"message","text":"hi"})");
  std::string got;
  handler by_event = [&](context&, const event& e) {
    got += std::string{e.string("text")};
  };
  handler by_tree = [&](context&, const nlohmann::json& e) {
    got += e.value("text", "");
  };
  CAF_CHECK(static_cast<bool>(by_event));
  CAF_CHECK(static_cast<bool>(by_tree));
  std::function<void(context&, const nlohmann::json&)> nothing;
  CAF_CHECK(!static_cast<bool>(handler{nothing}));
  // Neither handler touches the context's origin.
  struct no_origin : detail::context_origin {
    slackrtm::web_client& web_client() override {
      throw std::logic_error{"no"};
    }
    std::future<nlohmann::json> send(nlohmann::json) override {
      throw std::logic_error{"no"};
    }
    slackrtm::client* local_client() noexcept override { return nullptr; }
    std::string workspace() const override { return "w"; }
    std::string team_id() const override { return "T"; }
  } origin;
  context ctx{origin};
  by_event(ctx, ev);
  by_tree(ctx, ev);
  CAF_CHECK_EQUAL(got, "hihi");
}

CAF_TEST(frames nested deeper than the bound are refused) {
  std::string error;
  for (std::size_t depth : {std::size_t{100000}, max_json_depth + 1}) {
    auto text = R"({"type":"message","blocks":)" +
                test::deep_json_text(depth - 1) + "}";
    CAF_CHECK(!event::parse(text, &error));
    CAF_CHECK(error.find("deep") != std::string::npos);
  }
  // At the bound, the frame and its tree are fine.
  auto ev = parsed(R"({"type":"message","blocks":)" +
                   test::deep_json_text(max_json_depth - 1) + "}");
  CAF_CHECK(ev.json()["blocks"].is_array());
}

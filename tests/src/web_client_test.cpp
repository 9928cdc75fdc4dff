// The Web API client against a scripted HTTP server: a client's options as
// its options, answers nested too deep, parameters nested too deep, a
// repeated cursor, and which requests go out again after a kept-alive
// connection fails.
#define CAF_SUITE web_client

#include "slackrtm/web_client.hpp"

#include <type_traits>

#include <caf/test/unit_test.hpp>

#include "slackrtm/error.hpp"
#include "slackrtm/options.hpp"
#include "src/access.hpp"
#include "tests/support/deep_json.hpp"
#include "tests/support/http_stub.hpp"

using namespace slackrtm;
using namespace std::chrono_literals;

namespace {

web_client_options options_for(const test::http_stub& server) {
  web_client_options opts;
  opts.token = "xoxb-test";
  opts.base_url = server.base_url();
  opts.timeout = 5000ms;
  opts.proxy = "direct";
  return opts;
}

// Slack's error code of the api_error `f` throws; "" when it throws none.
template <class F>
std::string api_error_of(F f) {
  try {
    f();
  } catch (const api_error& ex) {
    return ex.error();
  }
  return {};
}

// The kind of exception `f` throws: "transport", "invalid_argument",
// "api" or "none".
template <class F>
std::string failure_kind(F f) {
  try {
    f();
  } catch (const transport_error&) {
    return "transport";
  } catch (const std::invalid_argument&) {
    return "invalid_argument";
  } catch (const api_error&) {
    return "api";
  }
  return "none";
}

// Reads the second request, then closes its connection without answering.
test::http_stub::reply
drop_second_request(const test::http_stub::request& req) {
  test::http_stub::reply out;
  out.drop = req.number == 2;
  return out;
}

} // namespace

// A client's Web API settings are the web client's own fields, not copies
// that a new field could be forgotten in.
static_assert(std::is_base_of_v<web_client_options, client_options>);

CAF_TEST(a web client built from client options uses their token and url) {
  test::http_stub server{[](const test::http_stub::request& req) {
    test::http_stub::reply out;
    auto has = [&](const char* line) {
      return req.head.find(line) != std::string::npos;
    };
    if (!has("POST /api/auth.test ") ||
        !has("Authorization: Bearer xoxb-client") || !has("X-Bot: echo"))
      out.body = R"({"ok":false,"error":"unexpected_request"})";
    return out;
  }};
  client_options opts;
  static_cast<web_client_options&>(opts) = options_for(server);
  opts.token = "xoxb-client";
  opts.headers = {{"X-Bot", "echo"}};
  web_client web{opts};
  CAF_CHECK_EQUAL(api_error_of([&] { web.api_call("auth.test"); }), "");
  CAF_CHECK_EQUAL(web.options().token, "xoxb-client");
  CAF_CHECK_EQUAL(server.requests(), 1u);
}

CAF_TEST(an answer nested 100000 levels deep fails with json_too_deep) {
  test::http_stub server{[](const test::http_stub::request&) {
    test::http_stub::reply out;
    out.body = R"({"ok":true,"url":"wss://example.invalid/","self":)" +
               test::deep_json_text(100000) + "}";
    return out;
  }};
  web_client web{options_for(server)};
  CAF_CHECK_EQUAL(api_error_of([&] { web.api_call("rtm.connect"); }),
                  "json_too_deep");
}

CAF_TEST(parameters nested 100000 levels deep are refused before sending) {
  test::http_stub server{
      [](const test::http_stub::request&) { return test::http_stub::reply{}; }};
  auto deep = nlohmann::json{{"channel", "C1"}};
  deep["blocks"] = test::deep_json_tree(100000);
  web_client web{options_for(server)};
  CAF_CHECK_EQUAL(failure_kind([&] { web.api_call("chat.postMessage", deep); }),
                  "invalid_argument");
  CAF_CHECK_EQUAL(
      failure_kind([&] { web.api_call_json("chat.postMessage", deep); }),
      "invalid_argument");
  CAF_CHECK_EQUAL(failure_kind([&] { web.api_get("users.info", deep); }),
                  "invalid_argument");
  CAF_CHECK_EQUAL(server.requests(), 0u);
  // A node's client relays its calls as text: the same refusal comes first.
  auto relayed = detail::access::relayed(
      options_for(server),
      [](std::string_view, std::string_view, const nlohmann::json& params) {
        return nlohmann::json{{"ok", true}, {"echo", params.dump()}};
      });
  CAF_CHECK_EQUAL(
      failure_kind([&] { relayed->api_call("chat.postMessage", deep); }),
      "invalid_argument");
}

CAF_TEST(paginate stops with an error on a repeated cursor) {
  test::http_stub server{[](const test::http_stub::request& req) {
    test::http_stub::reply out;
    // The same cursor every time (up to a bound, so that the loop this
    // test guards against ends too).
    out.body = req.number < 50 ? R"({"ok":true,"members":[1],)"
                                 R"("response_metadata":{"next_cursor":"abc"}})"
                               : R"({"ok":true,"members":[1]})";
    return out;
  }};
  web_client web{options_for(server)};
  CAF_CHECK_EQUAL(api_error_of([&] {
                    web.paginate("users.list", nlohmann::json::object(),
                                 "members");
                  }),
                  "repeated_cursor");
  CAF_CHECK_EQUAL(server.requests(), 2u);
}

CAF_TEST(a POST that fails on a reused connection is not sent again) {
  // The second request on the first connection arrives but the connection
  // dies before the answer: Slack may have posted it.
  test::http_stub server{drop_second_request};
  web_client web{options_for(server)};
  web.api_call("chat.postMessage", {{"channel", "C1"}, {"text", "one"}});
  CAF_CHECK_EQUAL(
      failure_kind([&] {
        web.api_call("chat.postMessage", {{"channel", "C1"}, {"text", "two"}});
      }),
      "transport");
  CAF_CHECK_EQUAL(server.requests(), 2u);
}

CAF_TEST(a GET that fails on a reused connection goes again on a new one) {
  test::http_stub server{drop_second_request};
  web_client web{options_for(server)};
  web.api_get("users.info", {{"user", "U1"}});
  CAF_CHECK_EQUAL(failure_kind([&] { web.api_get("users.info"); }), "none");
  CAF_CHECK_EQUAL(server.requests(), 3u);
}

CAF_TEST(a POST skips an idle connection the server has closed) {
  test::http_stub server{[](const test::http_stub::request& req) {
    test::http_stub::reply out;
    out.close_after = req.number == 1;
    return out;
  }};
  web_client web{options_for(server)};
  web.api_call("chat.postMessage", {{"channel", "C1"}, {"text", "one"}});
  CAF_REQUIRE(server.wait_closed(1, 5s));
  CAF_CHECK_EQUAL(
      failure_kind([&] {
        web.api_call("chat.postMessage", {{"channel", "C1"}, {"text", "two"}});
      }),
      "none");
  CAF_CHECK_EQUAL(server.requests(), 2u);
}

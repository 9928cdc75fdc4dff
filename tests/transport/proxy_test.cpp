// Proxy selection: proxy URLs, NO_PROXY matching (curl's rules), and which
// of the option and the environment wins.
#define CAF_SUITE proxy

#include "transport/proxy.hpp"

#include <map>

#include <caf/test/unit_test.hpp>

using namespace slackrtm;

namespace {

// A fake environment for make_proxy_settings.
env_lookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) {
    std::optional<std::string> result;
    if (auto i = vars.find(name); i != vars.end())
      result = i->second;
    return result;
  };
}

url_parts target(const char* url) {
  auto result = parse_url(url);
  CAF_REQUIRE(result.has_value());
  return *result;
}

// Whether `url` goes through a proxy, and which (its host:port).
std::string route(const proxy_settings& settings, const char* url) {
  auto proxy = settings.select(target(url));
  return proxy ? proxy->host + ":" + proxy->port : "direct";
}

std::string message_of(std::string_view url) {
  try {
    parse_proxy_url(url, "HTTPS_PROXY");
  } catch (const std::invalid_argument& ex) {
    return ex.what();
  }
  return {};
}

} // namespace

CAF_TEST(proxy URLs) {
  auto p = parse_proxy_url("http://proxy.example:3128");
  CAF_CHECK_EQUAL(p.host, "proxy.example");
  CAF_CHECK_EQUAL(p.port, "3128");
  CAF_CHECK_EQUAL(p.authorization, "");
  CAF_CHECK_EQUAL(p.display(), "http://proxy.example:3128");
  // No scheme means http; no port means 80; a trailing slash is fine.
  auto bare = parse_proxy_url("proxy.example/");
  CAF_CHECK_EQUAL(bare.host, "proxy.example");
  CAF_CHECK_EQUAL(bare.port, "80");
  auto v6 = parse_proxy_url("HTTP://[::1]:8080");
  CAF_CHECK_EQUAL(v6.host, "::1");
  CAF_CHECK_EQUAL(v6.display(), "http://[::1]:8080");
}

CAF_TEST(credentials become a Basic header and stay out of display) {
  auto p = parse_proxy_url("http://Aladdin:open%20sesame@127.0.0.1:8080");
  CAF_CHECK_EQUAL(p.authorization, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CAF_CHECK_EQUAL(p.display(), "http://127.0.0.1:8080");
  // The last '@' separates the credentials; '@' in a password is allowed.
  auto at = parse_proxy_url("http://u:p@ss@h:1");
  CAF_CHECK_EQUAL(at.host, "h");
  CAF_CHECK_EQUAL(at.authorization, "Basic " + base64_encode("u:p@ss"));
  CAF_CHECK_EQUAL(parse_proxy_url("http://u@h:1").authorization,
                  "Basic " + base64_encode("u:"));
}

CAF_TEST(base64) {
  CAF_CHECK_EQUAL(base64_encode(""), "");
  CAF_CHECK_EQUAL(base64_encode("f"), "Zg==");
  CAF_CHECK_EQUAL(base64_encode("fo"), "Zm8=");
  CAF_CHECK_EQUAL(base64_encode("foo"), "Zm9v");
  CAF_CHECK_EQUAL(base64_encode("foobar"), "Zm9vYmFy");
  CAF_CHECK_EQUAL(base64_encode("\xff\xfe"), "//4=");
}

CAF_TEST(bad proxy URLs name their source but never the credentials) {
  CAF_CHECK_EQUAL(message_of("https://h:1"),
                  "invalid proxy URL in HTTPS_PROXY: only http:// proxies are "
                  "supported, not https://");
  CAF_CHECK_EQUAL(
      message_of("socks5://h:1").find("socks5://") != std::string::npos, true);
  CAF_CHECK_EQUAL(message_of("http://user:s3cret@h:port"),
                  "invalid proxy URL in HTTPS_PROXY: no host, or a bad port");
  CAF_CHECK_EQUAL(message_of("http://user:s3cret@:8080"),
                  "invalid proxy URL in HTTPS_PROXY: no host, or a bad port");
  CAF_CHECK_EQUAL(message_of("http://h:99999"),
                  "invalid proxy URL in HTTPS_PROXY: bad port");
  CAF_CHECK_EQUAL(message_of("http://h:1/path"),
                  "invalid proxy URL in HTTPS_PROXY: a proxy URL has no path");
  CAF_CHECK_EQUAL(message_of("http://h:8080"), "");
}

CAF_TEST(no_proxy host suffixes) {
  auto list = parse_no_proxy("example.com, .internal ,LOCALHOST.");
  CAF_CHECK(bypasses_proxy(list, "example.com", "443"));
  CAF_CHECK(bypasses_proxy(list, "api.example.com", "443"));
  CAF_CHECK(bypasses_proxy(list, "API.Example.COM.", "443"));
  CAF_CHECK(!bypasses_proxy(list, "badexample.com", "443"));
  CAF_CHECK(!bypasses_proxy(list, "example.com.evil", "443"));
  CAF_CHECK(bypasses_proxy(list, "svc.internal", "80"));
  CAF_CHECK(bypasses_proxy(list, "internal", "80"));
  CAF_CHECK(bypasses_proxy(list, "localhost", "80"));
  // Loopback addresses are not excluded unless listed (as in curl).
  CAF_CHECK(!bypasses_proxy(list, "127.0.0.1", "80"));
  CAF_CHECK(!bypasses_proxy(parse_no_proxy(""), "localhost", "80"));
}

CAF_TEST(no_proxy star IPs and ports) {
  CAF_CHECK(bypasses_proxy(parse_no_proxy("*"), "slack.com", "443"));
  CAF_CHECK(bypasses_proxy(parse_no_proxy("a.b, *"), "x.y", "1"));
  auto list = parse_no_proxy("127.0.0.1:8080,[::1]:9,10.0.0.1,::2,h:1");
  CAF_CHECK(bypasses_proxy(list, "127.0.0.1", "8080"));
  CAF_CHECK(!bypasses_proxy(list, "127.0.0.1", "8081"));
  CAF_CHECK(bypasses_proxy(list, "::1", "9"));
  CAF_CHECK(!bypasses_proxy(list, "::1", "10"));
  CAF_CHECK(bypasses_proxy(list, "10.0.0.1", "443"));
  CAF_CHECK(!bypasses_proxy(list, "110.0.0.1", "443"));
  CAF_CHECK(!bypasses_proxy(list, "0.0.1", "443"));
  CAF_CHECK(!bypasses_proxy(parse_no_proxy("0.0.1"), "10.0.0.1", "443"));
  CAF_CHECK(bypasses_proxy(list, "::2", "443"));
  CAF_CHECK(bypasses_proxy(list, "h", "1"));
  CAF_CHECK(bypasses_proxy(list, "sub.h", "1"));
  CAF_CHECK(!bypasses_proxy(list, "h", "2"));
  // Spaces separate entries as well.
  CAF_CHECK(bypasses_proxy(parse_no_proxy("a.com b.com"), "b.com", "1"));
}

CAF_TEST(the environment picks the proxy by the target scheme) {
  auto settings = make_proxy_settings(
      "", "",
      env({{"HTTPS_PROXY", "http://s:1"}, {"HTTP_PROXY", "http://p:2"}}));
  CAF_CHECK_EQUAL(route(settings, "https://slack.com/api/"), "s:1");
  CAF_CHECK_EQUAL(route(settings, "wss://wss.slack.com/link"), "s:1");
  CAF_CHECK_EQUAL(route(settings, "http://127.0.0.1:9/api/"), "p:2");
  CAF_CHECK_EQUAL(route(settings, "ws://127.0.0.1:9/"), "p:2");
  // Lowercase first, as in curl; empty values count as unset.
  auto lower = make_proxy_settings("", "",
                                   env({{"https_proxy", "http://low:1"},
                                        {"HTTPS_PROXY", "http://up:1"},
                                        {"http_proxy", " "}}));
  CAF_CHECK_EQUAL(route(lower, "https://slack.com/"), "low:1");
  CAF_CHECK_EQUAL(route(lower, "http://slack.com/"), "direct");
  // all_proxy is the fallback for both.
  auto all = make_proxy_settings(
      "", "",
      env({{"ALL_PROXY", "http://all:3"}, {"http_proxy", "http://p:2"}}));
  CAF_CHECK_EQUAL(route(all, "https://slack.com/"), "all:3");
  CAF_CHECK_EQUAL(route(all, "http://slack.com/"), "p:2");
  CAF_CHECK_EQUAL(
      route(make_proxy_settings("", "", env({})), "https://slack.com/"),
      "direct");
}

CAF_TEST(no_proxy from the environment or the option) {
  auto vars = env({{"https_proxy", "http://s:1"},
                   {"http_proxy", "http://p:2"},
                   {"NO_PROXY", "127.0.0.1,.slack-edge.com"}});
  auto settings = make_proxy_settings("", "", vars);
  CAF_CHECK_EQUAL(route(settings, "http://127.0.0.1:9/api/"), "direct");
  CAF_CHECK_EQUAL(route(settings, "wss://x.slack-edge.com/"), "direct");
  CAF_CHECK_EQUAL(route(settings, "https://slack.com/"), "s:1");
  // The option replaces the variable.
  auto option = make_proxy_settings("", "slack.com", vars);
  CAF_CHECK_EQUAL(route(option, "http://127.0.0.1:9/api/"), "p:2");
  CAF_CHECK_EQUAL(route(option, "https://slack.com/"), "direct");
}

CAF_TEST(the option overrides the environment) {
  auto vars = env({{"https_proxy", "http://s:1"},
                   {"http_proxy", "http://p:2"},
                   {"no_proxy", "example.com"}});
  auto explicit_proxy = make_proxy_settings("http://u:pw@o:3", "", vars);
  CAF_CHECK_EQUAL(route(explicit_proxy, "https://slack.com/"), "o:3");
  CAF_CHECK_EQUAL(route(explicit_proxy, "ws://127.0.0.1:1/"), "o:3");
  // NO_PROXY still applies to an explicit proxy, as in curl.
  CAF_CHECK_EQUAL(route(explicit_proxy, "https://example.com/"), "direct");
  auto direct = make_proxy_settings("direct", "", vars);
  CAF_CHECK_EQUAL(route(direct, "https://slack.com/"), "direct");
  CAF_CHECK_EQUAL(route(direct, "http://slack.com/"), "direct");
  // A malformed variable is an error, not silently a direct connection.
  CAF_CHECK_EQUAL(
      [&] {
        try {
          make_proxy_settings("", "", env({{"https_proxy", "ftp://x"}}));
        } catch (const std::invalid_argument&) {
          return true;
        }
        return false;
      }(),
      true);
}

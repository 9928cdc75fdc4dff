// URL parsing keeps the query string exactly; form encoding.
#define CAF_SUITE url

#include "util/url.hpp"

#include <caf/test/unit_test.hpp>

using namespace slackrtm;

CAF_TEST(socket URLs keep their query string) {
  auto url = parse_url("wss://wss-primary.slack.com/link/?ticket=a-b&app=c");
  CAF_REQUIRE(url.has_value());
  CAF_CHECK_EQUAL(url->scheme, "wss");
  CAF_CHECK_EQUAL(url->host, "wss-primary.slack.com");
  CAF_CHECK_EQUAL(url->port, "443");
  CAF_CHECK_EQUAL(url->target, "/link/?ticket=a-b&app=c");
  CAF_CHECK_EQUAL(url->host_header(), "wss-primary.slack.com");
}

CAF_TEST(ports defaults and IPv6) {
  auto url = parse_url("http://127.0.0.1:8080/api/");
  CAF_REQUIRE(url.has_value());
  CAF_CHECK_EQUAL(url->port, "8080");
  CAF_CHECK_EQUAL(url->host_header(), "127.0.0.1:8080");
  auto bare = parse_url("ws://localhost?dp=1");
  CAF_REQUIRE(bare.has_value());
  CAF_CHECK_EQUAL(bare->target, "/?dp=1");
  CAF_CHECK_EQUAL(bare->port, "80");
  auto v6 = parse_url("https://[::1]:9/x");
  CAF_REQUIRE(v6.has_value());
  CAF_CHECK_EQUAL(v6->host, "::1");
  CAF_CHECK_EQUAL(v6->host_header(), "[::1]:9");
}

CAF_TEST(bad URLs are refused) {
  CAF_CHECK(!parse_url("slack.com/api"));
  CAF_CHECK(!parse_url("ftp://slack.com/"));
  CAF_CHECK(!parse_url("https://:443/"));
  CAF_CHECK(!parse_url("https://host:port/"));
}

CAF_TEST(form encoding) {
  CAF_CHECK_EQUAL(form_encode("Hi <@U1>! a&b=c"),
                  "Hi%20%3C%40U1%3E%21%20a%26b%3Dc");
  CAF_CHECK_EQUAL(form_encode("1355517523.000005"), "1355517523.000005");
}

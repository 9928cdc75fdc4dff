// Tokens never reach a log line, whatever their shape.
#define CAF_SUITE log

#include "util/logger.hpp"

#include <caf/test/unit_test.hpp>

using namespace slackrtm;

CAF_TEST(slack tokens and bearer credentials are redacted) {
  CAF_CHECK_EQUAL(redact("token xoxb-123-456-abcDEF here"),
                  "token xoxb-[redacted] here");
  CAF_CHECK_EQUAL(redact("xoxp-1-2 and xapp-1-A-b"),
                  "xoxp-[redacted] and xapp-[redacted]");
  CAF_CHECK_EQUAL(redact("Authorization: Bearer abc.def-ghi"),
                  "Authorization: Bearer [redacted]");
  CAF_CHECK_EQUAL(redact("no secrets, xoxo kisses"), "no secrets, xoxo kisses");
}

CAF_TEST(rotated refresh config and workflow tokens are redacted) {
  CAF_CHECK_EQUAL(redact("rotated xoxe.xoxb-1-MS0yLTEy end"),
                  "rotated xoxe.[redacted] end");
  CAF_CHECK_EQUAL(redact("refresh xoxe-1-My0xLTI end"),
                  "refresh xoxe-[redacted] end");
  CAF_CHECK_EQUAL(redact("legacy xoxr-12-ab"), "legacy xoxr-[redacted]");
  CAF_CHECK_EQUAL(redact("app xapp-1-A0123ABC-456-def0"),
                  "app xapp-[redacted]");
  CAF_CHECK_EQUAL(redact("workflow xwfp-123-abc"), "workflow xwfp-[redacted]");
  CAF_CHECK_EQUAL(redact("upper XOXB-1-ABC"), "upper XOXB-[redacted]");
}

CAF_TEST(tokens glued to the text before them are redacted) {
  CAF_CHECK_EQUAL(redact(R"({\"token\":\"xoxb-1-2\"})"),
                  R"({\"token\":\"xoxb-[redacted]\"})");
  CAF_CHECK_EQUAL(redact("q=%20xoxb-1-2"), "q=%20xoxb-[redacted]");
  CAF_CHECK_EQUAL(redact("token%3Dxoxp-9-8&x=1"),
                  "token%3Dxoxp-[redacted]&x=1");
  CAF_CHECK_EQUAL(redact("token=xoxb-1-2"), "token=xoxb-[redacted]");
  CAF_CHECK_EQUAL(redact("a_xapp-1-A"), "a_xapp-[redacted]");
  CAF_CHECK_EQUAL(redact("\\u0022xoxb-1-2"), "\\u0022xoxb-[redacted]");
}

CAF_TEST(percent encoded tokens are masked from their prefix on) {
  CAF_CHECK_EQUAL(redact("t=xoxb%2D1%2D2abc&y=2"), "t=xoxb%2D[redacted]&y=2");
  CAF_CHECK_EQUAL(redact("t=xoxb-1%2d2%5Fabc&y=2"), "t=xoxb-[redacted]&y=2");
  CAF_CHECK_EQUAL(redact("t=xoxe%2Exoxb-1-2 z"), "t=xoxe%2E[redacted] z");
}

CAF_TEST(bearer credentials are redacted in any case with their base64 tail) {
  CAF_CHECK_EQUAL(redact("Authorization: bearer abcdefgh123"),
                  "Authorization: bearer [redacted]");
  CAF_CHECK_EQUAL(redact("BEARER abcDEF12/+xy== next"),
                  "BEARER [redacted] next");
  CAF_CHECK_EQUAL(redact("Bearer  eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl/+=="),
                  "Bearer  [redacted]");
  CAF_CHECK_EQUAL(redact("Authorization%3A%20Bearer%20abcdefgh%2B%2F%3D"),
                  "Authorization%3A%20Bearer%20[redacted]");
  CAF_CHECK_EQUAL(redact(R"({\"Authorization\":\"Bearer abc\"})"),
                  R"({\"Authorization\":\"Bearer [redacted]\"})");
  CAF_CHECK_EQUAL(redact("Authorization: Bearer x"),
                  "Authorization: Bearer [redacted]");
}

CAF_TEST(basic credentials are redacted) {
  CAF_CHECK_EQUAL(redact("Authorization: Basic dXNlcjpwYXNz"),
                  "Authorization: Basic [redacted]");
  CAF_CHECK_EQUAL(
      redact("Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
      "Proxy-Authorization: Basic [redacted]");
  CAF_CHECK_EQUAL(redact("proxy-authorization:basic Zm9v"),
                  "proxy-authorization:basic [redacted]");
  // Outside a header, a value that decodes to `user:password`.
  CAF_CHECK_EQUAL(redact("sent basic dTo= and Basic dXNlcjpwYXNz."),
                  "sent basic [redacted] and Basic [redacted].");
}

CAF_TEST(passwords in urls are redacted) {
  CAF_CHECK_EQUAL(redact("proxy http://user:pass@proxy:3128 refused"),
                  "proxy http://user:[redacted]@proxy:3128 refused");
  CAF_CHECK_EQUAL(redact("\"https://u:p@ss@host/path?q=1\""),
                  "\"https://u:[redacted]@host/path?q=1\"");
  CAF_CHECK_EQUAL(redact("wss://xoxb-1-2:x@host"),
                  "wss://xoxb-[redacted]:[redacted]@host");
  CAF_CHECK_EQUAL(redact("ssh://git@host:22/repo and http://host:80/a@b"),
                  "ssh://git@host:22/repo and http://host:80/a@b");
}

CAF_TEST(ordinary words are not mistaken for credentials) {
  for (auto text : {"boxes of xoxo, hugs", "the bearer of news", "bearer bonds",
                    "Bearer of bad tidings", "basic instructions",
                    "Basic Authentication failed", "the xoxb- prefix",
                    "embarrassing basics", "forbearer abcdefghij"})
    CAF_CHECK_EQUAL(redact(text), text);
}

CAF_TEST(redacting twice changes nothing more) {
  for (auto text :
       {"xoxb-1-2 xoxe.xoxp-1-2 xoxe-1-2 xapp-1-A-b xwfp-1 xoxb%2D1",
        "Authorization: Bearer abc/+==", "bearer Abcdefgh1/+=",
        "Proxy-Authorization: Basic dXNlcjpwYXNz",
        "basic dTo=", "http://user:pass@host:1/x", "https://u:p@ss@host"}) {
    auto once = redact(text);
    CAF_CHECK_NOT_EQUAL(once, text);
    CAF_CHECK_EQUAL(redact(once), once);
  }
  CAF_CHECK_EQUAL(redact("xoxb- Bearer "), "xoxb- Bearer ");
}

CAF_TEST(a megabyte of near matches is scanned once) {
  // Each piece almost starts a secret; together they leave the line as is.
  std::string near;
  while (near.size() < 1'000'000)
    near += "xox xoxb xoxb- xoxo.x xappx %2D bearer bearer short "
            "Authorization: Basic, basic abc= :// ://a:b/ http://a:b "
            "Bearer%20 boxes ";
  CAF_CHECK_EQUAL(redact(near), near);
  // One run without any stop after each prefix.
  for (std::string_view start : {"xoxb-", "Bearer ", "Basic ", "http://a:"}) {
    std::string line{start};
    line.append(1'000'000, 'A');
    line += " end";
    CAF_CHECK_EQUAL(redact(line).substr(redact(line).size() - 4), " end");
  }
  // A megabyte of secrets: each one masked.
  std::string many;
  std::string expected;
  while (many.size() < 1'000'000) {
    many += "xoxb-1-a bearer Abcdefgh1 http://u:p@h/ ";
    expected += "xoxb-[redacted] bearer [redacted] http://u:[redacted]@h/ ";
  }
  CAF_CHECK_EQUAL(redact(many), expected);
}

CAF_TEST(the configured token is masked even when it looks unusual) {
  std::vector<std::string> lines;
  logger log{
      log_level::info,
      [&](log_level, std::string_view line) { lines.emplace_back(line); },
      "s3cr3t-custom"};
  log.info("calling with s3cr3t-custom and xoxb-9-9");
  log.debug("not written at info level");
  CAF_REQUIRE_EQUAL(lines.size(), 1u);
  CAF_CHECK_EQUAL(lines[0], "calling with [redacted] and xoxb-[redacted]");
}

CAF_TEST(configured tokens are masked in one pass over long lines) {
  std::vector<std::string> lines;
  auto sink = [&](log_level, std::string_view line) {
    lines.emplace_back(line);
  };
  // A secret inside the placeholder itself must not be masked forever.
  logger odd{log_level::info, sink, "redacted"};
  odd.info("a redacted b");
  CAF_REQUIRE_EQUAL(lines.size(), 1u);
  CAF_CHECK_EQUAL(lines[0], "a [redacted] b");
  logger log{log_level::info, sink, "s3cr3t-custom"};
  std::string line;
  std::string expected;
  while (line.size() < 1'000'000) {
    line += "s3cr3t-custom s3cr3t ";
    expected += "[redacted] s3cr3t ";
  }
  log.info(line);
  CAF_REQUIRE_EQUAL(lines.size(), 2u);
  CAF_CHECK_EQUAL(lines[1], expected);
}

CAF_TEST(levels parse and print) {
  log_level x = log_level::info;
  CAF_CHECK(parse_log_level("debug", x));
  CAF_CHECK(x == log_level::debug);
  CAF_CHECK(!parse_log_level("loud", x));
  CAF_CHECK_EQUAL(std::string{to_string(log_level::warning)}, "warning");
}

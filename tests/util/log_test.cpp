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

CAF_TEST(levels parse and print) {
  log_level x = log_level::info;
  CAF_CHECK(parse_log_level("debug", x));
  CAF_CHECK(x == log_level::debug);
  CAF_CHECK(!parse_log_level("loud", x));
  CAF_CHECK_EQUAL(std::string{to_string(log_level::warning)}, "warning");
}

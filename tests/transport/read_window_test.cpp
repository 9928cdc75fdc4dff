// The read-ahead window: the reader stops at either bound (frames or
// bytes) and resumes once both are back at half.
#define CAF_SUITE read_window

#include "transport/read_window.hpp"

#include <caf/test/unit_test.hpp>

using namespace slackrtm;

namespace {

constexpr std::size_t mib = 1024 * 1024;

} // namespace

CAF_TEST(large frames stop the reader at the byte bound) {
  read_window window{read_ahead_limits{256, 4 * mib}};
  // 16 MiB frames: before the byte bound, 256 of them (4 GiB) were read.
  CAF_CHECK(window.delivered(mib));
  CAF_CHECK(window.delivered(mib));
  CAF_CHECK(window.delivered(mib));
  CAF_CHECK(!window.delivered(mib));
  CAF_CHECK_EQUAL(window.bytes(), 4 * mib);
  // Back to 3 MiB: not yet half.
  CAF_CHECK(!window.done(1, mib));
  // Back to 2 MiB: the reader resumes, once.
  CAF_CHECK(window.done(1, mib));
  CAF_CHECK(!window.done(1, mib));
  CAF_CHECK_EQUAL(window.frames(), 1u);
}

CAF_TEST(one frame larger than the bound still goes through alone) {
  read_window window{read_ahead_limits{256, 4 * mib}};
  CAF_CHECK(!window.delivered(16 * mib));
  CAF_CHECK(window.done(1, 16 * mib));
  CAF_CHECK_EQUAL(window.bytes(), 0u);
}

CAF_TEST(small frames stop the reader at the frame bound) {
  read_window window{read_ahead_limits{4, 4 * mib}};
  for (int i = 0; i < 3; ++i)
    CAF_CHECK(window.delivered(100));
  CAF_CHECK(!window.delivered(100));
  CAF_CHECK(!window.done(1, 100));
  CAF_CHECK(window.done(1, 100));
}

CAF_TEST(done without a stop wakes nobody) {
  read_window window{read_ahead_limits{2, 4 * mib}};
  CAF_CHECK(window.delivered(10));
  // The listener finishes the first frame; the second fills the window
  // only if the first were still counted.
  CAF_CHECK(!window.done(1, 10));
  CAF_CHECK(window.delivered(10));
}

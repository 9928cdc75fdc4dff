// Runs the lifecycle handlers, one note at a time.
#include "actors/lifecycle.hpp"

#include "util/logger.hpp"

namespace slackrtm {

lifecycle_actor::behavior_type
lifecycle_reporter(lifecycle_actor::pointer, lifecycle_callback fn,
                   std::shared_ptr<const logger> log) {
  return {
      [fn, log](lifecycle_note& note) {
        try {
          fn(note);
        } catch (const std::exception& ex) {
          log->error("lifecycle handler for '", to_string(note.change.kind),
                     "' threw: ", ex.what());
        } catch (...) {
          log->error("lifecycle handler for '", to_string(note.change.kind),
                     "' threw a non-standard exception");
        }
      },
  };
}

} // namespace slackrtm

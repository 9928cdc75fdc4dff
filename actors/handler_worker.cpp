// Runs user callbacks; an exception is logged and counted, never fatal.
#include "actors/handler_worker.hpp"

#include "src/logger.hpp"

namespace slackrtm {

caf::behavior handler_worker(caf::event_based_actor* self,
                             handler_worker_config cfg) {
  return {
      [=](handler_job& job) {
        try {
          cfg.callback(job.workspace, job.event);
        } catch (const std::exception& ex) {
          if (cfg.errors)
            ++*cfg.errors;
          if (cfg.log)
            cfg.log->error("handler for '", job.event.type(),
                           "' threw: ", ex.what());
        } catch (...) {
          if (cfg.errors)
            ++*cfg.errors;
          if (cfg.log)
            cfg.log->error("handler for '", job.event.type(),
                           "' threw a non-standard exception");
        }
        self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                   job_done{job.group, job.worker, job.key, job.seq});
      },
  };
}

} // namespace slackrtm

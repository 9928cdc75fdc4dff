// Runs user callbacks; an exception is logged and counted, never fatal.
#include "actors/handler_worker.hpp"

#include "util/logger.hpp"

namespace slackrtm {

namespace {

// Calls the callback for `job`; returns its confirmation.
job_done run(const handler_worker_config& cfg, const handler_job& job) {
  try {
    cfg.callback(job.workspace, job.event);
  } catch (const std::exception& ex) {
    if (cfg.errors)
      ++*cfg.errors;
    if (cfg.log)
      cfg.log->error("handler for '", job.event.type(), "' threw: ", ex.what());
  } catch (...) {
    if (cfg.errors)
      ++*cfg.errors;
    if (cfg.log)
      cfg.log->error("handler for '", job.event.type(),
                     "' threw a non-standard exception");
  }
  return job_done{job.group, job.worker, job.key, job.seq};
}

} // namespace

worker_actor::behavior_type handler_worker(worker_actor::pointer self,
                                           handler_worker_config cfg) {
  auto reply_to = [self] {
    return caf::actor_cast<job_sink_actor>(self->current_sender());
  };
  return {
      [=](handler_job& job) { self->send(reply_to(), run(cfg, job)); },
      [=](handler_jobs& batch) {
        // Confirmed together once all ran: one message back per batch.
        jobs_done result;
        result.done.reserve(batch.jobs.size());
        for (auto& job : batch.jobs)
          result.done.push_back(run(cfg, job));
        self->send(reply_to(), std::move(result));
      },
  };
}

} // namespace slackrtm

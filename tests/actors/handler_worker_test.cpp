// A worker runs callbacks in arrival order, survives throwing callbacks,
// and reports each job done to its dispatcher.
#define CAF_SUITE handler_worker

#include "actors/handler_worker.hpp"

#include "actors/dispatcher.hpp"
#include "tests/support/fixture.hpp"
#include "util/logger.hpp"

using namespace slackrtm;

namespace {

struct fixture : slackrtm::test::fixture {
  std::vector<std::string> calls;
  std::vector<std::string> log_lines;
  std::shared_ptr<std::atomic<std::uint64_t>> errors =
      std::make_shared<std::atomic<std::uint64_t>>(0);

  worker_actor make_worker() {
    handler_worker_config cfg;
    cfg.callback = [this](std::uint32_t, const event& ev) {
      auto text = std::string{ev.string("text")};
      if (text == "boom")
        throw std::runtime_error("handler failed on purpose");
      calls.push_back(std::string{ev.string("channel")} + ":" + text);
    };
    cfg.log = std::make_shared<const logger>(
        log_level::info, [this](log_level, std::string_view line) {
          log_lines.emplace_back(line);
        });
    cfg.errors = errors;
    return sys.spawn(handler_worker, cfg);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(handler_worker_tests, fixture)

CAF_TEST(one conversation is handled in arrival order across workers) {
  // Through a real dispatcher with two real workers.
  std::vector<handler_group> groups{
      {"message", {make_worker(), make_worker()}}};
  dispatcher_config cfg;
  cfg.groups = groups;
  auto disp = sys.spawn(dispatcher, cfg);
  for (int i = 0; i < 5; ++i) {
    for (auto channel : {"C1", "C2"}) {
      nlohmann::json ev{{"type", "message"},
                        {"channel", channel},
                        {"text", std::to_string(i)}};
      self->send(disp, rtm_event{event{ev}});
    }
  }
  drain();
  std::vector<std::string> c1;
  std::vector<std::string> c2;
  for (auto& call : calls)
    (call[1] == '1' ? c1 : c2).push_back(call);
  CAF_CHECK_EQUAL(
      c1, (std::vector<std::string>{"C1:0", "C1:1", "C1:2", "C1:3", "C1:4"}));
  CAF_CHECK_EQUAL(
      c2, (std::vector<std::string>{"C2:0", "C2:1", "C2:2", "C2:3", "C2:4"}));
}

CAF_TEST(a throwing callback is logged and counted and the worker goes on) {
  auto worker = make_worker();
  // Plays the dispatcher: sends jobs, counts the job_done answers.
  auto done = std::make_shared<int>(0);
  auto feeder = sys.spawn(
      [done](caf::event_based_actor* self,
             worker_actor worker) -> caf::behavior {
        return {
            [=](const std::string& text) {
              nlohmann::json ev{
                  {"type", "message"}, {"channel", "C1"}, {"text", text}};
              self->send(worker, handler_job{event{ev}, 0, 0, 1});
            },
            [=](job_done&) { ++*done; },
        };
      },
      worker);
  self->send(feeder, std::string{"boom"});
  self->send(feeder, std::string{"after"});
  drain();
  CAF_CHECK_EQUAL(errors->load(), 1u);
  CAF_REQUIRE_EQUAL(log_lines.size(), 1u);
  CAF_CHECK_NOT_EQUAL(log_lines[0].find("handler failed on purpose"),
                      std::string::npos);
  CAF_CHECK_EQUAL(calls, (std::vector<std::string>{"C1:after"}));
  CAF_CHECK_EQUAL(*done, 2);
}

CAF_TEST(a batch runs in order and is confirmed with one message) {
  auto worker = make_worker();
  auto confirmations = std::make_shared<std::vector<std::size_t>>();
  auto feeder = sys.spawn(
      [confirmations](caf::event_based_actor* self,
                      worker_actor worker) -> caf::behavior {
        return {
            [=](std::vector<std::string>& texts) {
              handler_jobs batch;
              std::uint64_t seq = 0;
              for (auto& text : texts)
                batch.jobs.push_back(
                    handler_job{event{nlohmann::json{{"type", "message"},
                                                     {"channel", "C1"},
                                                     {"text", text}}},
                                0, 0, 1, 0, ++seq});
              self->send(worker, std::move(batch));
            },
            [=](jobs_done& done) {
              confirmations->push_back(done.done.size());
              for (std::size_t i = 0; i < done.done.size(); ++i)
                CAF_CHECK_EQUAL(done.done[i].seq, i + 1);
            },
        };
      },
      worker);
  self->send(feeder, std::vector<std::string>{"one", "boom", "three"});
  drain();
  // The throwing call is confirmed too: nothing waits for it forever.
  CAF_CHECK_EQUAL(*confirmations, (std::vector<std::size_t>{3}));
  CAF_CHECK_EQUAL(calls, (std::vector<std::string>{"C1:one", "C1:three"}));
  CAF_CHECK_EQUAL(errors->load(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()

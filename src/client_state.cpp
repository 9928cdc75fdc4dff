// Promises of RTM sends, completed by the connection actor.
#include "src/client_state.hpp"

#include "slackrtm/error.hpp"

namespace slackrtm {

std::pair<std::uint64_t, std::future<nlohmann::json>> ack_registry::add() {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = next_++;
  auto& promise = pending_[id];
  return {id, promise.get_future()};
}

std::optional<std::promise<nlohmann::json>>
ack_registry::take(std::uint64_t request) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = pending_.find(request);
  if (i == pending_.end())
    return std::nullopt;
  auto promise = std::move(i->second);
  pending_.erase(i);
  return promise;
}

void ack_registry::resolve(std::uint64_t request, nlohmann::json reply) {
  auto promise = take(request);
  if (!promise)
    return;
  auto ok = reply.find("ok");
  if (ok != reply.end() && ok->is_boolean() && ok->get<bool>()) {
    promise->set_value(std::move(reply));
    return;
  }
  std::string msg = "unknown error";
  if (auto err = reply.find("error"); err != reply.end() && err->is_object()) {
    if (auto m = err->find("msg"); m != err->end() && m->is_string())
      msg = m->get<std::string>();
  }
  promise->set_exception(
      std::make_exception_ptr(api_error("rtm.send", msg, 0, std::move(reply))));
}

void ack_registry::fail(std::uint64_t request, const std::string& why) {
  if (auto promise = take(request))
    promise->set_exception(std::make_exception_ptr(transport_error(why)));
}

void ack_registry::fail_all(const std::string& why) {
  std::unordered_map<std::uint64_t, std::promise<nlohmann::json>> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all.swap(pending_);
  }
  for (auto& [id, promise] : all)
    promise.set_exception(std::make_exception_ptr(transport_error(why)));
}

std::size_t ack_registry::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return pending_.size();
}

} // namespace slackrtm

// Promises of RTM sends, completed by the connection actor.
#include "actors/client_state.hpp"

#include "slackrtm/error.hpp"

namespace slackrtm {

std::pair<std::uint64_t, std::future<nlohmann::json>> ack_registry::add() {
  auto promise = std::make_shared<std::promise<nlohmann::json>>();
  auto result = promise->get_future();
  auto id = add([promise](nlohmann::json reply, std::exception_ptr err) {
    if (err)
      promise->set_exception(err);
    else
      promise->set_value(std::move(reply));
  });
  return {id, std::move(result)};
}

std::uint64_t ack_registry::add(callback done) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = next_++;
  pending_.emplace(id, std::move(done));
  return id;
}

ack_registry::callback ack_registry::take(std::uint64_t request) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = pending_.find(request);
  if (i == pending_.end())
    return nullptr;
  auto done = std::move(i->second);
  pending_.erase(i);
  return done;
}

void ack_registry::resolve(std::uint64_t request, nlohmann::json reply) {
  auto done = take(request);
  if (!done)
    return;
  auto ok = reply.find("ok");
  if (ok != reply.end() && ok->is_boolean() && ok->get<bool>()) {
    done(std::move(reply), nullptr);
    return;
  }
  std::string msg = "unknown error";
  if (auto err = reply.find("error"); err != reply.end() && err->is_object()) {
    if (auto m = err->find("msg"); m != err->end() && m->is_string())
      msg = m->get<std::string>();
  }
  done(nullptr, std::make_exception_ptr(
                    api_error("rtm.send", msg, 0, std::move(reply))));
}

void ack_registry::fail(std::uint64_t request, const std::string& why) {
  if (auto done = take(request))
    done(nullptr, std::make_exception_ptr(transport_error(why)));
}

void ack_registry::fail_all(const std::string& why) {
  std::unordered_map<std::uint64_t, callback> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all.swap(pending_);
  }
  for (auto& [id, done] : all)
    done(nullptr, std::make_exception_ptr(transport_error(why)));
}

std::size_t ack_registry::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return pending_.size();
}

} // namespace slackrtm

namespace slackrtm {

void response_routes::add(const std::string& envelope_id,
                          connection_actor holder) {
  std::lock_guard<std::mutex> guard{mtx_};
  holders_.insert_or_assign(envelope_id, std::move(holder));
}

void response_routes::remove(const std::string& envelope_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  holders_.erase(envelope_id);
}

bool response_routes::respond(const std::string& envelope_id,
                              std::string payload) {
  connection_actor holder;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = holders_.find(envelope_id);
    if (i == holders_.end())
      return false;
    holder = std::move(i->second);
    holders_.erase(i);
  }
  caf::anon_send(holder, envelope_response{envelope_id, std::move(payload)});
  return true;
}

} // namespace slackrtm

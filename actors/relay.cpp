// A relayed call fails on the node with the same exception type, error code
// and answer that the hub saw.
#include "actors/relay.hpp"

#include "slackrtm/error.hpp"
#include "util/json_depth.hpp"

namespace slackrtm {

relay_answer relay_refusal(std::string why) {
  relay_answer result;
  result.kind = "transport";
  result.error = std::move(why);
  return result;
}

relay_answer pack_relayed(nlohmann::json reply, std::exception_ptr err) {
  relay_answer result;
  if (!err) {
    result.ok = true;
    result.body = reply.dump();
    return result;
  }
  try {
    std::rethrow_exception(err);
  } catch (const api_error& ex) {
    result.kind = "api";
    result.error = ex.error();
    result.status = ex.http_status();
    result.body = ex.response().dump();
  } catch (const std::exception& ex) {
    result.kind = "transport";
    result.error = ex.what();
  } catch (...) {
    result.kind = "transport";
    result.error = "unknown failure";
  }
  return result;
}

relay_answer run_relayed(const std::function<nlohmann::json()>& call) {
  try {
    return pack_relayed(call(), nullptr);
  } catch (...) {
    return pack_relayed(nullptr, std::current_exception());
  }
}

nlohmann::json unpack_relayed(const relay_answer& x,
                              const std::string& method) {
  // The hub's answer is checked as any Web API answer is.
  auto body = parse_json(x.body);
  if (x.ok) {
    if (body.is_discarded())
      throw transport_error("the hub's answer to " + method + " is not JSON");
    return body;
  }
  if (x.kind == "api")
    throw api_error(method, x.error, x.status,
                    body.is_discarded() ? nlohmann::json{} : std::move(body));
  throw transport_error(x.error.empty() ? "relay through the hub failed"
                                        : x.error);
}

} // namespace slackrtm

// Turning a call's outcome into a `relay_answer` on the hub, and back into
// the answer or the exception on the handler node.
#pragma once

#include <exception>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/messages.hpp"

namespace slackrtm {

/// Runs `call` and packs its answer or its exception.
relay_answer run_relayed(const std::function<nlohmann::json()>& call);

/// Packs a settled send's reply or error.
relay_answer pack_relayed(nlohmann::json reply, std::exception_ptr err);

/// A call that was not carried out, and why (kind `"transport"`).
relay_answer relay_refusal(std::string why);

/// The answer of `x`, or throws what the hub caught (`api_error` for
/// `method`, else `transport_error`).
nlohmann::json unpack_relayed(const relay_answer& x, const std::string& method);

} // namespace slackrtm

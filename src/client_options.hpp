// A client's options: checked, and the part its Web API client takes.
#pragma once

#include "slackrtm/client.hpp"

namespace slackrtm {

/// The options of the client's Web API client.
web_client_options web_options(const client_options& opts);

/// `opts`, or `std::invalid_argument` saying which option is wrong.
const client_options& checked(const client_options& opts);

} // namespace slackrtm

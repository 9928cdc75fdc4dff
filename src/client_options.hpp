// A client's options, checked.
#pragma once

#include "slackrtm/client.hpp"

namespace slackrtm {

/// `opts`, or `std::invalid_argument` saying which option is wrong.
const client_options& checked(const client_options& opts);

} // namespace slackrtm

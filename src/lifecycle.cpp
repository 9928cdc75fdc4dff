// The names of the connection states and lifecycle kinds.
#include "slackrtm/client.hpp"

namespace slackrtm {

const char* to_string(connection_state x) {
  switch (x) {
  case connection_state::idle:
    return "idle";
  case connection_state::connecting:
    return "connecting";
  case connection_state::connected:
    return "connected";
  case connection_state::closed:
    break;
  }
  return "closed";
}

const char* to_string(lifecycle_kind x) {
  switch (x) {
  case lifecycle_kind::connecting:
    return "connecting";
  case lifecycle_kind::connected:
    return "connected";
  case lifecycle_kind::disconnected:
    return "disconnected";
  case lifecycle_kind::reconnecting:
    return "reconnecting";
  case lifecycle_kind::error:
    break;
  }
  return "error";
}

} // namespace slackrtm

// Everything a bot author needs: `#include <slackrtm/slackrtm.hpp>`.
#pragma once

#include "slackrtm/client.hpp"
#include "slackrtm/context.hpp"
#include "slackrtm/error.hpp"
#include "slackrtm/event.hpp"
#include "slackrtm/hub.hpp"
#include "slackrtm/log.hpp"
#include "slackrtm/node.hpp"
#include "slackrtm/options.hpp"
#include "slackrtm/team_state.hpp"
#include "slackrtm/web_client.hpp"

// The connect calls of both protocols, and the identity and team state they
// fill in.
#include "src/connect_call.hpp"

#include <caf/all.hpp>

#include "src/access.hpp"

namespace slackrtm {

namespace {

// What auth.test says, shaped as rtm.connect's `self` and `team`.
nlohmann::json identity_of(const nlohmann::json& auth) {
  auto text = [&](const char* key) {
    auto i = auth.find(key);
    return i != auth.end() && i->is_string() ? i->get<std::string>()
                                             : std::string{};
  };
  return {{"self", {{"id", text("user_id")}, {"name", text("user")}}},
          {"team", {{"id", text("team_id")}, {"name", text("team")}}}};
}

} // namespace

connect_call::connect_call(const client_options& options,
                           slackrtm::web_client& web,
                           std::shared_ptr<client_state> shared,
                           std::shared_ptr<team_cache> team)
    : options_(options), web_(web), shared_(std::move(shared)),
      team_(std::move(team)) {
  if (!options.app_token.empty()) {
    web_client_options app = options;
    app.token = options.app_token;
    app_web_ = std::make_unique<slackrtm::web_client>(std::move(app));
  }
}

std::function<void(connection_actor)>
connect_call::for_protocol(std::shared_ptr<const wire_protocol> protocol) {
  if (app_web_)
    return [this, protocol](connection_actor connection) {
      socket_mode(protocol, std::move(connection));
    };
  return [this, protocol](connection_actor connection) {
    rtm(protocol, std::move(connection));
  };
}

void connect_call::rtm(const std::shared_ptr<const wire_protocol>& protocol,
                       connection_actor connection) {
  web_.async_api_call(
      protocol->connect_method(), options_.connect_params,
      [this, protocol, connection](nlohmann::json answer,
                                   std::exception_ptr err) {
        if (!err)
          on_identity(answer);
        caf::anon_send(connection, protocol->read_connect_answer(answer, err));
      });
}

void connect_call::socket_mode(
    const std::shared_ptr<const wire_protocol>& protocol,
    connection_actor connection) {
  auto open = [this, protocol, connection] {
    app_web_->async_api_call(
        protocol->connect_method(), nlohmann::json::object(),
        [this, protocol, connection](nlohmann::json answer,
                                     std::exception_ptr err) {
          auto result = protocol->read_connect_answer(answer, err);
          result.identity = shared_->identity().dump();
          caf::anon_send(connection, std::move(result));
        });
  };
  if (identified_)
    return open();
  web_.async_api_call("auth.test", nlohmann::json::object(),
                      [this, protocol, connection,
                       open](nlohmann::json answer, std::exception_ptr err) {
                        if (err) {
                          auto result =
                              protocol->read_connect_answer(answer, err);
                          result.method = "auth.test (bot token)";
                          caf::anon_send(connection, std::move(result));
                          return;
                        }
                        auto identity = identity_of(answer);
                        shared_->set_identity(identity);
                        on_identity(identity);
                        identified_ = true;
                        open();
                      });
}

void connect_call::on_identity(const nlohmann::json& answer) {
  team_->load_connect_answer(answer);
  if (!options_.with_team_state || answer.contains("users"))
    return;
  // rtm.connect carries no lists: fetch them, page by page.
  detail::access::post(web_, [this, state = team_] {
    try {
      auto users =
          web_.paginate("users.list", nlohmann::json::object(), "members");
      auto convs = web_.paginate(
          "conversations.list",
          {{"types", "public_channel,private_channel,mpim,im"}}, "channels");
      shared_->log->info("team state: ", users.size(), " users, ", convs.size(),
                         " conversations");
      state->load_lists(std::move(users), std::move(convs));
    } catch (const std::exception& ex) {
      shared_->log->warning("could not load the team state: ", ex.what());
    }
  });
}

} // namespace slackrtm

// A blocking client for Slack's Web API, safe to call from any handler.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "slackrtm/fwd.hpp"
#include "slackrtm/options.hpp"

namespace slackrtm {

/// Calls any Web API method. Blocking and thread-safe: handlers run on worker
/// threads of their own, so a slow call never holds up the socket. Keeps
/// HTTP/1.1 connections alive between calls.
class web_client {
public:
  // -- member types -----------------------------------------------------------

  /// Result callback of the asynchronous variant: the answer or an exception.
  using callback = std::function<void(nlohmann::json, std::exception_ptr)>;

  // -- constructors -----------------------------------------------------------

  explicit web_client(web_client_options options);

  ~web_client();
  web_client(const web_client&) = delete;
  web_client& operator=(const web_client&) = delete;

  // -- calls ------------------------------------------------------------------

  /// Calls `method` (e.g. `"conversations.info"`) with `params` sent as a
  /// form-encoded body (strings as they are, other values as JSON text).
  /// Returns the JSON answer when `ok` is true. Throws `api_error` when Slack
  /// answers `ok: false` or an HTTP error remains after the retries (code
  /// `json_too_deep` for an answer nested deeper than 128 levels),
  /// `transport_error` when the network fails, and `std::invalid_argument`
  /// for `params` nested deeper than 128 levels.
  nlohmann::json
  api_call(std::string_view method,
           const nlohmann::json& params = nlohmann::json::object());

  /// Like `api_call`, with `params` sent as a JSON body.
  nlohmann::json api_call_json(std::string_view method,
                               const nlohmann::json& params);

  /// Like `api_call`, as a GET request with `params` in the query string.
  nlohmann::json
  api_get(std::string_view method,
          const nlohmann::json& params = nlohmann::json::object());

  /// Runs `api_call` on an internal thread and reports to `done`; for callers
  /// that must not block, such as actors. While the client is being
  /// destroyed, `done` hears a `transport_error` at once, on the caller's
  /// thread.
  void async_api_call(std::string method, nlohmann::json params, callback done);

  /// `chat.postMessage` with any of its arguments, e.g.
  /// `{{"channel", c}, {"text", t}, {"thread_ts", ts}}`.
  nlohmann::json chat_postMessage(const nlohmann::json& params);

  /// `chat.postMessage` to `channel` with `text`, in the thread `thread_ts`
  /// when given.
  nlohmann::json chat_postMessage(const std::string& channel,
                                  const std::string& text,
                                  const std::string& thread_ts = {});

  /// Calls a paginated `method` (`users.list`, `conversations.list`, ...)
  /// page after page, following `response_metadata.next_cursor`, and
  /// returns the items of every page's `key` (`"members"`, `"channels"`)
  /// in order. `limit` is the page size asked for; `max_pages` stops early
  /// (0: all pages). Throws like `api_call`, and `api_error` with the code
  /// `repeated_cursor` when a page hands out a cursor already followed.
  std::vector<nlohmann::json>
  paginate(std::string_view method, nlohmann::json params, std::string_view key,
           std::size_t limit = 200, std::size_t max_pages = 0);

  /// `auth.test`: who the token belongs to.
  nlohmann::json auth_test();

  // -- observers --------------------------------------------------------------

  /// The options this client was built with.
  const web_client_options& options() const noexcept;

private:
  friend struct detail::access;

  struct impl;

  explicit web_client(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace slackrtm

// The Web API client: form or JSON bodies, Bearer token, `ok: false` as
// api_error, HTTP 429 waited out per Retry-After (bounded).
#include "slackrtm/web_client.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <unordered_set>

#include "slackrtm/error.hpp"
#include "src/access.hpp"
#include "transport/http_client.hpp"
#include "util/json_depth.hpp"
#include "util/task_pool.hpp"
#include "util/url.hpp"

namespace slackrtm {

namespace {

std::string form_body(const nlohmann::json& params) {
  std::string body;
  if (!params.is_object())
    return body;
  for (auto& [key, value] : params.items()) {
    if (value.is_null())
      continue;
    if (!body.empty())
      body += '&';
    body += form_encode(key);
    body += '=';
    body += form_encode(value.is_string() ? value.get<std::string>()
                                          : value.dump());
  }
  return body;
}

// Seconds to wait per `Retry-After`; 1 when absent or unreadable.
long retry_after_seconds(const std::string& header) {
  char* end = nullptr;
  auto value = std::strtol(header.c_str(), &end, 10);
  if (header.empty() || end == header.c_str() || value < 0)
    return 1;
  return value;
}

} // namespace

struct web_client::impl {
  web_client_options options;
  http_client http;
  task_pool pool{2};
  detail::access::relay via;

  explicit impl(web_client_options opts)
      : options(std::move(opts)),
        http(options.tls, options.timeout,
             make_proxy_settings(options.proxy, options.no_proxy)) {
    if (options.base_url.empty() || !parse_url(options.base_url))
      throw std::invalid_argument("invalid Web API base URL: " +
                                  options.base_url);
    if (options.base_url.back() != '/')
      options.base_url += '/';
  }

  nlohmann::json call(std::string_view method, std::string content_type,
                      std::string body, std::string verb = "POST") {
    http_request req;
    req.method = std::move(verb);
    req.idempotent = req.method == "GET";
    req.url = options.base_url + std::string{method};
    if (req.method == "GET") {
      if (!body.empty())
        req.url += "?" + body;
    } else {
      req.content_type = std::move(content_type);
      req.body = std::move(body);
    }
    req.headers = options.headers;
    if (!options.token.empty())
      req.headers.emplace_back("Authorization", "Bearer " + options.token);
    std::string name{method};
    int network_retries = 0;
    int server_retries = 0;
    // Waits before retry number `n` (1-based) after a failure.
    auto pause = [this](int n) {
      auto delay = options.retry_backoff * (1 << std::min(n - 1, 10));
      std::this_thread::sleep_for(delay);
    };
    for (int attempt = 0;; ++attempt) {
      http_response res;
      try {
        res = http.perform(req);
      } catch (const transport_error&) {
        if (network_retries >= options.max_connection_error_retries)
          throw;
        pause(++network_retries);
        continue;
      }
      if (res.status >= 500 &&
          server_retries < options.max_server_error_retries) {
        pause(++server_retries);
        continue;
      }
      if (res.status == 429) {
        auto wait = retry_after_seconds(res.retry_after);
        if (attempt < options.max_rate_limit_retries &&
            wait <= options.max_retry_after.count()) {
          std::this_thread::sleep_for(std::chrono::seconds{wait});
          continue;
        }
        throw api_error(name, "ratelimited", 429, parse(res.body));
      }
      auto answer = parse(res.body);
      if (!answer.is_object()) {
        // `parse` already refused a body nested too deep: say so.
        if (answer.is_discarded() && json_too_deep(res.body))
          throw api_error(name, "json_too_deep", res.status, nullptr);
        auto code = res.status == 200 ? std::string{"invalid_response"}
                                      : "http_" + std::to_string(res.status);
        throw api_error(name, code, res.status, std::move(answer));
      }
      auto ok = answer.find("ok");
      if (ok == answer.end() || !ok->is_boolean() || !ok->get<bool>()) {
        auto err = answer.find("error");
        auto code = err != answer.end() && err->is_string()
                        ? err->get<std::string>()
                        : "http_" + std::to_string(res.status);
        throw api_error(name, code, res.status, std::move(answer));
      }
      return answer;
    }
  }

  // The answer as JSON; a discarded value when it is not JSON or nests
  // deeper than `max_json_depth` (its copies would recurse that deep).
  static nlohmann::json parse(const std::string& body) {
    return parse_json(body);
  }

  // Refuses `params` nested deeper than `max_json_depth` before anything
  // dumps them (recursively) into a body or a relayed message.
  static void check_depth(std::string_view method,
                          const nlohmann::json& params) {
    if (json_tree_too_deep(params))
      throw std::invalid_argument(std::string{method} +
                                  ": parameters nest deeper than " +
                                  std::to_string(max_json_depth) + " levels");
  }
};

web_client::web_client(web_client_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {
  // nop
}

web_client::web_client(std::unique_ptr<impl> state) : impl_(std::move(state)) {
  // nop
}

std::unique_ptr<web_client> detail::access::relayed(web_client_options options,
                                                    relay via) {
  if (!via)
    throw std::invalid_argument("web_client: empty relay");
  auto state = std::make_unique<web_client::impl>(std::move(options));
  state->via = std::move(via);
  return std::unique_ptr<web_client>{new web_client(std::move(state))};
}

bool detail::access::post(web_client& web, std::function<void()> task) {
  return web.impl_->pool.post(std::move(task));
}

web_client::~web_client() = default;

nlohmann::json web_client::api_call(std::string_view method,
                                    const nlohmann::json& params) {
  impl::check_depth(method, params);
  if (impl_->via)
    return impl_->via("form", method, params);
  return impl_->call(method, "application/x-www-form-urlencoded",
                     form_body(params));
}

nlohmann::json web_client::api_call_json(std::string_view method,
                                         const nlohmann::json& params) {
  impl::check_depth(method, params);
  if (impl_->via)
    return impl_->via("json", method, params);
  return impl_->call(method, "application/json; charset=utf-8", params.dump());
}

nlohmann::json web_client::api_get(std::string_view method,
                                   const nlohmann::json& params) {
  impl::check_depth(method, params);
  if (impl_->via)
    return impl_->via("get", method, params);
  return impl_->call(method, {}, form_body(params), "GET");
}

void web_client::async_api_call(std::string method, nlohmann::json params,
                                callback done) {
  // The job keeps its own copy: `done` may have to hear the refusal below.
  auto shared_done = std::make_shared<callback>(std::move(done));
  auto accepted =
      impl_->pool.post([this, method, params = std::move(params), shared_done] {
        nlohmann::json result;
        std::exception_ptr err;
        try {
          result = api_call(method, params);
        } catch (...) {
          err = std::current_exception();
        }
        (*shared_done)(std::move(result), err);
      });
  if (!accepted)
    (*shared_done)(nullptr, std::make_exception_ptr(transport_error(
                                "web client closed before " + method)));
}

nlohmann::json web_client::chat_postMessage(const nlohmann::json& params) {
  return api_call("chat.postMessage", params);
}

nlohmann::json web_client::chat_postMessage(const std::string& channel,
                                            const std::string& text,
                                            const std::string& thread_ts) {
  nlohmann::json params{{"channel", channel}, {"text", text}};
  if (!thread_ts.empty())
    params["thread_ts"] = thread_ts;
  return chat_postMessage(params);
}

std::vector<nlohmann::json> web_client::paginate(std::string_view method,
                                                 nlohmann::json params,
                                                 std::string_view key,
                                                 std::size_t limit,
                                                 std::size_t max_pages) {
  std::vector<nlohmann::json> items;
  if (!params.is_object())
    throw std::invalid_argument("paginate: params must be a JSON object");
  if (limit > 0)
    params["limit"] = limit;
  // A server that hands out a cursor again would be paged forever.
  std::unordered_set<std::string> cursors;
  for (std::size_t page = 0; max_pages == 0 || page < max_pages; ++page) {
    auto answer = api_call(method, params);
    if (auto list = answer.find(key); list != answer.end() && list->is_array())
      for (auto& item : *list)
        items.push_back(std::move(item));
    std::string cursor;
    if (auto meta = answer.find("response_metadata");
        meta != answer.end() && meta->is_object())
      cursor = meta->value("next_cursor", std::string{});
    if (cursor.empty())
      break;
    if (!cursors.insert(cursor).second)
      throw api_error(std::string{method}, "repeated_cursor", 200,
                      std::move(answer));
    params["cursor"] = cursor;
  }
  return items;
}

nlohmann::json web_client::auth_test() {
  return api_call("auth.test");
}

const web_client_options& web_client::options() const noexcept {
  return impl_->options;
}

} // namespace slackrtm

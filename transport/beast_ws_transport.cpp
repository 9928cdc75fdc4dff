// WebSocket sessions on Boost.Beast. All sessions run on one io_context
// thread owned by the transport; they report to their listener from that
// thread, and the connection's calls reach them through net::post.
#include "transport/beast_ws_session.hpp"

namespace slackrtm {

namespace {

using namespace beast_ws;

class beast_ws_transport : public ws_transport {
public:
  beast_ws_transport(tls_options tls, std::chrono::milliseconds timeout,
                     std::shared_ptr<const logger> log, proxy_settings proxy)
      : tls_ctx_(shared_tls_context(tls)), work_(net::make_work_guard(ioc_)),
        timeout_(timeout), log_(std::move(log)), proxies_(std::move(proxy)) {
    thread_ = std::thread{[this] {
      ioc_.run();
      std::lock_guard<std::mutex> guard{mtx_};
      stopped_ = true;
      stopped_cv_.notify_all();
    }};
  }

  // Lets closing sessions send their close frames (each bounded by its own
  // timeout), then stops whatever is left.
  ~beast_ws_transport() override {
    work_.reset();
    {
      std::unique_lock<std::mutex> guard{mtx_};
      if (!stopped_cv_.wait_for(guard, std::chrono::seconds{3},
                                [this] { return stopped_; }))
        ioc_.stop();
    }
    thread_.join();
  }

  std::shared_ptr<ws_session> open(const std::string& url,
                                   std::shared_ptr<ws_listener> listener,
                                   std::uint64_t id,
                                   read_ahead_limits limits) override {
    auto parts = parse_url(url);
    if (!parts || (parts->scheme != "ws" && parts->scheme != "wss")) {
      listener->closed(id, "not a WebSocket URL");
      return nullptr;
    }
    auto proxy = proxies_.select(*parts);
    if (proxy && log_)
      log_->debug("socket ", id, " to ", parts->host_header(), " through ",
                  proxy->display());
    if (parts->secure()) {
      auto s = std::make_shared<beast_session<tls_stream>>(
          ioc_, std::move(*parts), std::move(proxy), std::move(listener), id,
          timeout_, limits, *tls_ctx_);
      s->start();
      return s;
    }
    auto s = std::make_shared<beast_session<plain_stream>>(
        ioc_, std::move(*parts), std::move(proxy), std::move(listener), id,
        timeout_, limits);
    s->start();
    return s;
  }

private:
  // Declared before the io_context: sessions still queued in it at
  // destruction refer to this context.
  std::shared_ptr<ssl::context> tls_ctx_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<const logger> log_;
  proxy_settings proxies_;
  std::mutex mtx_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  std::thread thread_;
};

} // namespace

std::shared_ptr<ws_transport>
make_beast_ws_transport(tls_options tls, std::chrono::milliseconds timeout,
                        std::shared_ptr<const logger> log,
                        proxy_settings proxy) {
  return std::make_shared<beast_ws_transport>(std::move(tls), timeout,
                                              std::move(log), std::move(proxy));
}

} // namespace slackrtm

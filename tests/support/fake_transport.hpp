// A WebSocket transport for tests: records what the actor opens and sends;
// the test plays the server by sending ws_* messages to the actor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transport/ws_transport.hpp"

namespace slackrtm::test {

struct fake_session : ws_session {
  std::vector<std::string> sent;
  /// WebSocket pings the actor sent, and control frames "received".
  std::vector<std::string> pings;
  std::uint64_t control = 0;
  bool closed = false;
  bool paused = false;
  /// Frames for the actor to take after a `ws_ready` (or a `ws_closed`).
  std::vector<std::string> queued;
  /// Frames the actor said it processed, and their bytes.
  std::uint32_t processed = 0;
  std::size_t processed_bytes = 0;

  void send(std::string text) override { sent.push_back(std::move(text)); }
  void take_frames(std::vector<std::string>& out) override {
    for (auto& text : queued)
      out.push_back(std::move(text));
    queued.clear();
  }
  void frame_done(std::uint32_t n, std::size_t bytes) override {
    processed += n;
    processed_bytes += bytes;
  }
  void ping(std::string payload) override {
    pings.push_back(std::move(payload));
  }
  std::uint64_t control_frames() const noexcept override { return control; }
  void close() override { closed = true; }
  void pause_reading(bool x) override { paused = x; }

  /// The sent frames of type `type`, parsed.
  std::vector<nlohmann::json> frames(const std::string& type) const {
    std::vector<nlohmann::json> result;
    for (auto& text : sent) {
      auto frame = nlohmann::json::parse(text);
      if (frame.value("type", "") == type)
        result.push_back(frame);
    }
    return result;
  }
};

struct fake_transport : ws_transport {
  std::vector<std::string> urls;
  std::shared_ptr<fake_session> session;
  std::uint64_t session_id = 0;
  /// The read-ahead bounds of the last session opened.
  read_ahead_limits limits;

  std::shared_ptr<ws_session> open(const std::string& url,
                                   std::shared_ptr<ws_listener>,
                                   std::uint64_t id,
                                   read_ahead_limits read_ahead) override {
    urls.push_back(url);
    limits = read_ahead;
    session = std::make_shared<fake_session>();
    session_id = id;
    return session;
  }
};

} // namespace slackrtm::test

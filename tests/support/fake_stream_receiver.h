#pragma once
// A Tributary parent reduced to the wire, for sender and forwarder tests: it accepts on
// 127.0.0.1 (port 0), answers handshakes with the real reply builders, decodes frames with the
// real codec and passes them through a real IngestDispatcher, so anything a sender gets wrong
// ends the link as the parent would end it. Lives on the test's loop.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event/loop.h"
#include "common/net/tcp.h"
#include "common/stream/frame.h"
#include "common/stream/handshake.h"
#include "common/stream/ingest.h"

namespace trib::test {

// One connection the fake receiver accepted. Everything after the handshake goes through a real
// IngestDispatcher, so any row the sender gets wrong ends the link as the parent would end it.
struct FakeLink final : stream::IngestSink {
  std::unique_ptr<net::TcpConnection> connection;
  std::string handshake;
  std::optional<stream::HandshakeRequest> request;
  std::unique_ptr<stream::FrameEncoder> encoder;
  std::unique_ptr<stream::FrameDecoder> decoder;
  stream::IngestDispatcher dispatcher{*this};
  std::vector<stream::Message> received;
  std::optional<std::string> protocol_error;
  bool ended = false;  // EOF or error from the sender, or closed here
  uint64_t resume = 0;
  size_t stored = 0;  // batches the dispatcher passed on (above the resume point)

  Result<uint64_t> host(uint32_t, const model::HostInfo&) override { return resume; }
  Status chart(uint32_t, uint32_t, const model::ChartDef&) override { return {}; }
  Status samples(const stream::SamplesMsg&) override {
    ++stored;
    return {};
  }
  Status logs(stream::LogsMsg batch) override {
    stored_logs.push_back(std::move(batch));
    return {};
  }
  Status gaps(stream::GapsMsg batch) override {
    stored_gaps.push_back(std::move(batch));
    return {};
  }
  void goodbye(uint32_t, std::string_view) override { said_goodbye = true; }
  bool said_goodbye = false;
  std::vector<stream::LogsMsg> stored_logs;
  std::vector<stream::GapsMsg> stored_gaps;

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& m : received) {
      if (const auto* t = std::get_if<T>(&m)) out.push_back(*t);
    }
    return out;
  }
  std::vector<uint64_t> seqs() const {
    std::vector<uint64_t> out;
    for (const auto& s : all<stream::SamplesMsg>()) out.push_back(s.seq);
    return out;
  }
};

// A Tributary parent reduced to the wire: the real handshake parser and reply builders, the
// real frame codec and dispatcher, and knobs for what to answer.
class FakeReceiver {
 public:
  explicit FakeReceiver(event::Loop& loop) {
    auto listener = net::TcpListener::listen(
        loop, "127.0.0.1", 0, [this](auto connection) { on_accept(std::move(connection)); });
    EXPECT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
  }

  std::string destination() const { return "127.0.0.1:" + std::to_string(listener_->port()); }

  // The reply to a handshake; by default an OK granting what was offered, resuming at `resume`.
  std::function<std::string(const stream::HandshakeRequest&)> reply;
  uint64_t resume = 0;
  bool acks = true;  // send the dispatcher's HostResume and Ack replies

  std::vector<std::unique_ptr<FakeLink>> links;
  FakeLink& last() { return *links.back(); }
  // Samples received on the newest link (0 before any link).
  size_t samples_on_last() const {
    return links.empty() ? 0 : links.back()->all<stream::SamplesMsg>().size();
  }

  void send(FakeLink& link, const stream::Message& message) {
    link.connection->write(link.encoder->encode(message));
  }
  void close(FakeLink& link) {
    link.connection.reset();
    link.ended = true;
  }

 private:
  void on_accept(std::unique_ptr<net::TcpConnection> connection) {
    links.push_back(std::make_unique<FakeLink>());
    FakeLink* link = links.back().get();
    link->connection = std::move(connection);
    link->resume = resume;
    link->connection->start_reading(
        [this, link](std::string_view bytes) { on_bytes(*link, bytes); },
        [link](const Error&) { link->ended = true; });
  }

  void on_bytes(FakeLink& link, std::string_view bytes) {
    if (link.request) return feed(link, bytes);
    link.handshake.append(bytes);
    auto end = stream::find_handshake_end(link.handshake);
    ASSERT_TRUE(end.ok());
    if (!end->has_value()) return;
    auto request =
        stream::parse_handshake_request(std::string_view(link.handshake).substr(0, **end));
    ASSERT_TRUE(request.ok()) << request.error().describe();
    link.request = *request;
    const std::string answer =
        reply ? reply(*request) : stream::tributary_ok_reply(request->tributary_caps, link.resume);
    const auto parsed = stream::parse_handshake_reply(answer);
    const bool ok =
        parsed.ok() && parsed->has_value() && (*parsed)->kind == stream::ReplyKind::tributary_ok;
    if (!ok) {
      // A refusal (or a Netdata prompt): written, then closed as a parent does.
      link.connection->write(answer, [&link](const Status&) {
        link.connection.reset();
        link.ended = true;
      });
      return;
    }
    const auto& granted = (*parsed)->tributary_caps;
    const bool zstd =
        std::find(granted.begin(), granted.end(), stream::tributary_cap::kZstd) != granted.end();
    link.encoder = std::make_unique<stream::FrameEncoder>(stream::EncoderOptions{.compress = zstd});
    link.decoder = std::make_unique<stream::FrameDecoder>(stream::FrameLimits{}, zstd);
    link.connection->write(answer);
    const std::string leftover = link.handshake.substr(**end);
    if (!leftover.empty()) feed(link, leftover);
  }

  void feed(FakeLink& link, std::string_view bytes) {
    link.decoder->feed(bytes);
    while (link.connection) {
      auto next = link.decoder->next();
      ASSERT_TRUE(next.ok()) << next.error().describe();
      if (!next->has_value()) return;
      link.received.push_back(**next);
      auto answer = link.dispatcher.dispatch(std::move(**next));
      if (!answer.ok()) {
        link.protocol_error = answer.error().describe();
        close(link);
        return;
      }
      if (acks && answer->has_value()) send(link, **answer);
    }
  }

  std::unique_ptr<net::TcpListener> listener_;
};

}  // namespace trib::test

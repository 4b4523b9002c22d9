#include "parent/fleet/heartbeat_server.h"

#include <nlohmann/json.hpp>

#include <future>
#include <vector>

#include "common/http/server.h"
#include "common/log/log.h"
#include "common/net/tcp.h"
#include "parent/fleet/access.h"
#include "parent/fleet/return_path.h"

namespace trib::parent::fleet {

// Lives on the heartbeat loop: validates requests, queues heartbeats, answers after commit.
class HeartbeatServer::Endpoint : public std::enable_shared_from_this<Endpoint> {
 public:
  struct Counters {
    std::atomic<uint64_t> stored{0};
    std::atomic<uint64_t> commits{0};
  };

  Endpoint(event::Loop& loop, FleetService& fleet, HeartbeatServerOptions options,
           Counters& counters)
      : counters_(counters),
        fleet_(fleet),
        options_(std::move(options)),
        way_back_(std::make_shared<ReturnPath>(loop)) {}
  ~Endpoint() { way_back_->detach(); }

  void handle(http::HttpRequest&& request, http::Responder responder) {
    if (request.path == "/health") {
      responder.respond(http::HttpResponse::json(200, R"({"status":"ok"})"));
      return;
    }
    if (request.path != "/agents/heartbeat" && request.path != "/heartbeat") {
      responder.respond(json_error(404, "not_found", "POST heartbeats to /agents/heartbeat"));
      return;
    }
    if (request.method != "POST") {
      auto response = json_error(405, "method_not_allowed", "heartbeats are POSTed");
      response.headers.set("Allow", "POST");
      responder.respond(std::move(response));
      return;
    }
    if (const Access access = check_access(request, {options_.token}); access != Access::allowed) {
      responder.respond(unauthorized(access));
      return;
    }
    auto heartbeat = parse_heartbeat(request.body);
    if (!heartbeat.ok()) {
      responder.respond(invalid_heartbeat(heartbeat.error().message));
      return;
    }
    heartbeat->peer_address = std::move(request.peer_address);
    waiting_.push_back(std::move(heartbeat).value());
    waiting_responders_.push_back(std::move(responder));
    if (!committing_) commit_waiting();
  }

 private:
  static http::HttpResponse invalid_heartbeat(const std::string& detail) {
    nlohmann::ordered_json body;
    body["error"] = "invalid heartbeat";
    body["detail"] = detail;
    return http::HttpResponse::json(400, body.dump());
  }

  // Hands every waiting heartbeat (up to max_batch) to the fleet thread as one transaction.
  void commit_waiting() {
    const size_t n = std::min(waiting_.size(), options_.max_batch);
    std::vector<Heartbeat> batch(std::make_move_iterator(waiting_.begin()),
                                 std::make_move_iterator(waiting_.begin() + n));
    waiting_.erase(waiting_.begin(), waiting_.begin() + n);
    committing_responders_.assign(std::make_move_iterator(waiting_responders_.begin()),
                                  std::make_move_iterator(waiting_responders_.begin() + n));
    waiting_responders_.erase(waiting_responders_.begin(), waiting_responders_.begin() + n);
    committing_ = true;
    fleet_.post([batch = std::move(batch), way_back = way_back_, self = weak_from_this()](
                    FleetRegistry& registry, const time::Clock& clock) {
      const Status stored = registry.record_heartbeats(batch, clock.now_s());
      std::string failure = stored.ok() ? "" : stored.error().describe();
      way_back->post([self, failure = std::move(failure)] {
        if (auto endpoint = self.lock()) endpoint->on_committed(failure);
      });
    });
  }

  void on_committed(const std::string& failure) {
    if (!failure.empty()) {
      uint64_t suppressed = 0;
      if (failure_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
        TRIB_LOG(heartbeat, error, "[heartbeat] {} heartbeat(s) not stored ({} similar before): {}",
                 committing_responders_.size(), suppressed, failure);
      }
    }
    if (failure.empty()) {
      counters_.commits.fetch_add(1, std::memory_order_relaxed);
      counters_.stored.fetch_add(committing_responders_.size(), std::memory_order_relaxed);
    }
    for (auto& responder : committing_responders_) {
      responder.respond(failure.empty()
                            ? http::HttpResponse::json(200, R"({"status":"ok"})")
                            : json_error(503, "unavailable", "the fleet database is unavailable"));
    }
    committing_responders_.clear();
    committing_ = false;
    if (!waiting_.empty()) commit_waiting();
  }

  Counters& counters_;
  FleetService& fleet_;
  HeartbeatServerOptions options_;
  std::shared_ptr<ReturnPath> way_back_;
  std::vector<Heartbeat> waiting_;
  std::vector<http::Responder> waiting_responders_;
  std::vector<http::Responder> committing_responders_;
  bool committing_ = false;
  log::RateLimitedLog failure_log_{std::chrono::seconds(60)};
};

struct HeartbeatServer::Thread {
  Endpoint::Counters counters;
  event::Loop loop;
  std::thread thread;
};

Result<std::unique_ptr<HeartbeatServer>> HeartbeatServer::start(
    const HeartbeatServerOptions& options, FleetService& fleet) {
  std::unique_ptr<HeartbeatServer> server(new HeartbeatServer());
  server->thread_ = std::make_unique<Thread>();
  Thread& t = *server->thread_;
  std::promise<Result<uint16_t>> listening;
  auto listening_future = listening.get_future();
  t.thread = std::thread([&t, &fleet, options, &listening] {
    {
      auto endpoint = std::make_shared<Endpoint>(t.loop, fleet, options, t.counters);
      http::HttpServer http(t.loop);
      http.set_handler([&endpoint](http::HttpRequest&& request, http::Responder responder) {
        endpoint->handle(std::move(request), std::move(responder));
      });
      auto listener =
          net::TcpListener::listen(t.loop, options.bind, options.port,
                                   [&http](std::unique_ptr<net::TcpConnection> connection) {
                                     http.adopt(std::move(connection));
                                   });
      if (!listener.ok()) {
        listening.set_value(listener.error());
      } else {
        listening.set_value((*listener)->port());
        t.loop.run();
        listener->reset();
      }
      http.close_all();
      endpoint.reset();
    }
    const Status closed = t.loop.close();
    if (!closed.ok()) TRIB_LOG(heartbeat, error, "heartbeat loop: {}", closed.error().describe());
  });
  auto port = listening_future.get();
  if (!port.ok()) {
    t.thread.join();
    return port.take_error();
  }
  server->port_ = *port;
  return server;
}

HeartbeatServer::~HeartbeatServer() { stop(); }

HeartbeatServer::Stats HeartbeatServer::stats() const {
  return Stats{thread_->counters.stored.load(std::memory_order_relaxed),
               thread_->counters.commits.load(std::memory_order_relaxed)};
}

void HeartbeatServer::stop() {
  if (!thread_ || !thread_->thread.joinable()) return;
  thread_->loop.stop();
  thread_->thread.join();
}

}  // namespace trib::parent::fleet

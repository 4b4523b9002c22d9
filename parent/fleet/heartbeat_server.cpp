#include "parent/fleet/heartbeat_server.h"

#include <nlohmann/json.hpp>

#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <vector>

#include "common/http/server.h"
#include "common/log/log.h"
#include "common/net/tcp.h"
#include "parent/fleet/access.h"
#include "parent/fleet/return_path.h"

namespace trib::parent::fleet {

// Heartbeat bodies on their way to the fleet thread. The heartbeat loop appends; a drain job on
// the fleet thread takes everything queued (up to max_batch), parses it and writes the valid
// ones in one transaction. At most one drain job is posted at a time, so heartbeats that arrive
// while a transaction commits wait for the next one: the group commit. The loop never waits for
// a commit before queueing more, so answering one batch and committing the next overlap; and
// the JSON is parsed on the fleet thread, so the two threads share the work per heartbeat.
struct HeartbeatQueue {
  struct Entry {
    uint64_t ticket;  // which request it answers
    std::string body;
    std::string peer_address;
  };
  std::mutex mutex;
  std::vector<Entry> entries;
  bool drain_posted = false;
};

// What the fleet thread did with one drained batch.
struct DrainOutcome {
  std::vector<uint64_t> stored;                           // in the transaction
  std::vector<std::pair<uint64_t, std::string>> invalid;  // refused by parse_heartbeat: why
  std::string failure;                                    // the transaction failed: why
};

// Lives on the heartbeat loop: checks requests, queues heartbeats, answers after commit.
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
        way_back_(std::make_shared<ReturnPath>(loop)),
        queue_(std::make_shared<HeartbeatQueue>()) {}
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
    const uint64_t ticket = first_waiting_ + waiting_.size();
    waiting_.emplace_back(std::move(responder));
    enqueue({ticket, std::move(request.body), std::move(request.peer_address)});
  }

 private:
  static http::HttpResponse invalid_heartbeat(const std::string& detail) {
    nlohmann::ordered_json body;
    body["error"] = "invalid heartbeat";
    body["detail"] = detail;
    return http::HttpResponse::json(400, body.dump());
  }

  void enqueue(HeartbeatQueue::Entry entry) {
    std::lock_guard lock(queue_->mutex);
    queue_->entries.push_back(std::move(entry));
    if (!queue_->drain_posted) {
      queue_->drain_posted = true;
      post_drain(fleet_, queue_, way_back_, weak_from_this(), options_.max_batch);
    }
  }

  // Takes up to `max_batch` entries; re-posts the drain when it had to leave some.
  static std::vector<HeartbeatQueue::Entry> take_batch(FleetService& fleet,
                                                       const std::shared_ptr<HeartbeatQueue>& queue,
                                                       const std::shared_ptr<ReturnPath>& way_back,
                                                       const std::weak_ptr<Endpoint>& self,
                                                       size_t max_batch) {
    std::vector<HeartbeatQueue::Entry> batch;
    std::lock_guard lock(queue->mutex);
    const size_t n = std::min(queue->entries.size(), std::max<size_t>(1, max_batch));
    if (n == queue->entries.size()) {
      batch.swap(queue->entries);
      queue->drain_posted = false;
      return batch;
    }
    batch.assign(std::make_move_iterator(queue->entries.begin()),
                 std::make_move_iterator(queue->entries.begin() + static_cast<ptrdiff_t>(n)));
    queue->entries.erase(queue->entries.begin(),
                         queue->entries.begin() + static_cast<ptrdiff_t>(n));
    post_drain(fleet, queue, way_back, self, max_batch);  // the rest: the next transaction
    return batch;
  }

  // On the fleet thread: parses and commits what is queued, then answers on the heartbeat loop.
  static void post_drain(FleetService& fleet, std::shared_ptr<HeartbeatQueue> queue,
                         std::shared_ptr<ReturnPath> way_back, std::weak_ptr<Endpoint> self,
                         size_t max_batch) {
    fleet.post([&fleet, queue = std::move(queue), way_back = std::move(way_back),
                self = std::move(self),
                max_batch](FleetRegistry& registry, const time::Clock& clock) {
      std::vector<HeartbeatQueue::Entry> entries =
          take_batch(fleet, queue, way_back, self, max_batch);
      DrainOutcome outcome;
      std::vector<Heartbeat> batch;
      batch.reserve(entries.size());
      for (auto& entry : entries) {
        auto heartbeat = parse_heartbeat(entry.body);
        if (!heartbeat.ok()) {
          outcome.invalid.emplace_back(entry.ticket, heartbeat.error().message);
          continue;
        }
        heartbeat->peer_address = std::move(entry.peer_address);
        batch.push_back(std::move(heartbeat).value());
        outcome.stored.push_back(entry.ticket);
      }
      if (!batch.empty()) {
        const Status stored = registry.record_heartbeats(batch, clock.now_s());
        if (!stored.ok()) outcome.failure = stored.error().describe();
      }
      way_back->post([self, outcome = std::move(outcome)] {
        if (auto endpoint = self.lock()) endpoint->on_drained(outcome);
      });
    });
  }

  void on_drained(const DrainOutcome& outcome) {
    for (const auto& [ticket, why] : outcome.invalid) answer(ticket, invalid_heartbeat(why));
    if (outcome.stored.empty()) return;
    if (!outcome.failure.empty()) {
      uint64_t suppressed = 0;
      if (failure_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
        TRIB_LOG(heartbeat, error, "[heartbeat] {} heartbeat(s) not stored ({} similar before): {}",
                 outcome.stored.size(), suppressed, outcome.failure);
      }
    } else {
      counters_.commits.fetch_add(1, std::memory_order_relaxed);
      counters_.stored.fetch_add(outcome.stored.size(), std::memory_order_relaxed);
    }
    for (const uint64_t ticket : outcome.stored) {
      answer(ticket, outcome.failure.empty()
                         ? http::HttpResponse::json(200, R"({"status":"ok"})")
                         : json_error(503, "unavailable", "the fleet database is unavailable"));
    }
  }

  void answer(uint64_t ticket, http::HttpResponse response) {
    if (ticket < first_waiting_ || ticket - first_waiting_ >= waiting_.size()) return;
    auto& responder = waiting_[ticket - first_waiting_];
    if (!responder) return;
    responder->respond(std::move(response));
    responder.reset();
    // Batches are answered in the order they were queued, so the front empties first.
    while (!waiting_.empty() && !waiting_.front()) {
      waiting_.pop_front();
      ++first_waiting_;
    }
  }

  Counters& counters_;
  FleetService& fleet_;
  HeartbeatServerOptions options_;
  std::shared_ptr<ReturnPath> way_back_;
  std::shared_ptr<HeartbeatQueue> queue_;
  // Responders until their heartbeat is committed, by ticket: waiting_[t - first_waiting_]
  // (a deque of consecutive tickets: no allocation per heartbeat, unlike a hash map).
  std::deque<std::optional<http::Responder>> waiting_;
  uint64_t first_waiting_ = 0;
  log::RateLimitedLog failure_log_{std::chrono::seconds(60)};
};

namespace {

// Within this, a new connection has sent its first bytes and finished any TLS handshake.
constexpr std::chrono::seconds kFirstBytesDeadline{10};
// Connections that have not sent their first bytes yet, at most; beyond, the oldest is closed.
constexpr size_t kMaxWaitingConnections = 512;

// Plaintext on a TLS-only port: a JSON reason Telegraf logs, then the connection is closed.
void refuse_plaintext(http::HttpRequest&&, http::Responder responder) {
  auto response = json_error(400, "tls_required", "this heartbeat port accepts TLS (https) only");
  response.headers.set("Connection", "close");
  responder.respond(std::move(response));
}

}  // namespace

struct HeartbeatServer::Thread {
  Endpoint::Counters counters;
  event::Loop loop;
  std::thread thread;
  net::TlsAcceptor* acceptor = nullptr;  // heartbeat loop only; null when not running
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
      http::HttpServer refusing(t.loop);
      refusing.set_handler(&refuse_plaintext);
      net::TlsAcceptor::Handlers handlers;
      handlers.ready = [&http](std::unique_ptr<net::TcpConnection> connection, std::string read) {
        http.adopt(std::move(connection), std::move(read));
      };
      handlers.plaintext_refused = [&refusing](std::unique_ptr<net::TcpConnection> connection,
                                               std::string read) {
        TRIB_LOG(heartbeat, info, "[heartbeat] {}: plaintext on a TLS-only port refused",
                 connection->peer());
        refusing.adopt(std::move(connection), std::move(read));
      };
      net::TlsAcceptor acceptor(t.loop, options.tls_mode, options.tls_context, kFirstBytesDeadline,
                                kMaxWaitingConnections, std::move(handlers));
      t.acceptor = &acceptor;
      auto listener = net::TcpListener::listen(
          t.loop, options.bind, options.port,
          [&acceptor](std::unique_ptr<net::TcpConnection> connection) {
            acceptor.adopt(std::move(connection));
          },
          net::ListenerLimits{options.max_connections, "heartbeats"});
      if (!listener.ok()) {
        listening.set_value(listener.error());
      } else {
        listening.set_value((*listener)->port());
        t.loop.run();
        listener->reset();
      }
      t.acceptor = nullptr;
      acceptor.close_all();
      http.close_all();
      refusing.close_all();
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
  server->tls_mode_ = options.tls_mode;
  return server;
}

HeartbeatServer::~HeartbeatServer() { stop(); }

HeartbeatServer::Stats HeartbeatServer::stats() const {
  return Stats{thread_->counters.stored.load(std::memory_order_relaxed),
               thread_->counters.commits.load(std::memory_order_relaxed)};
}

void HeartbeatServer::set_tls_context(std::shared_ptr<const net::TlsContext> context) {
  Thread* t = thread_.get();
  t->loop.post([t, context = std::move(context)]() mutable {
    if (t->acceptor != nullptr) t->acceptor->set_context(std::move(context));
  });
}

void HeartbeatServer::stop() {
  if (!thread_ || !thread_->thread.joinable()) return;
  thread_->loop.stop();
  thread_->thread.join();
}

}  // namespace trib::parent::fleet

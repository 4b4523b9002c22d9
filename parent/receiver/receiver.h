#pragma once
// The parent's stream receiver: takes connections whose first bytes are a `STREAM` request
// (handed over by the HTTP server), reads the handshake under a deadline, applies admission,
// refuses duplicates, answers in the peer's dialect and hands admitted streams to a Session.
//
// Lives on the parent's I/O loop.

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/config/stream_conf.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/net/tcp.h"
#include "common/time/clock.h"
#include "parent/receiver/session.h"
#include "parent/store/host_registry.h"

namespace trib::parent::receiver {

struct ReceiverOptions {
  // The dbengine store for hosts in memory mode dbengine; null: they run without samples kept.
  storage::DiskStore* disk = nullptr;
  std::chrono::seconds handshake_timeout{10};  // the whole request must arrive within this
  std::chrono::seconds idle_timeout{600};      // a stream silent this long is dropped
  // A stream this side has sent nothing on for this long gets a keepalive (docs/protocol.md §6):
  // well inside the sender's own idle timeout (`timeout seconds`, 60 s by default).
  std::chrono::seconds keepalive_interval{20};
  // A live duplicate is refused; one silent for longer than this is replaced (Netdata: 30 s).
  std::chrono::seconds duplicate_takeover_after{30};
  bool compression = true;  // grant zstd when offered ([stream] enable compression)
  // At most one stream accepted per this interval; others are told to try later (Netdata's
  // `accept a streaming request every seconds`). 0: no limit.
  std::chrono::seconds accept_every{0};
  store::LogWriter* log_writer = nullptr;  // grant `logs` when offered and there is a store
  proxy::Forwarder* forwarder = nullptr;   // a proxy's: every received host is forwarded too
};

class Receiver {
 public:
  Receiver(event::Loop& loop, store::HostRegistry& registry, const time::Clock& clock,
           std::string own_guid, ReceiverOptions options, config::StreamConf conf);
  ~Receiver();

  // A connection whose first bytes (`buffered`) start a STREAM request.
  void accept(std::unique_ptr<net::TcpConnection> connection, std::string buffered);
  // A plaintext connection on a port that only takes TLS: logged (naming the child when it is
  // a STREAM request) and answered with Netdata's HTTP 400, as a `^SSL=force` port does.
  void refuse_plaintext(std::unique_ptr<net::TcpConnection> connection,
                        std::string_view already_read);
  // New stream.conf rules apply to the next handshakes; established streams keep running.
  void set_stream_conf(config::StreamConf conf) { conf_ = std::move(conf); }
  // Ends the host's stream with a goodbye, so that its sender reconnects at once (and defines its
  // host and charts again).
  void restart_stream(const std::string& machine_guid, const std::string& why);
  // Ends every stream (with a goodbye) and every pending handshake.
  void close_all();

  size_t streaming() const { return sessions_.size(); }
  // The resume point a disk store kept for a host across a restart.
  void restore_progress(const std::string& machine_guid, uint64_t last_stored_seq) {
    progress_[machine_guid].last_stored_seq = last_stored_seq;
  }
  // A forgotten host whose data is gone: its next stream starts from nothing (resume 0).
  void forget_progress(const std::string& machine_guid) { progress_.erase(machine_guid); }

 private:
  struct Pending {
    std::unique_ptr<net::TcpConnection> connection;
    std::string buffer;
    std::unique_ptr<event::Timer> deadline;
  };
  using PendingList = std::list<Pending>;

  void on_handshake_bytes(PendingList::iterator pending, std::string_view bytes);
  void handle_request(PendingList::iterator pending, size_t request_end);
  // Who a connection said it was, for the access log ("-" until the request is parsed).
  struct AccessWho {
    std::string hostname = "-";
    std::string guid = "-";
    std::string key = "-";  // masked
  };
  // Writes `reply`, then logs the access line and closes.
  void refuse(std::unique_ptr<net::TcpConnection> connection, const std::string& reply,
              AccessWho who, std::string why);
  // The stream access log: one line per STREAM connection when it ends (Netdata's access.log).
  void log_access(const net::TcpConnection& connection, const AccessWho& who,
                  std::string_view outcome, std::string_view why) const;
  void start_session(std::unique_ptr<net::TcpConnection> connection,
                     stream::HandshakeRequest request, const store::StorageConfig& storage,
                     SessionFeatures features, std::string_view leftover);
  Session* find_session(const std::string& guid);
  // Runs `fn` on a later loop iteration unless close_all() or the destructor came first.
  void defer(std::function<void()> fn);

  event::Loop& loop_;
  store::HostRegistry& registry_;
  const time::Clock& clock_;
  std::string own_guid_;
  ReceiverOptions options_;
  config::StreamConf conf_;
  PendingList pending_;
  std::list<std::unique_ptr<net::TcpConnection>> closing_;  // refused, reply being written
  std::list<std::unique_ptr<Session>> sessions_;
  std::map<std::string, HostProgress> progress_;
  std::optional<uint64_t> last_accepted_ms_;  // loop time of the last admitted stream
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace trib::parent::receiver

#pragma once
// A parent that streams upward is a proxy: the Forwarder sends the hosts the parent receives,
// and the parent's own host, upstream. One upstream stream per host (docs/protocol.md §8), each
// a stream::Sender:
//   - the own host's sender numbers its batches (SenderMode::origin), when [stream] is enabled;
//   - a received host's sender relays its batches under the numbers the origin gave them
//     (SenderMode::relay), so resume points hold end to end and the central parent stores each
//     batch once whichever hop failed. Whether and where a received host goes is stream.conf's
//     [stream], overridden by its key's `default proxy ...` and its machine's `proxy ...`
//     options (config::StreamConf::forwarding).
// Store-and-forward: a received batch is written to that host's spool (<spool root>/<GUID>,
// LMDB) before the receiver acknowledges it downstream, and leaves the spool only when the
// upstream parent acknowledged it. A full spool (parent.yaml spool.when_full) either replaces its
// oldest batches by gap records for the upstream parent (drop_oldest), or is not trimmed and
// spool_full() tells the receiver to stop reading from the host (backpressure), so the host's
// own sender keeps its data. A proxy
// restarted after a crash forwards what its spools hold before the hosts reconnect.
//
// The parent keeps one Forwarder whether or not anything is forwarded: reconfigure() (SIGHUP)
// starts, redirects and stops forwarding without a restart.
//
// Lives on the parent's I/O loop with the receiver sessions that feed it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.h"
#include "common/config/stream_conf.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/model/metrics.h"
#include "common/stream/sender.h"
#include "common/stream/spool_chart.h"

namespace trib::parent::proxy {

struct ForwarderOptions {
  config::StreamConf stream;  // [stream] and the per-key / per-machine proxy options
  uint64_t spool_max_size = uint64_t{256} << 20;  // per host (parent.yaml spool.max_size)
  std::string spool_root;                         // <data dir>/spool
  // A forwarded host's full spool (parent.yaml spool.when_full): replace_oldest_with_gaps
  // (drop_oldest) or keep (backpressure).
  stream::Spool::WhenFull when_full = stream::Spool::WhenFull::replace_oldest_with_gaps;
};

class Forwarder {
 public:
  // `self` is the parent's own host: its name and GUID head the path of every forwarded host.
  Forwarder(event::Loop& loop, ForwarderOptions options, model::HostInfo self);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Starts the own host's stream and those of hosts an earlier run left batches for.
  void start();
  // New stream.conf: every host's forwarding is worked out again. A host no longer forwarded
  // ends its upstream stream with a goodbye (its spool stays for later); one newly forwarded
  // starts one, with the charts it defined; a changed destination, key or `send charts
  // matching` applies at once (the sender reconnects when it must). Logs what changed.
  void reconfigure(config::StreamConf stream);
  // Every upstream stream says goodbye and closes; `done` runs once all are closed.
  void stop(std::function<void()> done);
  // Called when reconfigure() forwards a connected host whose charts were not kept (it was not
  // forwarded on this connection): its downstream stream should end with a goodbye, so that its
  // sender reconnects and defines its charts again. Without it, such a host is forwarded from its
  // next connection.
  void set_on_restart_needed(std::function<void(const std::string& guid)> callback) {
    on_restart_needed_ = std::move(callback);
  }

  // The parent's own collections.
  void own_chart(const model::ChartDef& def);
  void own_sample(const std::string& chart_id, model::ChartSample sample);

  // A received host (re)connected downstream with `api_key`, with `hops` as the proxy sees it and
  // the proxies its stream passed through (nearest first). Returns the last seq this proxy holds
  // of it (in its spool or forwarded), or nullopt when the host is not forwarded.
  std::optional<uint64_t> connect(const model::HostInfo& host, const std::string& api_key,
                                  const std::vector<std::string>& path,
                                  const std::vector<std::string>& path_guids);
  Status chart(const std::string& guid, uint32_t chart_slot, const model::ChartDef& def);
  // OK once the batch is durable in the host's spool, or at once for a host not forwarded: the
  // receiver may acknowledge it.
  Status samples(const std::string& guid, const stream::SamplesMsg& batch);
  Status logs(const std::string& guid, const stream::LogsMsg& batch);
  Status gaps(const std::string& guid, const stream::GapsMsg& batch);
  // The host's spool holds its bound: the receiver stops reading from it until this is false.
  bool spool_full(const std::string& guid) const;
  // The host's downstream stream ended. Its upstream stream delivers what is spooled, then
  // ends too: with a goodbye when `clean` (the host stopped), without one when it was lost.
  void disconnect(const std::string& guid, bool clean);

  // Hosts connected or with an upstream stream, and of those the ones forwarded.
  size_t links() const { return links_.size(); }
  size_t forwarded() const;
  bool forwards_own_host() const { return own_ != nullptr; }
  // The fullest spool (the own host's or a forwarded host's) and the bound of each, for the
  // tributary.spool chart of the proxy's own host.
  stream::SpoolFill spool_fill() const;

 private:
  struct Link {
    model::HostInfo host;
    std::string api_key;  // the key it was admitted with ("" for a spool recovered at start)
    std::vector<std::string> path;        // downstream of this proxy, nearest first
    std::vector<std::string> path_guids;  // as `path`
    // By downstream slot; kept only once the host is forwarded on its current downstream
    // connection (a parent that forwards nothing keeps no copies).
    std::map<uint32_t, model::ChartDef> charts;
    bool charts_kept = false;
    // Null while the host is not forwarded.
    std::unique_ptr<stream::Sender> sender;
    std::map<uint32_t, uint32_t> chart_slots;  // downstream slot -> upstream slot (0: left out)
    bool downstream = false;                   // the host is connected to this proxy
    bool clean_end = false;                    // its downstream stream ended with a goodbye
    // Not ended before this loop time: a link recovered from the spool gives its host time to
    // reconnect, rather than showing it lost upstream the moment its spool is delivered.
    uint64_t keep_until_ms = 0;
  };

  std::optional<stream::SenderOptions> sender_options(const std::string& guid,
                                                      const std::string& api_key) const;
  // Starts, reconfigures or retires the link's sender as stream.conf now says.
  void apply_forwarding(const std::string& guid, Link& link);
  void start_sender(const std::string& guid, Link& link, stream::SenderOptions options);
  void set_upstream_path(Link& link);
  void map_charts(Link& link);
  // The sender's stream says goodbye and closes; it is destroyed once closed.
  void retire(const std::string& guid, std::unique_ptr<stream::Sender> sender);
  void apply_own_forwarding();
  Link* find(const std::string& guid);
  void recover_spools();
  // Ends the upstream streams of hosts gone downstream whose spools are drained, and forgets
  // hosts gone that were not forwarded.
  void end_drained_links();

  event::Loop& loop_;
  ForwarderOptions options_;
  model::HostInfo self_;
  std::unique_ptr<stream::Sender> own_;
  std::map<std::string, model::ChartDef> own_charts_;  // so a sender started later knows them
  std::map<std::string, Link> links_;                  // by machine GUID
  // Senders saying goodbye, by machine GUID: a new sender for that host destroys it first (one
  // process must not open a spool twice).
  std::map<std::string, std::unique_ptr<stream::Sender>> retiring_;
  event::Timer drain_timer_;
  std::function<void(const std::string&)> on_restart_needed_;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace trib::parent::proxy

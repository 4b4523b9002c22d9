#pragma once
// A parent that streams upward (stream.conf `[stream] enabled = yes`) is a proxy: the
// Forwarder sends every host the parent receives, and the parent's own host, to the [stream]
// destinations. One upstream stream per host (docs/protocol.md §8), each a stream::Sender:
//   - the own host's sender numbers its batches (SenderMode::origin);
//   - a received host's sender relays its batches under the numbers the origin gave them
//     (SenderMode::relay), so resume points hold end to end and the central parent stores each
//     batch once whichever hop failed.
// Store-and-forward: a received batch is written to that host's spool (<spool root>/<GUID>,
// LMDB) before the receiver acknowledges it downstream, and leaves the spool only when the
// upstream parent acknowledged it. A proxy restarted after a crash forwards what its spools hold
// before the hosts reconnect.
//
// Lives on the parent's I/O loop with the receiver sessions that feed it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/base/result.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/model/metrics.h"
#include "common/stream/sender.h"
#include "common/stream/spool_chart.h"

namespace trib::parent::proxy {

struct ForwarderOptions {
  // From [stream]; spool_dir is ignored (each host gets <spool_root>/<GUID>) and spool_max_size
  // bounds each host's spool (parent.yaml spool.max_size).
  stream::SenderOptions sender;
  std::string spool_root;
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
  // Every upstream stream says goodbye and closes; `done` runs once all are closed.
  void stop(std::function<void()> done);

  // The parent's own collections.
  void own_chart(const model::ChartDef& def);
  void own_sample(const std::string& chart_id, model::ChartSample sample);

  // A received host (re)connected downstream, with `hops` as the proxy sees it and the proxies
  // its stream passed through (nearest first). Returns the last seq this proxy holds of it (in
  // its spool or forwarded): downstream batches up to there need not be sent again.
  uint64_t connect(const model::HostInfo& host, const std::vector<std::string>& path,
                   const std::vector<std::string>& path_guids);
  Status chart(const std::string& guid, uint32_t chart_slot, const model::ChartDef& def);
  // OK once the batch is durable in the host's spool: the receiver may acknowledge it.
  Status samples(const std::string& guid, const stream::SamplesMsg& batch);
  Status logs(const std::string& guid, const stream::LogsMsg& batch);
  Status gaps(const std::string& guid, const stream::GapsMsg& batch);
  // The host's downstream stream ended. Its upstream stream delivers what is spooled, then
  // ends too: with a goodbye when `clean` (the host stopped), without one when it was lost.
  void disconnect(const std::string& guid, bool clean);

  size_t links() const { return links_.size(); }
  // The fullest spool (the own host's or a forwarded host's) and the bound of each, for the
  // tributary.spool chart of the proxy's own host.
  stream::SpoolFill spool_fill() const;

 private:
  struct Link {
    std::unique_ptr<stream::Sender> sender;
    std::map<uint32_t, uint32_t> chart_slots;  // downstream slot -> upstream slot (0: left out)
    bool downstream = false;                   // the host is connected to this proxy
    bool clean_end = false;                    // its downstream stream ended with a goodbye
    bool stopping = false;
    // Not ended before this loop time: a link recovered from the spool gives its host time to
    // reconnect, rather than showing it lost upstream the moment its spool is delivered.
    uint64_t keep_until_ms = 0;
  };

  Link& open_link(const model::HostInfo& host, const std::vector<std::string>& path,
                  const std::vector<std::string>& path_guids);
  Link* find(const std::string& guid);
  void recover_spools();
  // Ends the upstream streams of hosts gone downstream whose spools are drained.
  void end_drained_links();

  event::Loop& loop_;
  ForwarderOptions options_;
  model::HostInfo self_;
  std::unique_ptr<stream::Sender> own_;
  std::map<std::string, Link> links_;  // by machine GUID
  event::Timer drain_timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace trib::parent::proxy

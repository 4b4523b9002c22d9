#pragma once
// The receiving side's codec-neutral interface. Both the native frame decoder and the Netdata
// text codec turn what they read into Messages; an IngestDispatcher checks them against the
// slots the connection has defined and hands them to an IngestSink (the parent's store, or a
// proxy's spool). One dispatcher per connection, on that connection's loop.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/base/result.h"
#include "common/stream/messages.h"

namespace trib::stream {

// Where received data goes. Called on the receiving connection's loop, never concurrently.
// An error from any method ends the connection (the session logs it).
class IngestSink {
 public:
  virtual ~IngestSink() = default;
  // A host was (re)defined on `host_slot`. Returns its resume point: the last seq stored for
  // this machine GUID (0 if none), so the sender skips what is stored already.
  virtual Result<uint64_t> host(uint32_t host_slot, const model::HostInfo& info) = 0;
  // A chart of a defined host was (re)defined.
  virtual Status chart(uint32_t host_slot, uint32_t chart_slot, const model::ChartDef& def) = 0;
  // A batch past the resume point, checked: its host and charts are defined and every row has
  // one value per dimension. Once this returns OK the batch is taken (stored, or on its way to
  // a store's commit, or spooled by a proxy); the sink acknowledges it once it is durable.
  virtual Status samples(const SamplesMsg& batch) = 0;
  // Log records and gap records, past the resume point, of a defined host, under the same rule.
  // A sink that keeps no logs refuses them (the receiver does not grant `logs` then, so a
  // conforming sender never sends them). By value: a sink that keeps a batch takes it whole
  // (a log batch is megabytes of lines, not worth a copy).
  virtual Status logs(LogsMsg batch) = 0;
  virtual Status gaps(GapsMsg batch) = 0;
  // A clean stop of one host, or of every host on the connection (kAllHosts). A connection that
  // ends without it is a lost connection: the session, not the dispatcher, reports that.
  virtual void goodbye(uint32_t host_slot_or_all, std::string_view reason) = 0;
};

// Bounds on the state one connection may make the dispatcher keep.
struct IngestLimits {
  size_t max_hosts = 10'000;
  size_t max_charts = 1'000'000;
};

class IngestDispatcher {
 public:
  // `sink` must outlive the dispatcher.
  explicit IngestDispatcher(IngestSink& sink, IngestLimits limits = {});

  // Checks `message` and hands it to the sink. Returns the reply to send back, if any: a
  // HostResume after a HostDef, an Ack after stored Samples (also for a batch at or below the
  // resume point, which is acknowledged without storing it again). The session sends replies
  // only when the peer was granted `ack`, and may coalesce acks (they are cumulative).
  // protocol_error when the message breaks the protocol:
  //   - a HostDef without a machine GUID, for a slot that holds another GUID, or for a GUID
  //     already on another slot;
  //   - a ChartDef for an undefined host, without an id, or for a chart slot of another host;
  //   - Samples, Logs or Gaps for an undefined host, with seq 0 or a seq not above the previous
  //     batch (of any kind) of that host on this connection, with a row for an undefined chart or
  //     another host's chart, or with a number of values different from the chart's dimensions;
  //   - a Goodbye for an undefined host; an Ack or HostResume (they go to the sender).
  // Sink errors are returned as they are. By value: Logs and Gaps batches move on to the sink.
  Result<std::optional<Message>> dispatch(Message message);

 private:
  struct HostState {
    std::string machine_guid;
    uint64_t resume_seq = 0;  // from the sink: batches at or below are stored already
    uint64_t last_seq = 0;    // the last batch received on this connection
  };
  struct ChartState {
    uint32_t host_slot = 0;
    size_t dimensions = 0;
  };

  Result<std::optional<Message>> on_host(const HostDefMsg& msg);
  Result<std::optional<Message>> on_chart(const ChartDefMsg& msg);
  Result<std::optional<Message>> on_samples(const SamplesMsg& msg);
  Result<std::optional<Message>> on_goodbye(const GoodbyeMsg& msg);
  // Logs and Gaps: the host and seq checks of Samples, then `store` past the resume point.
  template <class Batch>
  Result<std::optional<Message>> on_numbered(std::string_view kind, Batch& msg,
                                             Status (IngestSink::*store)(Batch));
  Status check_seq(std::string_view kind, uint32_t host_slot, uint64_t seq);
  Status check_rows(const SamplesMsg& msg) const;
  void forget_host(uint32_t host_slot);

  IngestSink& sink_;
  IngestLimits limits_;
  std::unordered_map<uint32_t, HostState> hosts_;
  std::unordered_map<std::string, uint32_t> slot_of_guid_;
  std::unordered_map<uint32_t, ChartState> charts_;
};

}  // namespace trib::stream

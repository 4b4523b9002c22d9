#include "common/stream/ingest.h"

#include <algorithm>
#include <type_traits>

namespace trib::stream {
namespace {

using Reply = Result<std::optional<Message>>;

Error violation(std::string message) { return Error(Errc::protocol_error, std::move(message)); }

std::string slot_name(std::string_view kind, uint32_t slot) {
  return std::string(kind) + " slot " + std::to_string(slot);
}

}  // namespace

IngestDispatcher::IngestDispatcher(IngestSink& sink, IngestLimits limits)
    : sink_(sink), limits_(limits) {}

// Defined before dispatch(): clang instantiates it from the generic lambda there.
template <class Batch>
Reply IngestDispatcher::on_numbered(std::string_view kind, Batch& msg,
                                    Status (IngestSink::*store)(Batch)) {
  TRIB_TRY(check_seq(kind, msg.host_slot, msg.seq));
  const AckMsg ack{msg.host_slot, msg.seq};
  HostState& state = hosts_[msg.host_slot];
  state.last_seq = msg.seq;
  if (msg.seq > state.resume_seq) TRIB_TRY((sink_.*store)(std::move(msg)));
  return std::optional<Message>(ack);
}

Reply IngestDispatcher::dispatch(Message message) {
  return std::visit(
      [this](auto& msg) -> Reply {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, HostDefMsg>) {
          return on_host(msg);
        } else if constexpr (std::is_same_v<T, ChartDefMsg>) {
          return on_chart(msg);
        } else if constexpr (std::is_same_v<T, SamplesMsg>) {
          return on_samples(msg);
        } else if constexpr (std::is_same_v<T, LogsMsg>) {
          return on_numbered("Logs", msg, &IngestSink::logs);
        } else if constexpr (std::is_same_v<T, GapsMsg>) {
          return on_numbered("Gaps", msg, &IngestSink::gaps);
        } else if constexpr (std::is_same_v<T, GoodbyeMsg>) {
          return on_goodbye(msg);
        } else if constexpr (std::is_same_v<T, KeepaliveMsg>) {
          return std::optional<Message>{};
        } else {
          static_assert(std::is_same_v<T, AckMsg> || std::is_same_v<T, HostResumeMsg>);
          return violation(std::string(to_string(frame_type(msg))) +
                           " frames go from the receiver to the sender");
        }
      },
      message);
}

Reply IngestDispatcher::on_host(const HostDefMsg& msg) {
  const std::string& guid = msg.info.machine_guid;
  if (guid.empty())
    return violation("HostDef on " + slot_name("host", msg.host_slot) + " has no machine GUID");
  const auto existing = hosts_.find(msg.host_slot);
  if (existing != hosts_.end() && existing->second.machine_guid != guid) {
    return violation("HostDef for " + guid + " on " + slot_name("host", msg.host_slot) +
                     ", which holds " + existing->second.machine_guid);
  }
  const auto other = slot_of_guid_.find(guid);
  if (other != slot_of_guid_.end() && other->second != msg.host_slot) {
    return violation("HostDef for " + guid + " on " + slot_name("host", msg.host_slot) +
                     ", but it is defined on " + slot_name("host", other->second));
  }
  if (existing == hosts_.end() && hosts_.size() >= limits_.max_hosts) {
    return Error(Errc::limit_exceeded,
                 "more than " + std::to_string(limits_.max_hosts) + " hosts on one connection");
  }
  TRIB_ASSIGN_OR_RETURN(const uint64_t resume, sink_.host(msg.host_slot, msg.info));
  HostState& state = hosts_[msg.host_slot];
  state.machine_guid = guid;
  state.resume_seq = std::max(state.resume_seq, resume);
  slot_of_guid_[guid] = msg.host_slot;
  return std::optional<Message>(HostResumeMsg{msg.host_slot, state.resume_seq});
}

Reply IngestDispatcher::on_chart(const ChartDefMsg& msg) {
  if (!hosts_.contains(msg.host_slot)) {
    return violation("ChartDef '" + msg.def.id + "' for undefined " +
                     slot_name("host", msg.host_slot));
  }
  if (msg.def.id.empty())
    return violation("ChartDef on " + slot_name("chart", msg.chart_slot) + " has no chart id");
  const auto existing = charts_.find(msg.chart_slot);
  if (existing != charts_.end() && existing->second.host_slot != msg.host_slot) {
    return violation("ChartDef '" + msg.def.id + "' reuses " + slot_name("chart", msg.chart_slot) +
                     " of " + slot_name("host", existing->second.host_slot));
  }
  if (existing == charts_.end() && charts_.size() >= limits_.max_charts) {
    return Error(Errc::limit_exceeded,
                 "more than " + std::to_string(limits_.max_charts) + " charts on one connection");
  }
  TRIB_TRY(sink_.chart(msg.host_slot, msg.chart_slot, msg.def));
  charts_[msg.chart_slot] = ChartState{msg.host_slot, msg.def.dimensions.size()};
  return std::optional<Message>{};
}

Status IngestDispatcher::check_rows(const SamplesMsg& msg) const {
  for (const SamplesMsg::Row& row : msg.rows) {
    const auto chart = charts_.find(row.chart_slot);
    if (chart == charts_.end()) {
      return violation("Samples seq " + std::to_string(msg.seq) + " has a row for undefined " +
                       slot_name("chart", row.chart_slot));
    }
    if (chart->second.host_slot != msg.host_slot) {
      return violation("Samples for " + slot_name("host", msg.host_slot) + " have a row for " +
                       slot_name("chart", row.chart_slot) + " of " +
                       slot_name("host", chart->second.host_slot));
    }
    if (row.value_count > msg.values.size() ||
        row.first_value > msg.values.size() - row.value_count) {
      return violation("Samples row for " + slot_name("chart", row.chart_slot) +
                       " has values outside its batch");
    }
    if (row.value_count != chart->second.dimensions) {
      return violation("Samples row for " + slot_name("chart", row.chart_slot) + " has " +
                       std::to_string(row.value_count) + " values, the chart has " +
                       std::to_string(chart->second.dimensions) + " dimensions");
    }
  }
  return {};
}

Status IngestDispatcher::check_seq(std::string_view kind, uint32_t host_slot, uint64_t seq) {
  const auto host = hosts_.find(host_slot);
  if (host == hosts_.end()) {
    return violation(std::string(kind) + " for undefined " + slot_name("host", host_slot));
  }
  const HostState& state = host->second;
  if (seq == 0 || seq <= state.last_seq) {
    return violation(std::string(kind) + " seq " + std::to_string(seq) + " for " +
                     state.machine_guid + " after seq " + std::to_string(state.last_seq) +
                     " (seqs start at 1 and increase)");
  }
  return {};
}

Reply IngestDispatcher::on_samples(const SamplesMsg& msg) {
  TRIB_TRY(check_seq("Samples", msg.host_slot, msg.seq));
  TRIB_TRY(check_rows(msg));
  HostState& state = hosts_[msg.host_slot];
  state.last_seq = msg.seq;
  // At or below the resume point it is stored already: acknowledge, do not store twice.
  if (msg.seq > state.resume_seq) TRIB_TRY(sink_.samples(msg));
  return std::optional<Message>(AckMsg{msg.host_slot, msg.seq});
}

Reply IngestDispatcher::on_goodbye(const GoodbyeMsg& msg) {
  if (msg.host_slot == kAllHosts) {
    sink_.goodbye(kAllHosts, msg.reason);
    hosts_.clear();
    slot_of_guid_.clear();
    charts_.clear();
    return std::optional<Message>{};
  }
  if (!hosts_.contains(msg.host_slot)) {
    return violation("Goodbye for undefined " + slot_name("host", msg.host_slot));
  }
  sink_.goodbye(msg.host_slot, msg.reason);
  forget_host(msg.host_slot);
  return std::optional<Message>{};
}

void IngestDispatcher::forget_host(uint32_t host_slot) {
  std::erase_if(charts_,
                [host_slot](const auto& entry) { return entry.second.host_slot == host_slot; });
  slot_of_guid_.erase(hosts_[host_slot].machine_guid);
  hosts_.erase(host_slot);
}

}  // namespace trib::stream

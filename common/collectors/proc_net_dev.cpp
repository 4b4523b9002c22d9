#include "common/collectors/proc_net_dev.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/dev";
constexpr double kKilobitsPerByte = 8.0 / 1000.0;
constexpr std::string_view kDisabledInterfaces[] = {"lo",    "fireqos*", "*-ifb",
                                                    "fwpr*", "fwbr*",    "fwln*"};

constexpr int64_t kSysReadIntervalUs = 10'000'000;
constexpr const char* kDuplexStates[] = {"full", "half", "unknown"};
constexpr const char* kOperStates[] = {"up",      "down",    "notpresent", "lowerlayerdown",
                                       "testing", "dormant", "unknown"};

template <size_t N>
int index_of(const char* const (&names)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<int>(i);
  }
  return -1;
}

template <size_t N>
std::vector<model::DimensionDef> dimensions_of(const char* const (&names)[N]) {
  std::vector<model::DimensionDef> dims;
  for (const char* name : names) dims.push_back(dimension(name));
  return dims;
}

// One-hot values of a state: 1 for the current state, 0 for the others, gaps when unknown.
void one_hot(std::vector<double>& values, size_t count, int index) {
  values.assign(count, index < 0 ? model::kNoValue : 0.0);
  if (index >= 0 && static_cast<size_t>(index) < count) values[index] = 1.0;
}

bool disabled_by_default(std::string_view name) {
  for (std::string_view pattern : kDisabledInterfaces) {
    if (matches_pattern(pattern, name)) return true;
  }
  return false;
}
}  // namespace

ProcNetDevCollector::ProcNetDevCollector(const CollectorContext& context)
    : paths_(context.paths), update_every_(context.update_every) {
  system_net_.def = make_chart({.id = "system.net",
                                .title = "Physical Network Interfaces Aggregated Bandwidth",
                                .units = "kilobits/s",
                                .family = "network",
                                .context = "system.net",
                                .type = model::ChartType::area,
                                .priority = 500,
                                .module = kModule},
                               update_every_,
                               {dimension("InOctets", "received"), dimension("OutOctets", "sent")});
}

ProcNetDevCollector::Interface& ProcNetDevCollector::find_or_add(std::string_view name) {
  for (auto& iface : interfaces_) {
    if (iface->name == name) return *iface;
  }
  auto iface = std::make_unique<Interface>();
  iface->name = std::string(name);
  iface->enabled = !disabled_by_default(name);
  std::string virtual_path = paths_.sys + "/devices/virtual/net/" + iface->name;
  iface->is_virtual = ::access(virtual_path.c_str(), R_OK) == 0;
  std::string id = fix_chart_id(iface->name);
  iface->bandwidth.def = make_chart({.id = "net." + id,
                                     .title = "Bandwidth",
                                     .units = "kilobits/s",
                                     .family = iface->name,
                                     .context = "net.net",
                                     .type = model::ChartType::area,
                                     .priority = 7000,
                                     .module = kModule},
                                    update_every_, {dimension("received"), dimension("sent")});
  iface->packets.def =
      make_chart({.id = "net_packets." + id,
                  .title = "Packets",
                  .units = "packets/s",
                  .family = iface->name,
                  .context = "net.packets",
                  .priority = 7001,
                  .module = kModule},
                 update_every_, {dimension("received"), dimension("sent"), dimension("multicast")});
  auto line_chart = [&](std::string type, std::string title, std::string units, int32_t offset,
                        std::vector<model::DimensionDef> dims) {
    return make_chart({.id = type + "." + id,
                       .title = std::move(title),
                       .units = std::move(units),
                       .family = iface->name,
                       .context = "net." + type.substr(4),  // net_errors: net.errors
                       .priority = 7000 + offset,
                       .module = kModule},
                      update_every_, std::move(dims));
  };
  auto pair = [](const char* in, const char* out) {
    return std::vector{dimension(in), dimension(out)};
  };
  iface->errors.def =
      line_chart("net_errors", "Interface Errors", "errors/s", 2, pair("inbound", "outbound"));
  iface->drops.def =
      line_chart("net_drops", "Interface Drops", "drops/s", 3, pair("inbound", "outbound"));
  iface->fifo.def = line_chart("net_fifo", "Interface FIFO Buffer Errors", "errors", 4,
                               pair("receive", "transmit"));
  iface->compressed.def =
      line_chart("net_compressed", "Compressed Packets", "packets/s", 5, pair("received", "sent"));
  iface->events.def =
      line_chart("net_events", "Network Interface Events", "events/s", 6,
                 {dimension("frames"), dimension("collisions"), dimension("carrier")});
  iface->speed.def =
      line_chart("net_speed", "Interface Speed", "kilobits/s", 7, {dimension("speed")});
  iface->duplex.def =
      line_chart("net_duplex", "Interface Duplex State", "state", 8, dimensions_of(kDuplexStates));
  iface->operstate.def = line_chart("net_operstate", "Interface Operational State", "state", 9,
                                    dimensions_of(kOperStates));
  iface->carrier.def =
      line_chart("net_carrier", "Interface Physical Link State", "state", 10, pair("up", "down"));
  iface->mtu.def = line_chart("net_mtu", "Interface MTU", "octets", 11, {dimension("mtu")});
  interfaces_.push_back(std::move(iface));
  return *interfaces_.back();
}

ProcNetDevCollector::Bandwidth ProcNetDevCollector::emit_interface(
    Interface& iface, const Counters& c, double elapsed, int64_t timestamp, MetricSink& sink) {
  bool primed = iface.rbytes.primed();
  double received = iface.rbytes.update(c.rbytes, elapsed) * kKilobitsPerByte;
  double sent = iface.tbytes.update(c.tbytes, elapsed) * kKilobitsPerByte;
  double rpackets = iface.rpackets.update(c.rpackets, elapsed);
  double tpackets = iface.tpackets.update(c.tpackets, elapsed);
  double multicast = iface.rmulticast.update(c.rmulticast, elapsed);
  // Sent is drawn below the axis in Netdata (multiplier -8): final values carry the sign.
  if (iface.bandwidth.defined || c.rbytes != 0 || c.tbytes != 0) {
    iface.bandwidth.ensure_defined(sink);
    if (primed) iface.bandwidth.submit(sink, timestamp, {received, -sent});
  }
  if (iface.packets.defined || c.rpackets != 0 || c.tpackets != 0 || c.rmulticast != 0) {
    iface.packets.ensure_defined(sink);
    if (primed) iface.packets.submit(sink, timestamp, {rpackets, -tpackets, multicast});
  }
  emit_counters(iface, c, primed, elapsed, timestamp, sink);
  return primed ? Bandwidth{received, sent} : Bandwidth{0, 0};
}

void ProcNetDevCollector::emit_counters(Interface& iface, const Counters& c, bool primed,
                                        double elapsed, int64_t timestamp, MetricSink& sink) {
  // Netdata draws the transmit side below the axis: final values carry the sign.
  auto emit = [&](EmittedChart& chart, bool non_zero, std::initializer_list<double> values) {
    if (!chart.defined && !non_zero) return;
    chart.ensure_defined(sink);
    if (primed) chart.submit(sink, timestamp, values);
  };
  emit(iface.errors, c.rerrors != 0 || c.terrors != 0,
       {iface.rerrors.update(c.rerrors, elapsed), -iface.terrors.update(c.terrors, elapsed)});
  emit(iface.drops, c.rdrops != 0 || c.tdrops != 0,
       {iface.rdrops.update(c.rdrops, elapsed), -iface.tdrops.update(c.tdrops, elapsed)});
  emit(iface.fifo, c.rfifo != 0 || c.tfifo != 0,
       {iface.rfifo.update(c.rfifo, elapsed), -iface.tfifo.update(c.tfifo, elapsed)});
  emit(iface.compressed, c.rcompressed != 0 || c.tcompressed != 0,
       {iface.rcompressed.update(c.rcompressed, elapsed),
        -iface.tcompressed.update(c.tcompressed, elapsed)});
  emit(iface.events, c.rframe != 0 || c.tcollisions != 0 || c.tcarrier != 0,
       {iface.rframe.update(c.rframe, elapsed), -iface.tcollisions.update(c.tcollisions, elapsed),
        -iface.tcarrier.update(c.tcarrier, elapsed)});
}

void ProcNetDevCollector::read_sys(Interface& iface) {
  std::string base = paths_.sys + "/class/net/" + iface.name + "/";
  auto read_word = [&](const char* file) -> std::string_view {
    auto text = sys_reader_.read(base + file);
    if (!text.ok()) return {};
    return Tokenizer(*text).next_word();
  };
  SysState& sys = iface.sys;
  int64_t number = 0;
  // speed is in Mbit/s, -1 when the link is down or the driver does not know (a virtio NIC):
  // charted as 0, as Netdata does (its number parser stops at the '-'); unreadable: unknown.
  sys.speed_kbits = parse_i64(read_word("speed"), number)
                        ? static_cast<double>(std::max<int64_t>(number, 0)) * 1000.0
                        : model::kNoValue;
  sys.mtu = parse_i64(read_word("mtu"), number) ? static_cast<double>(number) : model::kNoValue;
  sys.duplex = index_of(kDuplexStates, read_word("duplex"));
  sys.operstate = index_of(kOperStates, read_word("operstate"));
  std::string_view carrier = read_word("carrier");
  sys.carrier = carrier == "1" ? 1 : carrier == "0" ? 0 : -1;
}

void ProcNetDevCollector::emit_sys(Interface& iface, int64_t timestamp, MetricSink& sink) {
  const SysState& sys = iface.sys;
  auto emit = [&](EmittedChart& chart, bool known) {
    if (!chart.defined && !known) return;
    chart.ensure_defined(sink);
    chart.submit_current(sink, timestamp);
  };
  iface.speed.sample.values.assign(1, sys.speed_kbits);
  emit(iface.speed, !std::isnan(sys.speed_kbits));
  one_hot(iface.duplex.sample.values, std::size(kDuplexStates), sys.duplex);
  emit(iface.duplex, sys.duplex >= 0);
  one_hot(iface.operstate.sample.values, std::size(kOperStates), sys.operstate);
  emit(iface.operstate, sys.operstate >= 0);
  if (sys.carrier < 0) {
    iface.carrier.sample.values.assign(2, model::kNoValue);
  } else {
    iface.carrier.sample.values = {sys.carrier == 1 ? 1.0 : 0.0, sys.carrier == 1 ? 0.0 : 1.0};
  }
  emit(iface.carrier, sys.carrier >= 0);
  iface.mtu.sample.values.assign(1, sys.mtu);
  emit(iface.mtu, !std::isnan(sys.mtu));
}

Status ProcNetDevCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(paths_.proc + "/net/dev"));
  double elapsed = elapsed_.advance(now_us);
  int64_t timestamp = timestamp_of(now_us);
  // system.net adds up the interfaces' rates rather than rating the sum of their counters, so
  // an interface that appears or disappears makes no spike; one counter reset makes a gap.
  Bandwidth system{0, 0};
  bool system_defined_now = false;
  for (auto& iface : interfaces_) iface->seen = false;

  Tokenizer lines(text);
  lines.next_line();  // two header lines
  lines.next_line();
  while (!lines.done()) {
    std::string_view line = lines.next_line();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    Tokenizer name_words(line.substr(0, colon));
    std::string_view name = name_words.next_word();
    Tokenizer words(line.substr(colon + 1));
    // receive: bytes packets errs drop fifo frame compressed multicast;
    // transmit: bytes packets errs drop fifo colls carrier compressed
    uint64_t f[16];
    bool complete = !name.empty();
    for (uint64_t& field : f) complete = complete && parse_u64(words.next_word(), field);
    if (!complete) continue;
    Counters c{.rbytes = f[0],
               .rpackets = f[1],
               .rerrors = f[2],
               .rdrops = f[3],
               .rfifo = f[4],
               .rframe = f[5],
               .rcompressed = f[6],
               .rmulticast = f[7],
               .tbytes = f[8],
               .tpackets = f[9],
               .terrors = f[10],
               .tdrops = f[11],
               .tfifo = f[12],
               .tcollisions = f[13],
               .tcarrier = f[14],
               .tcompressed = f[15]};

    Interface& iface = find_or_add(name);
    iface.seen = true;
    if (!iface.enabled) continue;
    Bandwidth rates = emit_interface(iface, c, elapsed, timestamp, sink);
    if (now_us >= iface.next_sys_read_us) {
      read_sys(iface);
      iface.next_sys_read_us = now_us + kSysReadIntervalUs;
    }
    emit_sys(iface, timestamp, sink);
    if (!iface.is_virtual) {
      system.received += rates.received;
      system.sent += rates.sent;
      system_defined_now = system_defined_now || c.rbytes != 0 || c.tbytes != 0;
    }
  }
  std::erase_if(interfaces_, [](const auto& iface) { return !iface->seen; });

  if (system_net_.defined || system_defined_now) {
    system_net_.ensure_defined(sink);
    if (elapsed > 0) system_net_.submit(sink, timestamp, {system.received, -system.sent});
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_net_dev(const CollectorContext& context) {
  return std::make_unique<ProcNetDevCollector>(context);
}

}  // namespace trib::collectors

#include "common/collectors/proc_net_dev.h"

#include <unistd.h>

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/dev";
constexpr double kKilobitsPerByte = 8.0 / 1000.0;
constexpr std::string_view kDisabledInterfaces[] = {"lo",    "fireqos*", "*-ifb",
                                                    "fwpr*", "fwbr*",    "fwln*"};

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
  return primed ? Bandwidth{received, sent} : Bandwidth{0, 0};
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
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets
    uint64_t f[10];
    bool complete = !name.empty();
    for (uint64_t& field : f) complete = complete && parse_u64(words.next_word(), field);
    if (!complete) continue;
    Counters c{
        .rbytes = f[0], .rpackets = f[1], .rmulticast = f[7], .tbytes = f[8], .tpackets = f[9]};

    Interface& iface = find_or_add(name);
    iface.seen = true;
    if (!iface.enabled) continue;
    Bandwidth rates = emit_interface(iface, c, elapsed, timestamp, sink);
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

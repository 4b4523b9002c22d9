// The table of collectors: one row per collector. Adding a collector = a file pair + a row here.

#include <unistd.h>

#include <array>

#include "common/collectors/collector.h"
#include "common/collectors/disk_space.h"
#include "common/collectors/proc_diskstats.h"
#include "common/collectors/proc_entropy.h"
#include "common/collectors/proc_interrupts.h"
#include "common/collectors/proc_loadavg.h"
#include "common/collectors/proc_meminfo.h"
#include "common/collectors/proc_net_dev.h"
#include "common/collectors/proc_net_netstat.h"
#include "common/collectors/proc_net_snmp.h"
#include "common/collectors/proc_net_snmp6.h"
#include "common/collectors/proc_net_sockstat.h"
#include "common/collectors/proc_net_softnet_stat.h"
#include "common/collectors/proc_net_stat_conntrack.h"
#include "common/collectors/proc_pressure.h"
#include "common/collectors/proc_softirqs.h"
#include "common/collectors/proc_stat.h"
#include "common/collectors/proc_sysvipc.h"
#include "common/collectors/proc_uptime.h"
#include "common/collectors/proc_vmstat.h"
#include "common/collectors/process.h"
#include "common/collectors/sys_block_zram.h"

namespace trib::collectors {
namespace {
constexpr std::array kRegistry = {
    CollectorInfo{"proc.stat", "CPU (total and per core), interrupts, context switches, forks",
                  &make_proc_stat},
    CollectorInfo{"proc.loadavg", "system load average", &make_proc_loadavg},
    CollectorInfo{"proc.meminfo", "RAM, available memory, swap", &make_proc_meminfo},
    CollectorInfo{"proc.vmstat", "memory paged from/to disk, swap I/O", &make_proc_vmstat},
    CollectorInfo{"proc.diskstats", "disk bandwidth, operations and utilization",
                  &make_proc_diskstats},
    CollectorInfo{"sys.block_zram", "compressed RAM (zram) devices", &make_sys_block_zram},
    CollectorInfo{"disk_space", "filesystem space usage per mount point", &make_disk_space},
    CollectorInfo{"proc.net_dev", "network interface bandwidth and packets", &make_proc_net_dev},
    CollectorInfo{"proc.uptime", "system uptime", &make_proc_uptime},
    CollectorInfo{"proc.entropy", "available kernel entropy", &make_proc_entropy},
    CollectorInfo{"proc.interrupts", "interrupts per line, total and per core",
                  &make_proc_interrupts},
    CollectorInfo{"proc.softirqs", "softirqs per kind, total and per core", &make_proc_softirqs},
    CollectorInfo{"proc.net_snmp", "IPv4, ICMP, TCP and UDP counters", &make_proc_net_snmp},
    CollectorInfo{"proc.net_snmp6", "IPv6, ICMPv6 and UDPv6 counters", &make_proc_net_snmp6},
    CollectorInfo{"proc.net_netstat", "IP bandwidth and extended IP and TCP counters",
                  &make_proc_net_netstat},
    CollectorInfo{"proc.net_sockstat", "IPv4 sockets in use and their memory",
                  &make_proc_net_sockstat},
    CollectorInfo{"proc.net_softnet_stat", "network packet processing per core",
                  &make_proc_net_softnet_stat},
    CollectorInfo{"proc.net_stat_conntrack", "netfilter connection tracker counters",
                  &make_proc_net_stat_conntrack},
    CollectorInfo{"proc.pressure", "CPU, memory and I/O pressure stall information",
                  &make_proc_pressure},
    CollectorInfo{"ipc", "System V semaphores and shared memory in use", &make_proc_sysvipc},
    CollectorInfo{"process", "CPU, memory, threads, fds and I/O of the agent and matched processes",
                  &make_process, /*watches_processes=*/true},
};
}  // namespace

std::span<const CollectorInfo> registry() { return kRegistry; }

CollectorContext host_context(std::string self_name, std::vector<ProcessMatch> processes,
                              int32_t update_every) {
  CollectorContext context;
  context.self_name = std::move(self_name);
  context.processes = std::move(processes);
  context.self_pid = static_cast<int>(::getpid());
  long ticks = ::sysconf(_SC_CLK_TCK);
  long page = ::sysconf(_SC_PAGESIZE);
  if (ticks > 0) context.clock_ticks_per_second = ticks;
  if (page > 0) context.page_size = page;
  context.update_every = update_every;
  return context;
}

}  // namespace trib::collectors

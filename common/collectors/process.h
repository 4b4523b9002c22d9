#pragma once
// process: per-group process metrics in the style of Netdata 1.37's apps.plugin. Groups are the
// running binary itself (context.self_name, by self_pid) and every configured ProcessMatch (exact
// comm, regular expression over the space-joined cmdline, or a pidfile). Each chart has one
// dimension per group, summing the group's processes:
//   apps.cpu (% of one core), apps.mem (MiB, resident minus shared, as apps.plugin's "Real
//   Memory (w/o shared)"), apps.threads, apps.processes, apps.files (open fds),
//   apps.preads / apps.pwrites (KiB/s of storage I/O from /proc/<pid>/io).
//
// Cost: the process list is matched again only every 10 seconds (kRescanInterval), and a
// process's names are matched (one RE2 set over every group's command-line pattern) only when it
// is new or renamed. Between scans only the known pids are read, through descriptors kept open
// (stat, statm and io re-read with pread, the fd directory's entry count from fstat where the
// kernel reports it, Linux 6.2 and later). A pid that exits is dropped at once; a pid reused by
// another process is detected by its start time. A process
// contributes to the rates from its second collection on, so a new process makes no spike and
// an exited one makes no drop. An unreadable io or fd directory (another user's process) leaves
// that metric out for that process; a group with none readable gets a gap.

#include <re2/set.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcessCollector final : public Collector {
 public:
  static constexpr int64_t kRescanIntervalUs = 10'000'000;

  explicit ProcessCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  // /proc/<pid>/fd kept open (see KeptFile), counted by its size where the kernel reports the
  // number of open descriptors as the size (Linux 6.2 and later), else by listing it.
  struct FdDirectory {
    KeptFile dir;
    // Open descriptors of the process, or -1 when the directory cannot be read.
    int64_t count(bool size_is_count);
  };

  struct PidState {
    explicit PidState(int id, const std::string& base)
        : pid(id),
          stat(base + "/stat"),
          statm(base + "/statm"),
          io(base + "/io"),
          fds{KeptFile(base + "/fd")} {}
    int pid = 0;
    KeptFile stat, statm, io;
    FdDirectory fds;
    uint64_t start_time = 0;
    uint64_t cpu_ticks = 0;
    uint64_t read_bytes = 0, write_bytes = 0;
    bool io_known = false;
    bool primed = false;  // has a previous sample for the rates
  };
  struct Group {
    std::string name;
    std::string comm;
    bool by_cmdline = false;  // matched by cmdline_set_
    std::string pidfile;
    int fixed_pid = 0;  // the agent itself
    std::vector<PidState> pids;
  };
  // One collection of a group, summed over its processes.
  struct GroupSample {
    double cpu_ticks = 0, mem_pages = 0, threads = 0, processes = 0;
    double files = 0, read_bytes = 0, write_bytes = 0;
    size_t files_known = 0, io_readable = 0;
    bool cpu_went_back = false, io_went_back = false;
  };

  // What a rescan learnt of one process: its names and which groups it belongs to. Kept
  // between rescans, so the regular expressions run only for new or renamed processes.
  struct SeenProcess {
    std::string comm;
    std::string cmdline;       // NUL bytes as spaces
    std::vector<bool> member;  // by group index
  };

  void add_cmdline_pattern(const ProcessMatch& match, size_t group);
  void rescan();
  // Per group, the pids whose comm or command line matches, from one read of each process.
  std::vector<std::vector<int>> match_by_name(const std::vector<int>& all_pids);
  std::vector<bool> groups_of(const std::string& comm, const std::string& cmdline);
  std::vector<int> pids_of(const Group& group, const std::vector<int>& named_matches);
  std::vector<int> list_pids();
  std::string pid_dir(int pid) const;
  bool read_pid(PidState& state, GroupSample& sample);
  void define_charts(MetricSink& sink);

  CollectorContext context_;
  FileReader reader_;
  Elapsed elapsed_;
  std::vector<Group> groups_;
  EmittedChart cpu_, mem_, threads_, processes_, files_, preads_, pwrites_;
  int64_t next_rescan_us_ = 0;
  std::unordered_map<int, SeenProcess> seen_;  // by pid, from the last rescan
  // Every group's cmdline pattern; a match reports set indices, mapped to groups here.
  std::unique_ptr<re2::RE2::Set> cmdline_set_;
  std::vector<size_t> group_of_pattern_;
  std::vector<int> pattern_hits_;  // reused by groups_of()
  bool fd_size_is_count_ = false;  // the kernel reports open fds as the fd directory's size
};

std::unique_ptr<Collector> make_process(const CollectorContext& context);

}  // namespace trib::collectors

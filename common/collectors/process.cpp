#include "common/collectors/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/log/log.h"

namespace trib::collectors {
namespace {
constexpr double kBytesPerMib = 1024.0 * 1024.0;

struct StatFields {
  uint64_t cpu_ticks = 0, threads = 0, start_time = 0;
};

// /proc/<pid>/stat: "pid (comm) state ppid ...". comm may hold spaces and parentheses, so the
// fields are counted from the last ')'. utime, stime, num_threads and starttime are fields 14,
// 15, 20 and 22 (1-based), i.e. 11, 12, 17 and 19 words after the state.
bool parse_stat(std::string_view text, StatFields& out) {
  size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return false;
  Tokenizer words(text.substr(paren + 1));
  uint64_t utime = 0, stime = 0;
  bool ok = true;
  for (int index = 0; index <= 19 && ok; ++index) {
    std::string_view word = words.next_word();
    if (word.empty()) return false;
    if (index == 11) ok = parse_u64(word, utime);
    if (index == 12) ok = parse_u64(word, stime);
    if (index == 17) ok = parse_u64(word, out.threads);
    if (index == 19) ok = parse_u64(word, out.start_time);
  }
  out.cpu_ticks = utime + stime;
  return ok;
}

// /proc/<pid>/io: "read_bytes: N" and "write_bytes: N" lines.
bool parse_io(std::string_view text, uint64_t& read_bytes, uint64_t& write_bytes) {
  bool have_read = false, have_write = false;
  Tokenizer lines(text);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    std::string_view key = words.next_word();
    if (key == "read_bytes:") have_read = parse_u64(words.next_word(), read_bytes);
    if (key == "write_bytes:") have_write = parse_u64(words.next_word(), write_bytes);
  }
  return have_read && have_write;
}

// Entries of a directory open as `fd`, listed from the start, or -1 when it cannot be read.
int64_t list_entries(int fd) {
  // fdopendir takes the descriptor over; list a duplicate so `fd` stays open.
  int copy = ::dup(fd);
  if (copy < 0) return -1;
  DIR* dir = ::fdopendir(copy);
  if (dir == nullptr) {
    ::close(copy);
    return -1;
  }
  ::rewinddir(dir);
  int64_t count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

// Since Linux 6.2 the size of /proc/<pid>/fd is the number of open descriptors. The agent
// always has some open, so a size of 0 for its own directory means an older kernel.
bool fd_directory_size_is_count(const std::string& proc) {
  struct stat st {};
  return ::stat((proc + "/self/fd").c_str(), &st) == 0 && st.st_size > 0;
}

std::string_view trim_newline(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return text;
}

bool parse_pid(std::string_view text, int& pid) {
  int64_t value = 0;
  if (!parse_i64(text, value) || value <= 0 || value > (int64_t{1} << 22)) return false;
  pid = static_cast<int>(value);
  return true;
}
}  // namespace

ProcessCollector::ProcessCollector(const CollectorContext& context) : context_(context) {
  Group self;
  self.name = context.self_name;
  self.fixed_pid = context.self_pid;
  groups_.push_back(std::move(self));
  for (const ProcessMatch& match : context.processes) {
    Group group;
    group.name = match.name;
    group.comm = match.comm;
    group.pidfile = match.pidfile;
    if (!match.cmdline.empty()) add_cmdline_pattern(match, groups_.size());
    group.by_cmdline = !match.cmdline.empty();
    groups_.push_back(std::move(group));
  }
  if (cmdline_set_ && !cmdline_set_->Compile()) {
    TRIB_LOG(collector, error,
             "[collector:process] the cmdline patterns do not compile together "
             "(out of memory); no group matches by cmdline");
    cmdline_set_.reset();
  }
  fd_size_is_count_ = fd_directory_size_is_count(context.paths.proc);

  int32_t every = context.update_every;
  auto spec = [](std::string id, std::string title, std::string units, std::string family,
                 int32_t priority) {
    ChartSpec chart = proc_chart("", std::move(id), std::move(title), std::move(units),
                                 std::move(family), priority, model::ChartType::stacked);
    chart.plugin = "apps.plugin";
    return chart;
  };
  std::vector<model::DimensionDef> dims;
  for (const Group& group : groups_) dims.push_back(dimension(group.name));
  cpu_.def = make_chart(
      spec("apps.cpu", "Apps CPU Time (100% = 1 core)", "percentage", "cpu", 20001), every, dims);
  mem_.def = make_chart(spec("apps.mem", "Apps Real Memory (w/o shared)", "MiB", "mem", 20003),
                        every, dims);
  threads_.def =
      make_chart(spec("apps.threads", "Apps Threads", "threads", "processes", 20005), every, dims);
  processes_.def = make_chart(
      spec("apps.processes", "Apps Processes", "processes", "processes", 20004), every, dims);
  files_.def =
      make_chart(spec("apps.files", "Apps Open Files", "open files", "fds", 20050), every, dims);
  preads_.def =
      make_chart(spec("apps.preads", "Apps Disk Reads", "KiB/s", "disk", 20002), every, dims);
  pwrites_.def =
      make_chart(spec("apps.pwrites", "Apps Disk Writes", "KiB/s", "disk", 20002), every, dims);
}

void ProcessCollector::add_cmdline_pattern(const ProcessMatch& match, size_t group) {
  if (!cmdline_set_) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    cmdline_set_ = std::make_unique<re2::RE2::Set>(options, re2::RE2::UNANCHORED);
  }
  std::string error;
  if (cmdline_set_->Add(match.cmdline, &error) < 0) {
    // The config loader validates these; a pattern that still fails matches nothing.
    TRIB_LOG(collector, error, "[collector:process] group {}: invalid cmdline pattern '{}': {}",
             match.name, match.cmdline, error);
    return;
  }
  group_of_pattern_.push_back(group);
}

int64_t ProcessCollector::FdDirectory::count(bool size_is_count) {
  auto fd = dir.acquire();
  if (!fd.ok()) return -1;
  int64_t count = -1;
  struct stat st {};
  if (!size_is_count) {
    count = list_entries(*fd);
  } else if (::fstat(*fd, &st) == 0) {
    count = static_cast<int64_t>(st.st_size);
  }
  if (count < 0) {
    dir.close();  // gone or stale: the next round opens it again
  } else {
    dir.release();
  }
  return count;
}

std::string ProcessCollector::pid_dir(int pid) const {
  return context_.paths.proc + "/" + std::to_string(pid);
}

std::vector<int> ProcessCollector::list_pids() {
  std::vector<int> pids;
  DIR* dir = ::opendir(context_.paths.proc.c_str());
  if (dir == nullptr) return pids;
  while (dirent* entry = ::readdir(dir)) {
    int pid = 0;
    if (parse_pid(entry->d_name, pid)) pids.push_back(pid);
  }
  ::closedir(dir);
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::vector<bool> ProcessCollector::groups_of(const std::string& comm, const std::string& cmdline) {
  std::vector<bool> member(groups_.size(), false);
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (!groups_[g].comm.empty()) member[g] = comm == groups_[g].comm;
  }
  if (cmdline_set_ && !cmdline.empty()) {
    pattern_hits_.clear();
    cmdline_set_->Match(cmdline, &pattern_hits_);
    for (int hit : pattern_hits_) member[group_of_pattern_[static_cast<size_t>(hit)]] = true;
  }
  return member;
}

std::vector<std::vector<int>> ProcessCollector::match_by_name(const std::vector<int>& all_pids) {
  const bool wants_comm =
      std::any_of(groups_.begin(), groups_.end(), [](const Group& g) { return !g.comm.empty(); });
  const bool wants_cmdline = cmdline_set_ != nullptr;
  std::vector<std::vector<int>> matches(groups_.size());
  std::unordered_map<int, SeenProcess> seen;
  seen.reserve(all_pids.size());
  for (int pid : all_pids) {
    const std::string base = pid_dir(pid);
    SeenProcess process;
    if (wants_comm) {
      auto text = reader_.read(base + "/comm");
      if (!text.ok()) continue;  // exited meanwhile
      process.comm.assign(trim_newline(*text));
    }
    if (wants_cmdline) {
      auto text = reader_.read(base + "/cmdline");
      if (!text.ok()) continue;
      process.cmdline.assign(trim_newline(*text));
      std::replace(process.cmdline.begin(), process.cmdline.end(), '\0', ' ');
    }
    const auto known = seen_.find(pid);
    if (known != seen_.end() && known->second.comm == process.comm &&
        known->second.cmdline == process.cmdline) {
      process.member = std::move(known->second.member);
    } else {
      process.member = groups_of(process.comm, process.cmdline);
    }
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (process.member[g]) matches[g].push_back(pid);
    }
    seen.emplace(pid, std::move(process));
  }
  seen_ = std::move(seen);
  return matches;
}

std::vector<int> ProcessCollector::pids_of(const Group& group,
                                           const std::vector<int>& named_matches) {
  if (group.fixed_pid > 0) return {group.fixed_pid};
  if (!group.pidfile.empty()) {
    auto text = reader_.read(group.pidfile);
    int pid = 0;
    if (text.ok() && parse_pid(trim_newline(*text), pid)) return {pid};
    return {};
  }
  return named_matches;
}

void ProcessCollector::rescan() {
  const bool needs_list = std::any_of(groups_.begin(), groups_.end(), [](const Group& g) {
    return !g.comm.empty() || g.by_cmdline;
  });
  const auto named =
      needs_list ? match_by_name(list_pids()) : std::vector<std::vector<int>>(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& group = groups_[g];
    std::vector<PidState> next;
    for (int pid : pids_of(group, named[g])) {
      auto known = std::find_if(group.pids.begin(), group.pids.end(),
                                [pid](const PidState& s) { return s.pid == pid; });
      if (known != group.pids.end()) {
        next.push_back(std::move(*known));  // keeps its counters and open files
      } else {
        next.emplace_back(pid, pid_dir(pid));
      }
    }
    group.pids = std::move(next);
  }
}

bool ProcessCollector::read_pid(PidState& state, GroupSample& sample) {
  auto stat_text = reader_.read(state.stat);
  StatFields stat;
  if (!stat_text.ok() || !parse_stat(*stat_text, stat)) return false;     // exited
  if (state.primed && stat.start_time != state.start_time) return false;  // pid reused

  bool primed = state.primed;
  if (primed) {
    if (stat.cpu_ticks < state.cpu_ticks) {
      sample.cpu_went_back = true;
    } else {
      sample.cpu_ticks += static_cast<double>(stat.cpu_ticks - state.cpu_ticks);
    }
  }
  state.cpu_ticks = stat.cpu_ticks;
  state.start_time = stat.start_time;
  state.primed = true;
  sample.threads += static_cast<double>(stat.threads);
  sample.processes += 1;

  auto statm_text = reader_.read(state.statm);
  if (statm_text.ok()) {
    Tokenizer words(*statm_text);
    uint64_t size = 0, resident = 0, shared = 0;
    if (parse_u64(words.next_word(), size) && parse_u64(words.next_word(), resident) &&
        parse_u64(words.next_word(), shared)) {
      sample.mem_pages += static_cast<double>(resident >= shared ? resident - shared : 0);
    }
  }

  int64_t fds = state.fds.count(fd_size_is_count_);
  if (fds >= 0) {
    sample.files += static_cast<double>(fds);
    ++sample.files_known;
  }

  auto io_text = reader_.read(state.io);
  uint64_t read_bytes = 0, write_bytes = 0;
  if (io_text.ok() && parse_io(*io_text, read_bytes, write_bytes)) {
    if (primed && state.io_known) {
      if (read_bytes < state.read_bytes || write_bytes < state.write_bytes) {
        sample.io_went_back = true;
      } else {
        sample.read_bytes += static_cast<double>(read_bytes - state.read_bytes);
        sample.write_bytes += static_cast<double>(write_bytes - state.write_bytes);
      }
    }
    ++sample.io_readable;
    state.read_bytes = read_bytes;
    state.write_bytes = write_bytes;
    state.io_known = true;
  } else {
    state.io_known = false;
  }
  return true;
}

void ProcessCollector::define_charts(MetricSink& sink) {
  for (EmittedChart* chart : {&cpu_, &mem_, &threads_, &processes_, &files_, &preads_, &pwrites_}) {
    chart->ensure_defined(sink);
    chart->sample.values.assign(groups_.size(), 0.0);
  }
}

Status ProcessCollector::collect(int64_t now_us, MetricSink& sink) {
  if (now_us >= next_rescan_us_) {
    rescan();
    next_rescan_us_ = now_us + kRescanIntervalUs;
  }
  double elapsed = elapsed_.advance(now_us);
  int64_t timestamp = timestamp_of(now_us);
  define_charts(sink);
  double ticks = static_cast<double>(context_.clock_ticks_per_second);
  double page = static_cast<double>(context_.page_size);

  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& group = groups_[g];
    GroupSample s;
    std::erase_if(group.pids, [&](PidState& state) { return !read_pid(state, s); });
    bool has_pids = s.processes > 0;
    mem_.sample.values[g] = s.mem_pages * page / kBytesPerMib;
    threads_.sample.values[g] = s.threads;
    processes_.sample.values[g] = s.processes;
    files_.sample.values[g] = has_pids && s.files_known == 0 ? model::kNoValue : s.files;
    if (elapsed > 0) {
      bool cpu_gap = s.cpu_went_back;
      bool io_gap = s.io_went_back || (has_pids && s.io_readable == 0);
      cpu_.sample.values[g] = cpu_gap ? model::kNoValue : s.cpu_ticks / ticks / elapsed * 100.0;
      preads_.sample.values[g] = io_gap ? model::kNoValue : s.read_bytes / 1024.0 / elapsed;
      pwrites_.sample.values[g] = io_gap ? model::kNoValue : s.write_bytes / 1024.0 / elapsed;
    }
  }
  for (EmittedChart* chart : {&mem_, &threads_, &processes_, &files_}) {
    chart->submit_current(sink, timestamp);
  }
  // The rates need a previous collection: nothing on the first one.
  if (elapsed > 0) {
    for (EmittedChart* chart : {&cpu_, &preads_, &pwrites_}) chart->submit_current(sink, timestamp);
  }
  return ok_status();
}

std::unique_ptr<Collector> make_process(const CollectorContext& context) {
  return std::make_unique<ProcessCollector>(context);
}

}  // namespace trib::collectors

#include "common/collectors/disk_space.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log/log.h"

namespace trib::collectors {
namespace {
constexpr int64_t kRescanIntervalUs = 15'000'000;
constexpr double kBytesPerGib = 1024.0 * 1024.0 * 1024.0;

constexpr std::string_view kDummyFilesystems[] = {
    "autofs",     "proc",  "subfs", "debugfs", "devpts", "fusectl", "mqueue",
    "rpc_pipefs", "sysfs", "devfs", "kernfs",  "ignore", "none"};
constexpr std::string_view kExcludedPaths[] = {"/proc/*",     "/sys/*",  "/var/run/user/*",
                                               "/run/user/*", "/snap/*", "/var/lib/docker/*"};
constexpr std::string_view kExcludedFilesystems[] = {"*gvfs",    "*gluster*", "*s3fs",  "*ipfs",
                                                     "*davfs2",  "*httpfs",   "*sshfs", "*gdfs",
                                                     "*moosefs", "fusectl",   "autofs"};

template <size_t N>
bool any_matches(const std::string_view (&patterns)[N], std::string_view text) {
  return std::any_of(std::begin(patterns), std::end(patterns),
                     [&](std::string_view p) { return matches_pattern(p, text); });
}

// "ro" as one of the comma-separated options.
bool has_read_only_option(std::string_view options) {
  while (!options.empty()) {
    size_t comma = options.find(',');
    if (options.substr(0, comma) == "ro") return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}
}  // namespace

DiskSpaceCollector::DiskSpaceCollector(const CollectorContext& context)
    : mountinfo_path_(context.paths.proc + "/self/mountinfo"),
      update_every_(context.update_every),
      statvfs_(context.statvfs) {}

DiskSpaceCollector::Mount& DiskSpaceCollector::find_or_add(const std::string& mount_point,
                                                           std::string_view source,
                                                           std::string_view fs_type,
                                                           bool read_only) {
  for (auto& mount : mounts_) {
    if (mount->mount_point == mount_point) return *mount;
  }
  auto mount = std::make_unique<Mount>();
  mount->mount_point = mount_point;
  mount->eligible = !any_matches(kDummyFilesystems, fs_type) &&
                    !any_matches(kExcludedPaths, mount_point) &&
                    !any_matches(kExcludedFilesystems, fs_type) && !read_only;
  mount->space.def = make_chart(
      {.id = "disk_space." + fix_chart_id(mount_point),
       .title = "Disk Space Usage for " + mount_point + " [" + std::string(source) + "]",
       .units = "GiB",
       .family = mount_point,
       .context = "disk.space",
       .type = model::ChartType::stacked,
       .priority = 2023,
       .plugin = "diskspace.plugin",
       .module = ""},
      update_every_,
      {dimension("avail"), dimension("used"), dimension("reserved_for_root", "reserved for root")});
  mount->inodes.def = mount->space.def;
  mount->inodes.def.id = "disk_inodes." + fix_chart_id(mount_point);
  mount->inodes.def.title =
      "Disk Files (inodes) Usage for " + mount_point + " [" + std::string(source) + "]";
  mount->inodes.def.units = "inodes";
  mount->inodes.def.context = "disk.inodes";
  mount->inodes.def.priority = 2024;
  mounts_.push_back(std::move(mount));
  return *mounts_.back();
}

Status DiskSpaceCollector::rescan_mounts() {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(mountinfo_path_));
  for (auto& mount : mounts_) mount->seen = false;
  Tokenizer lines(text);
  while (!lines.done()) {
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    Tokenizer words(lines.next_line());
    for (int i = 0; i < 4; ++i) words.next_word();
    std::string_view mount_point = words.next_word();
    std::string_view options = words.next_word();
    if (mount_point.empty()) continue;
    std::string_view word;
    while (!(word = words.next_word()).empty() && word != "-") {
    }
    std::string_view fs_type = words.next_word();
    std::string source = decode_octal_escapes(words.next_word());
    std::string_view super_options = words.next_word();
    bool read_only = has_read_only_option(options) || has_read_only_option(super_options);
    Mount& mount = find_or_add(decode_octal_escapes(mount_point), source, fs_type, read_only);
    mount.seen = true;
  }
  std::erase_if(mounts_, [](const auto& mount) { return !mount->seen; });
  return ok_status();
}

void DiskSpaceCollector::collect_inodes(Mount& mount, const struct statvfs& st, int64_t timestamp,
                                        MetricSink& sink) {
  // As for blocks: free for root minus available to users is what root keeps.
  uint64_t avail = st.f_favail;
  uint64_t reserved = st.f_ffree >= avail ? st.f_ffree - avail : 0;
  uint64_t used = st.f_files >= st.f_ffree ? st.f_files - st.f_ffree : 0;
  if (!mount.inodes.defined && avail == 0 && reserved == 0 && used == 0) return;
  mount.inodes.ensure_defined(sink);
  mount.inodes.submit(
      sink, timestamp,
      {static_cast<double>(avail), static_cast<double>(used), static_cast<double>(reserved)});
}

void DiskSpaceCollector::collect_mount(Mount& mount, int64_t timestamp, MetricSink& sink) {
  struct statvfs st {};
  if (statvfs_(mount.mount_point.c_str(), &st) != 0) {
    if (!mount.error_logged) {
      TRIB_LOG(collector, warn, "[collector:disk_space] cannot statvfs {}: {}", mount.mount_point,
               std::strerror(errno));
      mount.error_logged = true;
    }
    return;
  }
  mount.error_logged = false;
  // coreutils' get_fs_usage() logic, as Netdata uses it.
  double block = static_cast<double>(st.f_frsize != 0 ? st.f_frsize : st.f_bsize);
  uint64_t avail = st.f_bavail;
  uint64_t free_for_root = st.f_bfree;
  uint64_t reserved = free_for_root >= avail ? free_for_root - avail : 0;
  uint64_t used =
      st.f_blocks >= free_for_root ? st.f_blocks - free_for_root : free_for_root - st.f_blocks;
  if (mount.space.defined || avail != 0 || reserved != 0 || used != 0) {
    mount.space.ensure_defined(sink);
    auto gib = [block](uint64_t blocks) {
      return static_cast<double>(blocks) * block / kBytesPerGib;
    };
    mount.space.submit(sink, timestamp, {gib(avail), gib(used), gib(reserved)});
  }
  collect_inodes(mount, st, timestamp, sink);
}

Status DiskSpaceCollector::collect(int64_t now_us, MetricSink& sink) {
  if (now_us >= next_rescan_us_) {
    TRIB_TRY(rescan_mounts());
    next_rescan_us_ = now_us + kRescanIntervalUs;
  }
  int64_t timestamp = timestamp_of(now_us);
  for (auto& mount : mounts_) {
    if (mount->eligible) collect_mount(*mount, timestamp, sink);
  }
  return ok_status();
}

std::unique_ptr<Collector> make_disk_space(const CollectorContext& context) {
  return std::make_unique<DiskSpaceCollector>(context);
}

}  // namespace trib::collectors

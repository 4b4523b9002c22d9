#pragma once
// disk_space: space usage of mounted filesystems (statvfs over /proc/self/mountinfo), as
// Netdata 1.37's diskspace.plugin charts it: disk_space.<mount point id> with avail, used and
// reserved_for_root in GiB, and disk_inodes.<mount point id> with the same dimensions in inodes
// (from the same statvfs call; only for filesystems that count inodes, as Netdata's "auto").
//
// Which mounts get a chart (Netdata's defaults):
//  - pseudo filesystems are skipped (types autofs, proc, subfs, debugfs, devpts, fusectl,
//    mqueue, rpc_pipefs, sysfs, devfs, kernfs, ignore, none);
//  - mount points matching /proc/* /sys/* /var/run/user/* /run/user/* /snap/* /var/lib/docker/*
//    and filesystems matching *gvfs *gluster* *s3fs *ipfs *davfs2 *httpfs *sshfs *gdfs
//    *moosefs fusectl autofs are skipped;
//  - read-only mounts are skipped; a mount point listed twice is charted once;
//  - a chart appears once its filesystem reports a non-zero size ("auto").
// mountinfo is read again every 15 seconds for new or removed mounts (Netdata's "check for new
// mount points every").

#include <memory>
#include <string>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class DiskSpaceCollector final : public Collector {
 public:
  explicit DiskSpaceCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  struct Mount {
    std::string mount_point;
    bool eligible = false;
    bool seen = false;
    bool error_logged = false;
    EmittedChart space, inodes;
  };

  void collect_inodes(Mount& mount, const struct statvfs& st, int64_t timestamp, MetricSink& sink);
  Status rescan_mounts();
  Mount& find_or_add(const std::string& mount_point, std::string_view source,
                     std::string_view fs_type, bool read_only);
  void collect_mount(Mount& mount, int64_t timestamp, MetricSink& sink);

  std::string mountinfo_path_;
  int32_t update_every_;
  StatvfsFunction statvfs_;
  FileReader reader_;
  std::vector<std::unique_ptr<Mount>> mounts_;
  int64_t next_rescan_us_ = 0;
};

std::unique_ptr<Collector> make_disk_space(const CollectorContext& context);

}  // namespace trib::collectors

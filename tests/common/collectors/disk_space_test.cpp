// disk_space over tests/fixtures/proc/basic with a fake statvfs: which mounts are charted, the
// values in GiB, statvfs failures, and new mounts found at the 15-second rescan.

#include <cerrno>
#include <map>

#include "common/collectors/chart_util.h"
#include "common/collectors/disk_space.h"
#include "tests/common/collectors/collector_test_support.h"

namespace trib::collectors::test {
namespace {

struct FakeFs {
  uint64_t frsize, bsize, blocks, bfree, bavail;
  uint64_t files = 0, ffree = 0, favail = 0;  // inodes; 0: a filesystem that does not count them
};

class DiskSpaceTest : public CollectorFixtureTest {
 protected:
  DiskSpaceTest() : CollectorFixtureTest("basic") {
    filesystems_["/"] = {4096, 4096, 262144, 131072, 65536, 1000, 600, 500};
    filesystems_["/dev"] = {0, 1024, 1048576, 1048576, 1048576};
    filesystems_["/dev/shm"] = {4096, 4096, 524288, 524288, 524288};
    filesystems_["/home/with space"] = {4096, 4096, 262144, 262144, 262144};
    filesystems_["/media/empty"] = {4096, 4096, 0, 0, 0};
    filesystems_["/data"] = {4096, 4096, 1048576, 524288, 524288};
  }
  CollectorContext context() {
    CollectorContext c;
    c.paths = steps_.paths();
    c.statvfs = [this](const char* path, struct statvfs* out) {
      statvfs_calls_.push_back(path);
      if (std::string(path) == "/boot") {
        errno = EACCES;
        return -1;
      }
      auto it = filesystems_.find(path);
      if (it == filesystems_.end()) {
        ADD_FAILURE() << "statvfs of an excluded mount: " << path;
        errno = ENOENT;
        return -1;
      }
      *out = {};
      out->f_frsize = it->second.frsize;
      out->f_bsize = it->second.bsize;
      out->f_blocks = it->second.blocks;
      out->f_bfree = it->second.bfree;
      out->f_bavail = it->second.bavail;
      out->f_files = it->second.files;
      out->f_ffree = it->second.ffree;
      out->f_favail = it->second.favail;
      return 0;
    };
    return c;
  }

  std::map<std::string, FakeFs> filesystems_;
  std::vector<std::string> statvfs_calls_;
};

TEST_F(DiskSpaceTest, ChartsRealFilesystemsOnly) {
  DiskSpaceCollector collector(context());
  collect(collector, 1, 0);
  // proc, sysfs, devpts are pseudo; /sys/* and /run/user/* are excluded paths; /mnt/readonly is
  // read-only; /boot fails statvfs; /media/empty has no size.
  EXPECT_EQ(statvfs_calls_, (std::vector<std::string>{"/dev", "/dev/shm", "/", "/boot",
                                                      "/home/with space", "/media/empty"}));
  std::vector<std::string> defined;
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  // Only / counts inodes here.
  EXPECT_EQ(defined,
            (std::vector<std::string>{"disk_space._dev", "disk_space._dev_shm", "disk_space._",
                                      "disk_inodes._", "disk_space._home_with_space"}));
  model::ChartDef inodes;
  inodes.id = "disk_inodes._";
  inodes.title = "Disk Files (inodes) Usage for / [/dev/vda]";
  inodes.units = "inodes";
  inodes.family = "/";
  inodes.context = "disk.inodes";
  inodes.chart_type = model::ChartType::stacked;
  inodes.priority = 2024;
  inodes.plugin = "diskspace.plugin";
  inodes.dimensions = {dimension("avail"), dimension("used"),
                       dimension("reserved_for_root", "reserved for root")};
  EXPECT_EQ(*sink_.chart("disk_inodes._"), inodes);
  expect_values(sink_.values("disk_inodes._"), {500, 400, 100}, "/ inodes");

  model::ChartDef root;
  root.id = "disk_space._";
  root.title = "Disk Space Usage for / [/dev/vda]";
  root.units = "GiB";
  root.family = "/";
  root.context = "disk.space";
  root.chart_type = model::ChartType::stacked;
  root.priority = 2023;
  root.plugin = "diskspace.plugin";
  root.dimensions = {dimension("avail"), dimension("used"),
                     dimension("reserved_for_root", "reserved for root")};
  EXPECT_EQ(*sink_.chart("disk_space._"), root);
  expect_values(sink_.values("disk_space._"), {0.25, 0.5, 0.25}, "/");
  expect_values(sink_.values("disk_space._dev"), {1, 0, 0}, "/dev (f_bsize when no f_frsize)");
  expect_values(sink_.values("disk_space._dev_shm"), {2, 0, 0}, "/dev/shm");
  expect_values(sink_.values("disk_space._home_with_space"), {1, 0, 0}, "octal-escaped path");
  EXPECT_EQ(sink_.chart("disk_space._home_with_space")->family, "/home/with space");

  filesystems_["/"].bavail = 0;
  collect(collector, 2, 1);  // step 2 adds /data, but mountinfo is re-read only every 15 s
  EXPECT_TRUE(sink_.defines.empty());
  expect_values(sink_.values("disk_space._"), {0, 0.5, 0.5}, "/ step2");
  EXPECT_FALSE(sink_.submitted("disk_space._data"));

  collect(collector, 2, 15);
  EXPECT_TRUE(sink_.defined_now("disk_space._data"));
  expect_values(sink_.values("disk_space._data"), {2, 2, 0}, "/data");
}

}  // namespace
}  // namespace trib::collectors::test

// Fuzzes the collectors that parse small kernel files whole (proc.net_stat_conntrack, ipc,
// sys.block_zram) with arbitrary contents: each input becomes every file they read in a fake
// tree, collected twice so that rates and kept state see a second read. A parser must reject
// or skip what it does not understand, never read past its buffer or divide by zero.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "common/collectors/proc_net_stat_conntrack.h"
#include "common/collectors/proc_sysvipc.h"
#include "common/collectors/sys_block_zram.h"

namespace {
using namespace trib::collectors;
namespace fs = std::filesystem;

class NullSink final : public MetricSink {
 public:
  void define(const trib::model::ChartDef&) override {}
  void submit(const std::string&, const trib::model::ChartSample& sample) override {
    (void)sample.values.size();
  }
};

const fs::path& tree() {
  static const fs::path root = [] {
    fs::path dir =
        fs::temp_directory_path() / ("trib_fuzz_kernel_files_" + std::to_string(getpid()));
    fs::create_directories(dir / "proc/net/stat");
    fs::create_directories(dir / "proc/sysvipc");
    fs::create_directories(dir / "sys/block/zram0");
    // The device list is fixed, so that the zram collector reads the fuzzed mm_stat.
    std::ofstream(dir / "proc/devices") << "Block devices:\n252 zram\n";
    std::ofstream(dir / "sys/block/zram0/dev") << "252:0\n";
    return dir;
  }();
  return root;
}

void write(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), text.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const fs::path& root = tree();
  // Registered once the tree exists, so it runs before the tree's path is destroyed.
  static const bool cleanup = std::atexit([] { fs::remove_all(tree()); }) == 0;
  (void)cleanup;
  for (const char* file : {"proc/net/stat/nf_conntrack", "proc/sysvipc/sem", "proc/sysvipc/shm",
                           "sys/block/zram0/mm_stat"}) {
    write(root / file, text);
  }
  CollectorContext context;
  context.paths = {.proc = (root / "proc").string(), .sys = (root / "sys").string()};
  ProcNetStatConntrackCollector conntrack(context);
  ProcSysvipcCollector ipc(context);
  SysBlockZramCollector zram(context);
  NullSink sink;
  for (int64_t second = 0; second < 2; ++second) {
    const int64_t now_us = (1'700'000'000 + second) * 1'000'000;
    (void)conntrack.collect(now_us, sink);
    (void)ipc.collect(now_us, sink);
    (void)zram.collect(now_us, sink);
  }
  return 0;
}

#pragma once
// ipc: System V IPC use as Netdata 1.37's ipc module charts it: system.ipc_semaphores,
// system.ipc_semaphore_arrays, system.shared_memory_segments, system.shared_memory_bytes
// (gauges, from the first read).
//
// Netdata asks semctl(SEM_INFO) for the semaphores; this collector reads the same two figures
// from /proc/sysvipc/sem (one line per array in use; semaphores: the sum of nsems), so that a
// fake /proc can test it. Shared memory comes from /proc/sysvipc/shm, as in Netdata: one line
// per segment, bytes the sum of `size`. Netdata's message queue charts appear only with queues
// in use, one dimension per queue; they are not collected here.

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcSysvipcCollector final : public Collector {
 public:
  explicit ProcSysvipcCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  // Totals of one /proc/sysvipc table: its rows, and the sum of the column named `column`.
  struct Totals {
    uint64_t rows = 0;
    uint64_t sum = 0;
  };
  Result<Totals> read_table(const std::string& path, std::string_view column);

  std::string sem_path_;
  std::string shm_path_;
  FileReader reader_;
  EmittedChart semaphores_;
  EmittedChart semaphore_arrays_;
  EmittedChart shm_segments_;
  EmittedChart shm_bytes_;
};

std::unique_ptr<Collector> make_proc_sysvipc(const CollectorContext& context);

}  // namespace trib::collectors

#include "common/collectors/proc_sysvipc.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "ipc";

model::ChartDef ipc_chart(std::string id, std::string title, std::string units, std::string family,
                          model::ChartType type, int32_t priority, std::string dimension_id,
                          int32_t update_every) {
  return make_chart(proc_chart(kModule, std::move(id), std::move(title), std::move(units),
                               std::move(family), priority, type),
                    update_every, {dimension(std::move(dimension_id))});
}
}  // namespace

ProcSysvipcCollector::ProcSysvipcCollector(const CollectorContext& context)
    : sem_path_(context.paths.proc + "/sysvipc/sem"),
      shm_path_(context.paths.proc + "/sysvipc/shm") {
  const int32_t every = context.update_every;
  constexpr auto kArea = model::ChartType::area;
  constexpr auto kStacked = model::ChartType::stacked;
  semaphores_.def = ipc_chart("system.ipc_semaphores", "IPC Semaphores", "semaphores",
                              "ipc semaphores", kArea, 1203, "semaphores", every);
  semaphore_arrays_.def = ipc_chart("system.ipc_semaphore_arrays", "IPC Semaphore Arrays", "arrays",
                                    "ipc semaphores", kArea, 1204, "arrays", every);
  shm_segments_.def =
      ipc_chart("system.shared_memory_segments", "IPC Shared Memory Number of Segments", "segments",
                "ipc shared memory", kStacked, 1205, "segments", every);
  shm_bytes_.def = ipc_chart("system.shared_memory_bytes", "IPC Shared Memory Used Bytes", "bytes",
                             "ipc shared memory", kStacked, 1206, "bytes", every);
}

Result<ProcSysvipcCollector::Totals> ProcSysvipcCollector::read_table(const std::string& path,
                                                                      std::string_view column) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path));
  Tokenizer lines(text);
  // The header names the columns; rows follow, one per array or segment.
  Tokenizer header(lines.next_line());
  size_t index = 0;
  for (std::string_view name = header.next_word(); name != column; name = header.next_word()) {
    if (name.empty()) {
      return Error(Errc::parse_error, path + ": no '" + std::string(column) + "' column");
    }
    ++index;
  }
  Totals totals;
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    std::string_view word = words.next_word();
    if (word.empty()) continue;
    for (size_t k = 0; k < index; ++k) word = words.next_word();
    uint64_t value = 0;
    if (!parse_u64(word, value)) {
      return Error(Errc::parse_error, path + ": '" + std::string(word) + "' in column '" +
                                          std::string(column) + "' is not a number");
    }
    ++totals.rows;
    totals.sum += value;
  }
  return totals;
}

Status ProcSysvipcCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(const Totals sem, read_table(sem_path_, "nsems"));
  TRIB_ASSIGN_OR_RETURN(const Totals shm, read_table(shm_path_, "size"));
  const int64_t timestamp = timestamp_of(now_us);
  auto emit = [&](EmittedChart& chart, uint64_t value) {
    chart.ensure_defined(sink);
    chart.submit(sink, timestamp, {static_cast<double>(value)});
  };
  emit(semaphores_, sem.sum);
  emit(semaphore_arrays_, sem.rows);
  emit(shm_segments_, shm.rows);
  emit(shm_bytes_, shm.sum);
  return ok_status();
}

std::unique_ptr<Collector> make_proc_sysvipc(const CollectorContext& context) {
  return std::make_unique<ProcSysvipcCollector>(context);
}

}  // namespace trib::collectors

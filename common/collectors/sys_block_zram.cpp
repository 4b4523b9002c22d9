#include "common/collectors/sys_block_zram.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/log/log.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/sys/block/zram";
constexpr double kMiB = 1024.0 * 1024.0;

// The major number /proc/devices gives the zram driver, or -1.
int64_t zram_major(std::string_view devices) {
  Tokenizer lines(devices);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    const std::string_view number = words.next_word();
    int64_t major = 0;
    if (words.next_word() == "zram" && parse_i64(number, major) && major > 0) return major;
  }
  return -1;
}

model::ChartDef zram_chart(const std::string& device, std::string_view name, std::string title,
                           std::string units, model::ChartType type, int32_t priority,
                           int32_t update_every, std::vector<model::DimensionDef> dimensions) {
  ChartSpec spec = {.id = "mem." + std::string(name) + "." + device,
                    .title = std::move(title),
                    .units = std::move(units),
                    .family = device,
                    .context = "mem." + std::string(name),
                    .type = type,
                    .priority = priority,
                    .module = kModule};
  return make_chart(std::move(spec), update_every, std::move(dimensions));
}
}  // namespace

SysBlockZramCollector::SysBlockZramCollector(const CollectorContext& context)
    : paths_(context.paths), update_every_(context.update_every) {}

void SysBlockZramCollector::discover() {
  discovered_ = true;
  auto devices = reader_.read(paths_.proc + "/devices");
  if (!devices.ok()) return;
  const int64_t major = zram_major(*devices);
  if (major < 0) return;
  std::error_code error;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(paths_.sys + "/block", error)) {
    const std::string name = entry.path().filename().string();
    auto dev = reader_.read(entry.path().string() + "/dev");  // "major:minor"
    if (!dev.ok()) continue;
    int64_t device_major = 0;
    const std::string_view text = Tokenizer(*dev).next_word();
    if (parse_i64(text.substr(0, text.find(':')), device_major) && device_major == major) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  constexpr auto kArea = model::ChartType::area;
  constexpr auto kLine = model::ChartType::line;
  for (const std::string& name : names) {
    auto device = std::make_unique<Device>();
    device->name = name;
    device->mm_stat = KeptFile(paths_.sys + "/block/" + name + "/mm_stat");
    device->usage.def = zram_chart(name, "zram_usage", "ZRAM Memory Usage", "MiB", kArea, 1600,
                                   update_every_, {dimension("compressed"), dimension("metadata")});
    device->savings.def =
        zram_chart(name, "zram_savings", "ZRAM Memory Savings", "MiB", kArea, 1601, update_every_,
                   {dimension("savings"), dimension("original")});
    device->ratio.def =
        zram_chart(name, "zram_ratio", "ZRAM Compression Ratio (original to compressed)", "ratio",
                   kLine, 1602, update_every_, {dimension("ratio")});
    device->efficiency.def = zram_chart(name, "zram_efficiency", "ZRAM Efficiency", "percentage",
                                        kLine, 1603, update_every_, {dimension("percent")});
    devices_.push_back(std::move(device));
  }
}

bool SysBlockZramCollector::collect_device(Device& device, int64_t timestamp, MetricSink& sink) {
  auto text = reader_.read(device.mm_stat);
  if (!text.ok()) return false;
  // orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages ...
  Tokenizer words(*text);
  uint64_t orig = 0, compr = 0, used = 0;
  if (!parse_u64(words.next_word(), orig) || !parse_u64(words.next_word(), compr) ||
      !parse_u64(words.next_word(), used)) {
    return false;
  }
  const auto signed_mib = [](uint64_t a, uint64_t b) {
    return (static_cast<double>(a) - static_cast<double>(b)) / kMiB;
  };
  const uint64_t ratio = compr == 0 ? 1 : orig * 100 / compr;
  const uint64_t efficiency = used == 0 ? 100 : compr * 1'000'000 / used;
  for (EmittedChart* chart : {&device.usage, &device.savings, &device.ratio, &device.efficiency}) {
    chart->ensure_defined(sink);
  }
  device.usage.submit(sink, timestamp,
                      {static_cast<double>(compr) / kMiB, signed_mib(used, compr)});
  device.savings.submit(sink, timestamp,
                        {signed_mib(compr, orig), static_cast<double>(orig) / kMiB});
  device.ratio.submit(sink, timestamp, {static_cast<double>(ratio) / 100.0});
  device.efficiency.submit(sink, timestamp, {static_cast<double>(efficiency) / 10000.0});
  return true;
}

Status SysBlockZramCollector::collect(int64_t now_us, MetricSink& sink) {
  if (!discovered_) discover();
  const int64_t timestamp = timestamp_of(now_us);
  std::erase_if(devices_, [&](const std::unique_ptr<Device>& device) {
    if (collect_device(*device, timestamp, sink)) return false;
    TRIB_LOG(collector, info, "[collector:sys.block_zram] {} can no longer be read; not charted",
             device->mm_stat.path());
    return true;
  });
  return ok_status();
}

std::unique_ptr<Collector> make_sys_block_zram(const CollectorContext& context) {
  return std::make_unique<SysBlockZramCollector>(context);
}

}  // namespace trib::collectors

#include "common/collectors/proc_pressure.h"

#include <unistd.h>

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/pressure";

struct ResourceSpec {
  const char* file;
  const char* title;   // "CPU" in "CPU some pressure"
  const char* family;  // the dashboard section Netdata puts it in
  int32_t priority;    // that section's base priority
};
constexpr ResourceSpec kResources[] = {
    {"cpu", "CPU", "cpu", 100}, {"memory", "Memory", "ram", 200}, {"io", "I/O", "disk", 150}};
constexpr const char* kKinds[] = {"some", "full"};

// "some avg10=0.50 avg60=0.20 avg300=0.05 total=123456": the value after `key=`.
std::string_view field(Tokenizer& words, std::string_view key) {
  std::string_view word = words.next_word();
  if (!word.starts_with(key) || word.size() <= key.size() || word[key.size()] != '=') return {};
  return word.substr(key.size() + 1);
}
}  // namespace

ProcPressureCollector::ProcPressureCollector(const CollectorContext& context) {
  for (size_t r = 0; r < resources_.size(); ++r) {
    const ResourceSpec& spec = kResources[r];
    Resource& resource = resources_[r];
    resource.path = context.paths.proc + "/pressure/" + spec.file;
    resource.present = ::access(resource.path.c_str(), R_OK) == 0;
    for (size_t k = 0; k < 2; ++k) {
      std::string kind = kKinds[k];
      std::string id = std::string("system.") + spec.file + "_" + kind + "_pressure";
      std::string title = std::string(spec.title) + " " + kind + " pressure";
      int32_t offset = k == 0 ? 40 : 50;
      resource.kinds[k].share.def =
          make_chart({.id = id,
                      .title = title,
                      .units = "percentage",
                      .family = spec.family,
                      .context = id,
                      .priority = spec.priority + offset,
                      .module = kModule},
                     context.update_every,
                     {dimension(kind + " 10"), dimension(kind + " 60"), dimension(kind + " 300")});
      resource.kinds[k].stall.def = make_chart({.id = id + "_stall_time",
                                                .title = title + " stall time",
                                                .units = "ms",
                                                .family = spec.family,
                                                .context = id + "_stall_time",
                                                .priority = spec.priority + offset + 5,
                                                .module = kModule},
                                               context.update_every, {dimension("time")});
    }
  }
}

void ProcPressureCollector::collect_resource(Resource& resource, std::string_view text,
                                             double elapsed, int64_t timestamp, MetricSink& sink) {
  Tokenizer lines(text);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    std::string_view kind_name = words.next_word();
    size_t k = kind_name == "some" ? 0 : kind_name == "full" ? 1 : 2;
    if (k == 2) continue;
    double avg10 = 0, avg60 = 0, avg300 = 0;
    uint64_t total_us = 0;
    if (!parse_double(field(words, "avg10"), avg10) ||
        !parse_double(field(words, "avg60"), avg60) ||
        !parse_double(field(words, "avg300"), avg300) ||
        !parse_u64(field(words, "total"), total_us)) {
      continue;
    }
    Kind& kind = resource.kinds[k];
    kind.share.ensure_defined(sink);
    kind.share.submit(sink, timestamp, {avg10, avg60, avg300});
    // total counts microseconds of stall; Netdata charts its rate in milliseconds.
    bool primed = kind.total.primed();
    double stall_ms = kind.total.update(total_us, elapsed) / 1000.0;
    kind.stall.ensure_defined(sink);
    if (primed) kind.stall.submit(sink, timestamp, {stall_ms});
  }
}

Status ProcPressureCollector::collect(int64_t now_us, MetricSink& sink) {
  double elapsed = elapsed_.advance(now_us);
  int64_t timestamp = timestamp_of(now_us);
  for (Resource& resource : resources_) {
    if (!resource.present) continue;
    TRIB_ASSIGN_OR_RETURN(std::string_view text, resource.reader.read(resource.path));
    collect_resource(resource, text, elapsed, timestamp, sink);
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_pressure(const CollectorContext& context) {
  return std::make_unique<ProcPressureCollector>(context);
}

}  // namespace trib::collectors

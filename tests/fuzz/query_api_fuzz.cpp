// Fuzzes the v1 API router, the /api/v1/data parameter parser, window resolution, grouping
// and formatters, and /api/v1/allmetrics (parameters, every format, the scrape history kept
// across inputs) with untrusted paths and query strings. Input: "<path>?<query>".

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/http/url.h"
#include "parent/query/api.h"
#include "parent/store/host_registry.h"

namespace {

constexpr int64_t kNow = 1'700'000'000;

trib::parent::store::HostRegistry& registry() {
  static trib::parent::store::HostRegistry* r = [] {
    trib::model::HostInfo own;
    own.hostname = "parent";
    own.machine_guid = "11111111-1111-4111-8111-111111111111";
    auto* reg = new trib::parent::store::HostRegistry(
        own, {trib::parent::store::MemoryMode::ram, 64}, kNow);
    trib::model::ChartDef def;
    def.id = "system.cpu";
    def.update_every = 2;
    def.dimensions = {{"user", "user"}, {"system", "sys"}};
    (void)reg->localhost().define_chart(def);
    for (int64_t t = kNow - 100; t <= kNow; t += 2) {
      (void)reg->localhost().store("system.cpu", {t, {static_cast<double>(t % 7), -0.5}});
    }
    return reg;
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t q = input.find('?');
  const std::string_view path = input.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : input.substr(q + 1);
  auto params = trib::http::parse_query(query);
  if (!params.ok()) return 0;
  static trib::parent::query::ScrapeHistory scrapes(16);
  trib::parent::query::ApiServices services;
  services.scrapes = &scrapes;
  services.client = "127.0.0.1";
  auto response = trib::parent::query::handle_api(registry(), path, *params, kNow, services);
  (void)response;
  return 0;
}

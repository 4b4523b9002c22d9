// libFuzzer target: YAML config files through the node tree, the merge and the option schema.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config/schema.h"
#include "common/config/yaml.h"

namespace {

struct Inner {
  std::chrono::seconds interval{30};
  uint64_t size = 1024;
  std::vector<std::string> list;
};

struct Options {
  std::string name;
  bool flag = false;
  uint16_t port = 1;
  Inner inner;
  std::vector<Inner> items;
  std::map<std::string, Inner> named;
};

const trib::config::Schema<Options>& schema() {
  using namespace std::chrono_literals;
  static const auto* s = [] {
    trib::config::Schema<Inner> inner;
    inner.duration("interval", &Inner::interval, 1s, 24h, "d")
        .size("size", &Inner::size, 0, 1ULL << 40, "s")
        .text_list("list", &Inner::list, "l");
    auto* o = new trib::config::Schema<Options>;
    o->text("name", &Options::name, "n")
        .flag("flag", &Options::flag, "f")
        .integer("port", &Options::port, 1, 65535, "p")
        .object("inner", &Options::inner, inner, "i")
        .object_list("items", &Options::items, inner, "l", "items: []")
        .object_map("named", &Options::named, inner, {}, "m", "named: {}");
    return o;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto node = trib::config::parse_yaml(text, "fuzz.yaml");
  if (!node.ok()) return 0;
  trib::config::Node merged = *node;
  trib::config::merge_into(merged, *node);
  (void)schema().parse(merged);
  return 0;
}

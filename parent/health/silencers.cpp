#include "parent/health/silencers.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/atomic_file.h"

namespace trib::parent::health {

namespace {

using nlohmann::ordered_json;

constexpr std::string_view kTypeNone = "None";
constexpr std::string_view kTypeSilence = "SILENCE";
constexpr std::string_view kTypeDisable = "DISABLE";

std::string_view type_name(Silencers::Type type) {
  switch (type) {
    case Silencers::Type::silence:
      return kTypeSilence;
    case Silencers::Type::disable:
      return kTypeDisable;
    case Silencers::Type::none:
      break;
  }
  return kTypeNone;
}

// The selector's patterns by their key in the file (Netdata's names).
template <typename SelectorT>
auto selector_fields(SelectorT& s) {
  return std::array{std::pair{"alarm", &s.alarms}, std::pair{"chart", &s.charts},
                    std::pair{"context", &s.contexts}, std::pair{"host", &s.hosts},
                    std::pair{"families", &s.families}};
}

Result<Silencers::Selector> selector_from_json(const ordered_json& j, size_t index) {
  if (!j.is_object()) {
    return Error(Errc::parse_error, fmt::format("silencers[{}] is not an object", index));
  }
  Silencers::Selector selector;
  auto fields = selector_fields(selector);
  for (const auto& [key, value] : j.items()) {
    auto field = std::find_if(fields.begin(), fields.end(),
                              [&key = key](const auto& f) { return key == f.first; });
    if (field == fields.end()) {
      return Error(Errc::parse_error,
                   fmt::format("silencers[{}]: unknown key '{}' (valid: alarm, chart, context, "
                               "host, families)",
                               index, key));
    }
    if (!value.is_string()) {
      return Error(Errc::parse_error,
                   fmt::format("silencers[{}].{} must be a string (a simple pattern)", index, key));
    }
    *field->second = config::SimplePattern(value.get<std::string>());
  }
  return selector;
}

}  // namespace

ordered_json silencers_to_json(const Silencers& silencers) {
  ordered_json out;
  out["all"] = silencers.all;
  out["type"] = type_name(silencers.type);
  ordered_json list = ordered_json::array();
  for (const auto& selector : silencers.selectors) {
    ordered_json one = ordered_json::object();
    for (const auto& [key, pattern] : selector_fields(selector)) {
      if (!pattern->text().empty()) one[key] = pattern->text();
    }
    list.push_back(std::move(one));
  }
  out["silencers"] = std::move(list);
  return out;
}

Result<Silencers> silencers_from_json(std::string_view text) {
  const ordered_json j = ordered_json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error(Errc::parse_error, "not a JSON object");
  Silencers silencers;
  if (const auto all = j.find("all"); all != j.end()) {
    if (!all->is_boolean()) return Error(Errc::parse_error, "'all' must be true or false");
    silencers.all = all->get<bool>();
  }
  if (const auto type = j.find("type"); type != j.end()) {
    const std::string name = type->is_string() ? type->get<std::string>() : "";
    if (name == kTypeSilence) {
      silencers.type = Silencers::Type::silence;
    } else if (name == kTypeDisable) {
      silencers.type = Silencers::Type::disable;
    } else if (name != kTypeNone) {
      return Error(Errc::parse_error, "'type' must be \"None\", \"SILENCE\" or \"DISABLE\"");
    }
  }
  if (const auto list = j.find("silencers"); list != j.end()) {
    if (!list->is_array()) return Error(Errc::parse_error, "'silencers' must be an array");
    for (size_t i = 0; i < list->size(); ++i) {
      TRIB_ASSIGN_OR_RETURN(Silencers::Selector selector, selector_from_json((*list)[i], i));
      silencers.selectors.push_back(std::move(selector));
    }
  }
  return silencers;
}

Result<Silencers> load_silencers(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return Silencers{};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(std::error_code(errno, std::generic_category()),
                 fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto silencers = silencers_from_json(text.str());
  if (!silencers.ok()) {
    return Error(silencers.error().code, fmt::format("{}: {}", path, silencers.error().message));
  }
  return silencers;
}

Status save_silencers(const std::string& path, const Silencers& silencers) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    return Error(ec, fmt::format("cannot create the directory of {}: {}", path, ec.message()));
  }
  // A selector from a query string may not be UTF-8: its bytes are replaced, never thrown.
  const std::string text =
      silencers_to_json(silencers).dump(4, ' ', false, ordered_json::error_handler_t::replace);
  return write_file_atomically(path, text + "\n");
}

}  // namespace trib::parent::health

#pragma once
// Options declared once. A component describes each of its options a single time (key, type,
// bounds, doc, reload class); the default is the value the options struct is initialised with.
// That one declaration then
//   - parses a YAML tree into the struct, rejecting unknown keys with the list of valid ones and
//     reporting type/bound errors with file:line and the key path,
//   - writes the commented sample config (conf/*.yaml is generated from it),
//   - names the environment overrides (TRIBUTARY_ + the path in upper snake case),
//   - tells which options changed between two values and whether that needs a restart.
//
//   config::Schema<LogOptions> log;
//   log.choice("level", &LogOptions::level, {"debug", "info"}, "Minimum level logged.")
//      .text("file", &LogOptions::file, "Log file; empty: stderr.", Reload::restart);
//   config::Schema<AgentOptions> agent;
//   agent.object("log", &AgentOptions::log, log, "Logging.");
//
// A Schema is an immutable value after it is built; use it from any thread.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/base/result.h"
#include "common/config/units.h"
#include "common/config/yaml.h"

namespace trib::config {

// Whether a running process can apply a change of the option (live) or must be restarted.
enum class Reload { live, restart };

using Path = std::vector<std::string>;

// One option whose value differs between two option structs.
struct Change {
  std::string path;  // dotted, e.g. "log.level"; for lists and maps the whole option
  Reload reload;
  bool operator==(const Change&) const = default;
};

// A scalar option that an environment variable may set.
struct EnvOption {
  std::string variable;  // TRIBUTARY_LOG_LEVEL
  Path path;             // {"log", "level"}
};

std::string dotted(const Path& path);
std::string env_variable_name(const Path& path);  // TRIBUTARY_ + upper snake case

// Builds a mapping tree holding the scalar values found in `lookup` for `options`, to be merged
// over the file tree. `lookup` returns nullptr when a variable is not set.
Node environment_overlay(const std::vector<EnvOption>& options,
                         const std::function<const std::string*(const std::string&)>& lookup);

// Sets `path` (creating mappings on the way) in `root` to a scalar.
void set_path(Node& root, const Path& path, std::string value, const Origin& origin);

namespace detail {
Path child(const Path& path, const std::string& key);
Error value_error(const Node& node, const Path& path, std::string_view what);
Status expect_scalar(const Node& node, const Path& path);
Result<bool> parse_bool(const Node& node, const Path& path);
Result<int64_t> parse_integer(const Node& node, const Path& path, int64_t min, int64_t max);
Result<uint64_t> parse_bounded_size(const Node& node, const Path& path, uint64_t min, uint64_t max);
Result<std::chrono::milliseconds> parse_bounded_duration(const Node& node, const Path& path,
                                                         std::chrono::milliseconds min,
                                                         std::chrono::milliseconds max,
                                                         std::chrono::milliseconds unit);
Status check_choice(const Node& node, const Path& path, const std::vector<std::string>& allowed);
Result<std::vector<std::string>> parse_text_list(const Node& node, const Path& path);
Result<uint64_t> parse_rate(const Node& node, const Path& path);
Result<double> parse_real(const Node& node, const Path& path, double min, double max);
Result<std::map<std::string, std::string>> parse_text_map(const Node& node, const Path& path);
std::string format_real(double value);
Error unknown_key(const MapEntry& entry, const Path& path, const std::vector<std::string>& valid);
Status expect_mapping(const Node& node, const Path& path);
Status expect_sequence(const Node& node, const Path& path);

std::string yaml_quote(std::string_view text);
std::string bool_text(bool b);
std::string join(const std::vector<std::string>& items, std::string_view sep);
// `text` as comment lines at `indent`, each line's text shifted right by `inner` spaces after the
// '#', word-wrapped to 100 columns.
void write_comment(std::string& out, int indent, std::string_view text, int inner = 0);
void write_line(std::string& out, int indent, std::string_view text);
}  // namespace detail

template <class T>
class Schema {
 public:
  Schema& flag(std::string key, bool T::*member, std::string doc, Reload reload = Reload::live) {
    Field f = scalar_field(std::move(key), std::move(doc), reload, member,
                           [](bool v) { return detail::bool_text(v); });
    f.parse = [member](const Node& n, T& out, const Path& p) -> Status {
      TRIB_ASSIGN_OR_RETURN(out.*member, detail::parse_bool(n, p));
      return ok_status();
    };
    return add(std::move(f));
  }

  template <class I>
  Schema& integer(std::string key, I T::*member, int64_t min, int64_t max, std::string doc,
                  Reload reload = Reload::live) {
    static_assert(std::is_integral_v<I>);
    Field f = scalar_field(std::move(key), std::move(doc), reload, member,
                           [](I v) { return std::to_string(v); });
    f.parse = [member, min, max](const Node& n, T& out, const Path& p) -> Status {
      TRIB_ASSIGN_OR_RETURN(const int64_t v, detail::parse_integer(n, p, min, max));
      out.*member = static_cast<I>(v);
      return ok_status();
    };
    f.bounds = fmt_bounds(std::to_string(min), std::to_string(max));
    return add(std::move(f));
  }

  template <class Rep, class Period>
  Schema& duration(std::string key, std::chrono::duration<Rep, Period> T::*member,
                   std::chrono::milliseconds min, std::chrono::milliseconds max, std::string doc,
                   Reload reload = Reload::live) {
    using D = std::chrono::duration<Rep, Period>;
    Field f = scalar_field(std::move(key), std::move(doc), reload, member, [](D v) {
      return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(v));
    });
    f.parse = [member, min, max](const Node& n, T& out, const Path& p) -> Status {
      const auto unit = std::chrono::duration_cast<std::chrono::milliseconds>(D(1));
      TRIB_ASSIGN_OR_RETURN(const auto v, detail::parse_bounded_duration(n, p, min, max, unit));
      out.*member = std::chrono::duration_cast<D>(v);
      return ok_status();
    };
    f.bounds = fmt_bounds(format_duration(min), format_duration(max));
    return add(std::move(f));
  }

  template <class I>
  Schema& size(std::string key, I T::*member, uint64_t min, uint64_t max, std::string doc,
               Reload reload = Reload::live) {
    static_assert(std::is_unsigned_v<I>);
    Field f = scalar_field(std::move(key), std::move(doc), reload, member,
                           [](I v) { return format_size(v); });
    const uint64_t top = std::min<uint64_t>(max, std::numeric_limits<I>::max());
    f.parse = [member, min, top](const Node& n, T& out, const Path& p) -> Status {
      TRIB_ASSIGN_OR_RETURN(const uint64_t v, detail::parse_bounded_size(n, p, min, top));
      out.*member = static_cast<I>(v);
      return ok_status();
    };
    f.bounds = fmt_bounds(format_size(min), format_size(top));
    return add(std::move(f));
  }

  Schema& text(std::string key, std::string T::*member, std::string doc,
               Reload reload = Reload::live) {
    Field f = scalar_field(std::move(key), std::move(doc), reload, member,
                           [](const std::string& v) { return detail::yaml_quote(v); });
    f.parse = [member](const Node& n, T& out, const Path& p) -> Status {
      TRIB_TRY(detail::expect_scalar(n, p));
      out.*member = n.scalar;
      return ok_status();
    };
    return add(std::move(f));
  }

  // A string restricted to `allowed`.
  Schema& choice(std::string key, std::string T::*member, std::vector<std::string> allowed,
                 std::string doc, Reload reload = Reload::live) {
    Field f = scalar_field(std::move(key), std::move(doc), reload, member,
                           [](const std::string& v) { return detail::yaml_quote(v); });
    f.bounds = "one of: " + detail::join(allowed, ", ");
    f.parse = [member, allowed = std::move(allowed)](const Node& n, T& out,
                                                     const Path& p) -> Status {
      TRIB_TRY(detail::check_choice(n, p, allowed));
      out.*member = n.scalar;
      return ok_status();
    };
    return add(std::move(f));
  }

  // A list of strings; from the environment, a comma-separated value.
  Schema& text_list(std::string key, std::vector<std::string> T::*member, std::string doc,
                    Reload reload = Reload::live) {
    Field f = scalar_field(std::move(key), std::move(doc), reload, member,
                           [](const std::vector<std::string>& v) {
                             std::vector<std::string> quoted;
                             for (const auto& s : v) quoted.push_back(detail::yaml_quote(s));
                             return "[" + detail::join(quoted, ", ") + "]";
                           });
    f.parse = [member](const Node& n, T& out, const Path& p) -> Status {
      TRIB_ASSIGN_OR_RETURN(out.*member, detail::parse_text_list(n, p));
      return ok_status();
    };
    return add(std::move(f));
  }

  // Bytes per second ("5MiB/s"); 0 means no limit.
  Schema& rate(std::string key, uint64_t T::*member, std::string doc,
               Reload reload = Reload::live) {
    Field f = scalar_field(std::move(key), std::move(doc), reload, member, [](uint64_t v) {
      return v == 0 ? std::string("0") : format_size(v) + "/s";
    });
    f.parse = [member](const Node& n, T& out, const Path& p) -> Status {
      TRIB_ASSIGN_OR_RETURN(out.*member, detail::parse_rate(n, p));
      return ok_status();
    };
    return add(std::move(f));
  }

  // A floating-point number within [min, max].
  Schema& real(std::string key, double T::*member, double min, double max, std::string doc,
               Reload reload = Reload::live) {
    Field f = scalar_field(std::move(key), std::move(doc), reload, member,
                           [](double v) { return detail::format_real(v); });
    f.parse = [member, min, max](const Node& n, T& out, const Path& p) -> Status {
      TRIB_ASSIGN_OR_RETURN(out.*member, detail::parse_real(n, p, min, max));
      return ok_status();
    };
    f.bounds = fmt_bounds(detail::format_real(min), detail::format_real(max));
    return add(std::move(f));
  }

  // A mapping of names to strings, e.g. `attributes: {service: nginx}`.
  Schema& text_map(std::string key, std::map<std::string, std::string> T::*member, std::string doc,
                   Reload reload = Reload::live) {
    Field f =
        scalar_field(std::move(key), std::move(doc), reload, member,
                     [](const std::map<std::string, std::string>& v) {
                       std::vector<std::string> items;
                       for (const auto& [k, x] : v) {
                         items.push_back(detail::yaml_quote(k) + ": " + detail::yaml_quote(x));
                       }
                       return "{" + detail::join(items, ", ") + "}";
                     });
    f.parse = [member](const Node& n, T& out, const Path& p) -> Status {
      TRIB_ASSIGN_OR_RETURN(out.*member, detail::parse_text_map(n, p));
      return ok_status();
    };
    f.env = [](const Path&, std::vector<EnvOption>&) {};
    return add(std::move(f));
  }

  // A mapping of names to lists of strings, e.g. `recipients: {sysadmin: [a@b, c@d]}`.
  Schema& text_list_map(std::string key, std::map<std::string, std::vector<std::string>> T::*member,
                        std::string doc, Reload reload = Reload::live) {
    Field f = scalar_field(
        std::move(key), std::move(doc), reload, member,
        [](const std::map<std::string, std::vector<std::string>>& v) {
          std::vector<std::string> items;
          for (const auto& [k, list] : v) {
            std::vector<std::string> quoted;
            for (const auto& x : list) quoted.push_back(detail::yaml_quote(x));
            items.push_back(detail::yaml_quote(k) + ": [" + detail::join(quoted, ", ") + "]");
          }
          return "{" + detail::join(items, ", ") + "}";
        });
    f.parse = [member](const Node& n, T& out, const Path& p) -> Status {
      TRIB_TRY(detail::expect_mapping(n, p));
      std::map<std::string, std::vector<std::string>> parsed;
      for (const MapEntry& e : n.entries) {
        TRIB_ASSIGN_OR_RETURN(parsed[e.key],
                              detail::parse_text_list(e.value, detail::child(p, e.key)));
      }
      out.*member = std::move(parsed);
      return ok_status();
    };
    f.env = [](const Path&, std::vector<EnvOption>&) {};
    return add(std::move(f));
  }

  // A nested mapping with its own schema.
  template <class S>
  Schema& object(std::string key, S T::*member, Schema<S> sub, std::string doc) {
    Field f;
    f.key = std::move(key);
    f.doc = std::move(doc);
    f.parse = [member, sub](const Node& n, T& out, const Path& p) {
      return sub.parse(n, out.*member, p);
    };
    f.finish = [member, sub](T& out, const Path& p) { return sub.parse(Node{}, out.*member, p); };
    f.sample = [member, sub](const T& defaults, std::string& out, int indent, const Field& self) {
      detail::write_comment(out, indent, self.doc);
      detail::write_line(out, indent, self.key + ":");
      sub.write_sample_body(defaults.*member, out, indent + 2);
    };
    f.diff = [member, sub](const T& a, const T& b, const Path& p, std::vector<Change>& changes) {
      sub.diff_into(a.*member, b.*member, p, changes);
    };
    f.env = [sub](const Path& p, std::vector<EnvOption>& options) { sub.env_into(p, options); };
    f.key_doc = [member, sub](const T& defaults, std::string& out, int indent, int inner,
                              const Field& self) {
      detail::write_comment(out, indent, self.key + ": " + self.doc, inner);
      sub.write_key_docs(defaults.*member, out, indent, inner + 2);
    };
    return add(std::move(f));
  }

  // A list of mappings, e.g. `processes: [{name: x, comm: y}]`. `example` is YAML shown
  // (commented) in the sample; `default_yaml` is the sample's value (flow style), for a list
  // whose default is not empty.
  template <class S>
  Schema& object_list(std::string key, std::vector<S> T::*member, Schema<S> sub, std::string doc,
                      std::string example, Reload reload = Reload::live,
                      std::string default_yaml = "[]") {
    Field f = collection_field(std::move(key), std::move(doc), std::move(example), reload,
                               std::move(default_yaml), sub);
    f.parse = [member, sub](const Node& n, T& out, const Path& p) -> Status {
      TRIB_TRY(detail::expect_sequence(n, p));
      std::vector<S> items;
      for (size_t i = 0; i < n.items.size(); ++i) {
        S item{};
        TRIB_TRY(sub.parse(n.items[i], item, detail::child(p, std::to_string(i))));
        items.push_back(std::move(item));
      }
      out.*member = std::move(items);
      return ok_status();
    };
    f.diff = [member, sub, reload](const T& a, const T& b, const Path& p,
                                   std::vector<Change>& changes) {
      const auto& x = a.*member;
      const auto& y = b.*member;
      bool same = x.size() == y.size();
      for (size_t i = 0; same && i < x.size(); ++i) same = sub.diff(x[i], y[i]).empty();
      if (!same) changes.push_back(Change{dotted(p), reload});
    };
    return add(std::move(f));
  }

  // A mapping from names to sub-objects, e.g. `collectors: {cpu: {...}}`. When `known_names` is
  // not empty, other names are refused and every known name gets an entry (defaults when absent).
  template <class S>
  Schema& object_map(std::string key, std::map<std::string, S> T::*member, Schema<S> sub,
                     std::vector<std::string> known_names, std::string doc, std::string example,
                     Reload reload = Reload::live) {
    Field f =
        collection_field(std::move(key), std::move(doc), std::move(example), reload, "{}", sub);
    f.parse = [member, sub, known_names](const Node& n, T& out, const Path& p) -> Status {
      TRIB_TRY(detail::expect_mapping(n, p));
      std::map<std::string, S> entries;
      for (const MapEntry& e : n.entries) {
        if (!known_names.empty() &&
            std::find(known_names.begin(), known_names.end(), e.key) == known_names.end()) {
          return detail::unknown_key(e, p, known_names);
        }
        S item{};
        TRIB_TRY(sub.parse(e.value, item, detail::child(p, e.key)));
        entries.emplace(e.key, std::move(item));
      }
      out.*member = std::move(entries);
      return add_known_entries(out.*member, sub, known_names, p);
    };
    f.finish = [member, sub, known_names](T& out, const Path& p) {
      return add_known_entries(out.*member, sub, known_names, p);
    };
    f.diff = [member, sub, reload](const T& a, const T& b, const Path& p,
                                   std::vector<Change>& changes) {
      const auto& x = a.*member;
      const auto& y = b.*member;
      bool same = x.size() == y.size();
      for (auto i = x.begin(), j = y.begin(); same && i != x.end(); ++i, ++j) {
        same = i->first == j->first && sub.diff(i->second, j->second).empty();
      }
      if (!same) changes.push_back(Change{dotted(p), reload});
    };
    f.env = [sub, known_names](const Path& p, std::vector<EnvOption>& options) {
      for (const std::string& name : known_names) sub.env_into(detail::child(p, name), options);
    };
    return add(std::move(f));
  }

  // A rule over the whole object, checked after parsing (e.g. "exactly one of a, b, c"). The
  // node is the object's mapping (or null when the object was absent), for the error location.
  Schema& check(std::function<Status(const T&, const Node&, const Path&)> rule) {
    checks_.push_back(std::move(rule));
    return *this;
  }

  // Fills `out` from `node` (null: keep the defaults already in `out`).
  Status parse(const Node& node, T& out, const Path& path = {}) const {
    if (!node.is_null()) TRIB_TRY(detail::expect_mapping(node, path));
    for (const MapEntry& e : node.entries) {
      const Field* f = find(e.key);
      if (f == nullptr) return detail::unknown_key(e, path, keys());
      if (!e.value.is_null()) TRIB_TRY(f->parse(e.value, out, detail::child(path, e.key)));
    }
    for (const Field& f : fields_) {
      const Node* given = node.find(f.key);
      if (f.finish && (given == nullptr || given->is_null())) {
        TRIB_TRY(f.finish(out, detail::child(path, f.key)));
      }
    }
    for (const auto& rule : checks_) TRIB_TRY(rule(out, node, path));
    return ok_status();
  }

  Result<T> parse(const Node& node) const {
    T out{};
    TRIB_TRY(parse(node, out));
    return out;
  }

  // The commented sample config holding the defaults of T{}.
  [[nodiscard]] std::string sample() const {
    std::string out;
    write_sample_body(T{}, out, 0);
    return out;
  }

  // Scalar options reachable through nested objects (not through lists).
  [[nodiscard]] std::vector<EnvOption> env_options() const {
    std::vector<EnvOption> options;
    env_into({}, options);
    return options;
  }

  // The options that differ between `a` and `b`, in declaration order.
  [[nodiscard]] std::vector<Change> diff(const T& a, const T& b) const {
    std::vector<Change> changes;
    diff_into(a, b, {}, changes);
    return changes;
  }

  [[nodiscard]] std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const Field& f : fields_) out.push_back(f.key);
    return out;
  }

  // Internals shared by nested schemas of other types.
  void write_sample_body(const T& defaults, std::string& out, int indent) const {
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (i > 0 && indent == 0) out += "\n";
      fields_[i].sample(defaults, out, indent, fields_[i]);
    }
  }
  // One comment line per key: "key: default  (bounds) doc", for list/map item descriptions.
  void write_key_docs(const T& defaults, std::string& out, int indent, int inner) const {
    for (const Field& f : fields_) f.key_doc(defaults, out, indent, inner, f);
  }
  void diff_into(const T& a, const T& b, const Path& path, std::vector<Change>& changes) const {
    for (const Field& f : fields_) f.diff(a, b, detail::child(path, f.key), changes);
  }
  void env_into(const Path& path, std::vector<EnvOption>& options) const {
    for (const Field& f : fields_) {
      if (f.env) f.env(detail::child(path, f.key), options);
    }
  }

 private:
  struct Field {
    std::string key;
    std::string doc;
    std::string bounds;  // shown in the sample, e.g. "1s..1h"
    Reload reload = Reload::live;
    std::function<Status(const Node&, T&, const Path&)> parse;
    // Runs when the key is absent (or null): fills computed defaults.
    std::function<Status(T&, const Path&)> finish;
    std::function<void(const T&, std::string&, int, const Field&)> sample;
    std::function<void(const T&, std::string&, int, int, const Field&)> key_doc;
    std::function<void(const T&, const T&, const Path&, std::vector<Change>&)> diff;
    std::function<void(const Path&, std::vector<EnvOption>&)> env;
  };

  static std::string fmt_bounds(const std::string& min, const std::string& max) {
    return min + ".." + max;
  }

  static std::string describe(const Field& f) {
    std::string text = f.doc;
    if (!f.bounds.empty()) text += " (" + f.bounds + ")";
    if (f.reload == Reload::restart) text += " Changing it needs a restart.";
    return text;
  }

  template <class M, class Format>
  static Field scalar_field(std::string key, std::string doc, Reload reload, M T::*member,
                            Format format) {
    Field f;
    f.key = std::move(key);
    f.doc = std::move(doc);
    f.reload = reload;
    f.sample = [member, format](const T& defaults, std::string& out, int indent,
                                const Field& self) {
      detail::write_comment(out, indent, describe(self));
      detail::write_line(out, indent, self.key + ": " + format(defaults.*member));
    };
    f.key_doc = [member, format](const T& defaults, std::string& out, int indent, int inner,
                                 const Field& self) {
      detail::write_comment(
          out, indent, self.key + " (default " + format(defaults.*member) + "): " + describe(self),
          inner);
    };
    f.diff = [member, reload](const T& a, const T& b, const Path& p, std::vector<Change>& changes) {
      if (!(a.*member == b.*member)) changes.push_back(Change{dotted(p), reload});
    };
    f.env = [](const Path& p, std::vector<EnvOption>& options) {
      options.push_back(EnvOption{env_variable_name(p), p});
    };
    return f;
  }

  template <class S>
  static Field collection_field(std::string key, std::string doc, std::string example,
                                Reload reload, std::string empty, const Schema<S>& sub) {
    Field f;
    f.key = std::move(key);
    f.doc = std::move(doc);
    f.reload = reload;
    f.sample = [example = std::move(example), empty = std::move(empty), sub](
                   const T&, std::string& out, int indent, const Field& self) {
      detail::write_comment(out, indent, describe(self));
      detail::write_comment(out, indent, "Keys of each entry:");
      sub.write_key_docs(S{}, out, indent, 2);
      detail::write_comment(out, indent, "Example:");
      detail::write_comment(out, indent, example, 2);
      detail::write_line(out, indent, self.key + ": " + empty);
    };
    f.key_doc = [](const T&, std::string& out, int indent, int inner, const Field& self) {
      detail::write_comment(out, indent, self.key + ": " + describe(self), inner);
    };
    return f;
  }

  // Every known name gets an entry; absent ones hold the defaults.
  template <class S>
  static Status add_known_entries(std::map<std::string, S>& entries, const Schema<S>& sub,
                                  const std::vector<std::string>& known_names, const Path& path) {
    for (const std::string& name : known_names) {
      if (entries.contains(name)) continue;
      S item{};
      TRIB_TRY(sub.parse(Node{}, item, detail::child(path, name)));
      entries.emplace(name, std::move(item));
    }
    return ok_status();
  }

  const Field* find(std::string_view key) const {
    for (const Field& f : fields_) {
      if (f.key == key) return &f;
    }
    return nullptr;
  }

  Schema& add(Field f) {
    fields_.push_back(std::move(f));
    return *this;
  }

  std::vector<Field> fields_;
  std::vector<std::function<Status(const T&, const Node&, const Path&)>> checks_;
};

}  // namespace trib::config

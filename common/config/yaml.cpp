#include "common/config/yaml.h"

#include <fmt/format.h>
#include <yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace trib::config {
namespace {

// Nesting deeper than this is refused: config files are shallow, and recursion must stay bounded
// for hostile input.
constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(std::string_view text, std::shared_ptr<const std::string> source)
      : source_(std::move(source)) {
    ok_ = yaml_parser_initialize(&parser_) != 0;
    if (ok_) {
      yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                   text.size());
    }
  }
  ~Parser() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  Result<Node> parse_document() {
    if (!ok_) return Error(Errc::config_error, *source_ + ": cannot initialize the YAML parser");
    TRIB_TRY(expect(YAML_STREAM_START_EVENT));
    TRIB_TRY(next());
    if (event_.type == YAML_STREAM_END_EVENT) return Node{};  // empty or only comments
    if (event_.type != YAML_DOCUMENT_START_EVENT) return unexpected();
    TRIB_TRY(next());
    TRIB_ASSIGN_OR_RETURN(Node root, parse_node(0));
    TRIB_TRY(expect(YAML_DOCUMENT_END_EVENT));
    TRIB_TRY(next());
    if (event_.type != YAML_STREAM_END_EVENT) {
      return error_at(line(), "a config file holds one YAML document; remove the second '---'");
    }
    return root;
  }

 private:
  // RAII over the current event: the previous one is released before the next is read.
  struct Event : yaml_event_t {
    bool live = false;
    Event() : yaml_event_t{} {}
    ~Event() { release(); }
    void release() {
      if (live) yaml_event_delete(this);
      live = false;
    }
  };

  Status next() {
    event_.release();
    if (yaml_parser_parse(&parser_, &event_) == 0) {
      const int at = static_cast<int>(parser_.problem_mark.line) + 1;
      std::string what = parser_.problem != nullptr ? parser_.problem : "invalid YAML";
      if (parser_.context != nullptr) what = fmt::format("{} {}", what, parser_.context);
      return error_at(at, what);
    }
    event_.live = true;
    return ok_status();
  }

  // Reads the next event and checks its type.
  Status expect(yaml_event_type_t type) {
    TRIB_TRY(next());
    if (event_.type != type) return unexpected();
    return ok_status();
  }

  int line() const { return static_cast<int>(event_.start_mark.line) + 1; }
  Origin origin() const { return Origin{source_, line()}; }

  Error error_at(int at, std::string_view what) const {
    return Error(Errc::config_error, fmt::format("{}:{}: {}", *source_, at, what));
  }
  Error unexpected() const { return error_at(line(), "unexpected YAML structure"); }

  // Parses the node whose first event is current; leaves its last event current.
  Result<Node> parse_node(int depth) {
    if (depth > kMaxDepth) return error_at(line(), "nesting is too deep");
    switch (event_.type) {
      case YAML_SCALAR_EVENT:
        return scalar_node();
      case YAML_SEQUENCE_START_EVENT:
        return sequence_node(depth);
      case YAML_MAPPING_START_EVENT:
        return mapping_node(depth);
      case YAML_ALIAS_EVENT:
        return error_at(line(), "YAML aliases (*name) are not supported in config files");
      default:
        return unexpected();
    }
  }

  Node scalar_node() const {
    const auto& s = event_.data.scalar;
    std::string value(reinterpret_cast<const char*>(s.value), s.length);
    const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    if (plain &&
        (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL")) {
      Node n;
      n.origin = origin();
      return n;
    }
    return Node::make_scalar(std::move(value), origin());
  }

  Result<Node> sequence_node(int depth) {
    Node n;
    n.kind = Node::Kind::sequence;
    n.origin = origin();
    for (;;) {
      TRIB_TRY(next());
      if (event_.type == YAML_SEQUENCE_END_EVENT) return n;
      TRIB_ASSIGN_OR_RETURN(Node item, parse_node(depth + 1));
      n.items.push_back(std::move(item));
    }
  }

  Result<Node> mapping_node(int depth) {
    Node n = Node::make_mapping(origin());
    for (;;) {
      TRIB_TRY(next());
      if (event_.type == YAML_MAPPING_END_EVENT) return n;
      if (event_.type != YAML_SCALAR_EVENT) {
        return error_at(line(), "a mapping key must be a plain name, not a list or a mapping");
      }
      const auto& s = event_.data.scalar;
      std::string key(reinterpret_cast<const char*>(s.value), s.length);
      const Origin key_origin = origin();
      if (n.find(key) != nullptr) {
        return error_at(line(), fmt::format("duplicate key '{}'", key));
      }
      TRIB_TRY(next());
      TRIB_ASSIGN_OR_RETURN(Node value, parse_node(depth + 1));
      n.entries.push_back(MapEntry{std::move(key), key_origin, std::move(value)});
    }
  }

  std::shared_ptr<const std::string> source_;
  yaml_parser_t parser_{};
  Event event_;
  bool ok_ = false;
};

}  // namespace

std::string Origin::describe() const {
  const std::string& name = source ? *source : std::string("<unknown>");
  return line > 0 ? fmt::format("{}:{}", name, line) : name;
}

const Node* Node::find(std::string_view key) const {
  for (const MapEntry& e : entries) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

Node* Node::find(std::string_view key) { return const_cast<Node*>(std::as_const(*this).find(key)); }

Node Node::make_scalar(std::string value, Origin origin) {
  Node n;
  n.kind = Kind::scalar;
  n.scalar = std::move(value);
  n.origin = std::move(origin);
  return n;
}

Node Node::make_mapping(Origin origin) {
  Node n;
  n.kind = Kind::mapping;
  n.origin = std::move(origin);
  return n;
}

Node& Node::set(std::string key, Node value) {
  if (Node* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  Origin key_origin = value.origin;
  entries.push_back(MapEntry{std::move(key), std::move(key_origin), std::move(value)});
  return entries.back().value;
}

Result<Node> parse_yaml(std::string_view text, const std::string& source_name) {
  Parser parser(text, std::make_shared<const std::string>(source_name));
  return parser.parse_document();
}

Result<Node> load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return Error(Errc::not_found, fmt::format("{}: no such file", path));
    }
    return Error(Errc::io_error, fmt::format("{}: cannot open for reading", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error(Errc::io_error, fmt::format("{}: read error", path));
  return parse_yaml(text.str(), path);
}

void merge_into(Node& base, const Node& overlay) {
  if (overlay.is_null()) return;
  if (!base.is_mapping() || !overlay.is_mapping()) {
    base = overlay;
    return;
  }
  for (const MapEntry& e : overlay.entries) {
    if (Node* existing = base.find(e.key)) {
      merge_into(*existing, e.value);
    } else {
      base.entries.push_back(e);
    }
  }
}

Result<Node> load_yaml_with_dropins(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  Node merged;
  auto main_file = load_yaml_file((fs::path(dir) / (name + ".yaml")).string());
  if (main_file.ok()) {
    merged = std::move(main_file).value();
  } else if (!main_file.error().is(Errc::not_found)) {
    return main_file.take_error();
  }

  const fs::path dropin_dir = fs::path(dir) / (name + ".d");
  std::error_code ec;
  if (!fs::is_directory(dropin_dir, ec)) return merged;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dropin_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    return Error(Errc::io_error, fmt::format("{}: cannot list the directory: {}",
                                             dropin_dir.string(), ec.message()));
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  for (const fs::path& file : files) {
    TRIB_ASSIGN_OR_RETURN(Node dropin, load_yaml_file(file.string()));
    merge_into(merged, dropin);
  }
  return merged;
}

}  // namespace trib::config

#pragma once
// YAML documents as a small tree that remembers where every node came from (file and line), so
// config errors can point at the line to fix. Parsed with libyaml's event API. Any thread.
//
// Only what config files need: mappings with scalar keys, sequences, scalars. Anchors and aliases
// are refused (a config file has no use for them, and they make "billion laughs" inputs cheap).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"

namespace trib::config {

// Where a value came from: "agent.yaml:12", or "environment variable TRIBUTARY_PORT" (line 0).
struct Origin {
  std::shared_ptr<const std::string> source;  // file path or a description
  int line = 0;                               // 1-based; 0 when there is no line

  [[nodiscard]] std::string describe() const;
};

struct MapEntry;

struct Node {
  enum class Kind { null, scalar, sequence, mapping };

  Kind kind = Kind::null;
  Origin origin;
  std::string scalar;             // Kind::scalar
  std::vector<Node> items;        // Kind::sequence
  std::vector<MapEntry> entries;  // Kind::mapping, in file order, keys unique

  [[nodiscard]] bool is_null() const { return kind == Kind::null; }
  [[nodiscard]] bool is_scalar() const { return kind == Kind::scalar; }
  [[nodiscard]] bool is_sequence() const { return kind == Kind::sequence; }
  [[nodiscard]] bool is_mapping() const { return kind == Kind::mapping; }
  // The value under `key` of a mapping, or nullptr.
  [[nodiscard]] const Node* find(std::string_view key) const;
  Node* find(std::string_view key);

  static Node make_scalar(std::string value, Origin origin);
  static Node make_mapping(Origin origin);
  // Adds or replaces `key` in a mapping node.
  Node& set(std::string key, Node value);
};

struct MapEntry {
  std::string key;
  Origin key_origin;
  Node value;
};

// Parses one YAML document. `source_name` is used in error messages and origins. An empty
// input or one holding only comments gives a null node. Errors: Errc::config_error with
// "source:line: what".
Result<Node> parse_yaml(std::string_view text, const std::string& source_name);

// Reads and parses a file; a file that does not exist is Errc::not_found.
Result<Node> load_yaml_file(const std::string& path);

// `overlay` over `base`: mappings merge key by key (recursively), anything else in the overlay
// replaces what is in the base. A null overlay (an empty file, `key:` with nothing under it)
// changes nothing.
void merge_into(Node& base, const Node& overlay);

// <dir>/<name>.yaml, then <dir>/<name>.d/*.yaml in file-name order merged over it. Missing files
// and directories are fine (the result is then a null node: all defaults).
Result<Node> load_yaml_with_dropins(const std::string& dir, const std::string& name);

}  // namespace trib::config

#include "agent/logs/discovery.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <string_view>

namespace trib::agent::logs {
namespace {

bool has_glob(std::string_view component) {
  return component.find_first_of("*?[") != std::string_view::npos;
}

std::vector<std::string> split_components(const std::string& pattern) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= pattern.size()) {
    const size_t slash = pattern.find('/', start);
    const size_t end = slash == std::string::npos ? pattern.size() : slash;
    if (end > start) parts.push_back(pattern.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir == "/") return "/" + name;
  return dir + "/" + name;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

bool is_dir(const std::string& path, bool follow) {
  struct stat st {};
  const int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  return rc == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void walk(const std::string& dir, const std::vector<std::string>& parts, size_t i,
          std::set<std::string>& out) {
  if (i == parts.size()) return;
  const std::string& part = parts[i];
  const bool last = i + 1 == parts.size();
  if (part == "**") {
    if (last) return;  // `**` alone names directories, not files
    walk(dir, parts, i + 1, out);
    for (const std::string& name : list_dir(dir)) {
      const std::string sub = join(dir, name);
      if (is_dir(sub, false)) walk(sub, parts, i, out);
    }
    return;
  }
  if (!has_glob(part)) {
    const std::string path = join(dir, part);
    if (last) {
      if (exists(path)) out.insert(path);
    } else if (is_dir(path, true)) {
      walk(path, parts, i + 1, out);
    }
    return;
  }
  for (const std::string& name : list_dir(dir)) {
    if (::fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    const std::string path = join(dir, name);
    if (last) {
      out.insert(path);
    } else if (is_dir(path, true)) {
      walk(path, parts, i + 1, out);
    }
  }
}

}  // namespace

bool is_excluded(const std::string& path, const std::vector<std::string>& excludes) {
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  for (const std::string& pattern : excludes) {
    const bool whole_path = pattern.find('/') != std::string::npos;
    if (::fnmatch(pattern.c_str(), whole_path ? path.c_str() : name.c_str(), 0) == 0) return true;
  }
  return false;
}

std::set<std::string> expand_globs(const std::vector<std::string>& patterns,
                                   const std::vector<std::string>& excludes) {
  std::set<std::string> found;
  for (const std::string& pattern : patterns) {
    const std::string root = !pattern.empty() && pattern.front() == '/' ? "/" : "";
    walk(root, split_components(pattern), 0, found);
  }
  std::set<std::string> kept;
  for (const std::string& path : found) {
    if (!is_excluded(path, excludes)) kept.insert(path);
  }
  return kept;
}

std::string watch_root(const std::string& pattern) {
  std::string root = !pattern.empty() && pattern.front() == '/' ? "/" : "";
  const auto parts = split_components(pattern);
  for (size_t i = 0; i + 1 < parts.size() && !has_glob(parts[i]); ++i) root = join(root, parts[i]);
  return root.empty() ? "." : root;
}

}  // namespace trib::agent::logs

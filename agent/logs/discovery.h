#pragma once
// Which files a source watches: glob patterns (`*`, `?`, `[...]` within one path component, and
// `**` for any number of directories) minus exclude patterns (a pattern without '/' is matched
// against the file name, one with '/' against the whole path). Symbolic links to directories are
// not followed by `**` (no loops). Blocking directory reads: call on the tail thread.

#include <set>
#include <string>
#include <vector>

namespace trib::agent::logs {

// Every path matching one of `patterns` and none of `excludes`, sorted, without duplicates.
// Entries that are not regular files are returned too: the caller decides what to say about a
// directory or a FIFO sitting where a log file was expected.
std::set<std::string> expand_globs(const std::vector<std::string>& patterns,
                                   const std::vector<std::string>& excludes);

bool is_excluded(const std::string& path, const std::vector<std::string>& excludes);

// The directories whose changes may add files to `pattern` (its fixed prefix), for inotify.
std::string watch_root(const std::string& pattern);

}  // namespace trib::agent::logs

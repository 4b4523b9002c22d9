#include "agent/logs/tailer.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "agent/logs/discovery.h"

namespace trib::agent::logs {

// The batch under construction during one poll.
struct Tailer::Building {
  stream::LogsMsg logs;
  stream::GapsMsg gaps;
  std::map<std::string, uint32_t> source_index;  // source path -> index in logs.sources
  std::vector<std::pair<File*, RangeCheck>> positions;
  std::vector<File*> finished;
  size_t bytes = 0;

  uint32_t index_of(const std::string& path, const LogSourceOptions& options) {
    auto [it, inserted] = source_index.try_emplace(path, 0);
    if (inserted) {
      it->second = static_cast<uint32_t>(logs.sources.size());
      stream::LogSource source{path, {}};
      for (const auto& [k, v] : options.attributes) source.attributes.emplace_back(k, v);
      logs.sources.push_back(std::move(source));
    }
    return it->second;
  }
  bool empty() const {
    return logs.records.empty() && gaps.gaps.empty() && positions.empty() && finished.empty();
  }
};

namespace {

FileIdentity identity_of(const struct stat& st) {
  return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

int open_read(const std::string& path) {
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string source_key_of(const LogSourceOptions& options) {
  std::string key;
  for (const auto& p : options.paths) key += p + "\n";
  return key;
}

bool matches_source(const std::string& path, const LogSourceOptions& options) {
  // Without FNM_PATHNAME '*' also crosses '/', so `**` patterns match as they should.
  const bool matched = std::any_of(
      options.paths.begin(), options.paths.end(),
      [&](const std::string& pattern) { return ::fnmatch(pattern.c_str(), path.c_str(), 0) == 0; });
  return matched && !is_excluded(path, options.exclude);
}

RangeCheck start_check() { return RangeCheck{0, 0, hash_bytes({})}; }

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

// Where files went when rotation renamed them, by inode: each directory is read once per pass,
// not once per file looked for.
// Directory listings by inode, read once per pass (restore, the check for vanished files) rather
// than once per file. A listing can be stale: a rotation may rename a file right after it was
// read. A path is only ever missed for that reason, so a miss reads the directory again when it
// changed since, or when its last change is too recent to tell (timestamps are coarse: a change
// in the same tick as the listing leaves the same mtime).
class Tailer::DirectoryInodes {
 public:
  const std::vector<std::string>& paths_with_inode(const std::string& dir, uint64_t inode) {
    static const std::vector<std::string> kNone;
    auto [it, inserted] = dirs_.try_emplace(dir);
    Listing& listing = it->second;
    if (inserted) read(dir, listing);
    auto found = listing.paths.find(inode);
    if (found == listing.paths.end() && may_be_stale(dir, listing)) {
      read(dir, listing);
      found = listing.paths.find(inode);
    }
    return found == listing.paths.end() ? kNone : found->second;
  }

 private:
  struct Listing {
    std::unordered_map<uint64_t, std::vector<std::string>> paths;
    int64_t mtime_ns = 0;  // of the directory, taken before it was read
    bool racy = false;     // changed within a timestamp tick of the read
  };
  static constexpr int64_t kTimestampTickNs = 20'000'000;  // coarser than any kernel's tick

  static int64_t directory_mtime_ns(const std::string& dir) {
    struct stat st {};
    return ::stat(dir.c_str(), &st) == 0 ? mtime_ns(st) : -1;
  }
  static int64_t now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  }
  static bool may_be_stale(const std::string& dir, const Listing& listing) {
    return listing.racy || directory_mtime_ns(dir) != listing.mtime_ns;
  }
  static void read(const std::string& dir, Listing& listing) {
    listing.paths.clear();
    listing.mtime_ns = directory_mtime_ns(dir);
    listing.racy = now_ns() - listing.mtime_ns < kTimestampTickNs;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return;
    while (const dirent* entry = ::readdir(d))
      listing.paths[entry->d_ino].push_back(dir + "/" + entry->d_name);
    ::closedir(d);
  }
  std::map<std::string, Listing> dirs_;
};

Result<std::unique_ptr<Tailer>> Tailer::create(CheckpointStore& store, const time::Clock& clock,
                                               TailerLimits limits, Emit emit) {
  std::unique_ptr<Tailer> tailer(new Tailer(store, clock, limits, std::move(emit)));
  TRIB_ASSIGN_OR_RETURN(tailer->generations_, store.load_generations());
  TRIB_ASSIGN_OR_RETURN(auto checkpoints, store.load_all());
  tailer->restore(std::move(checkpoints));
  return tailer;
}

Tailer::~Tailer() {
  write_staged();  // what acks moved on, so a clean stop reads nothing twice
  for (auto& file : files_) close_file(*file);
}

uint64_t Tailer::next_generation(const std::string& source_path) {
  const uint64_t next = ++generations_[source_path];
  dirty_generations_[source_path] = next;
  return next;
}

// A file just opened (or found again): its size and times, and quiet from now on.
void Tailer::take_stat(File& file, const struct stat& st) {
  file.size = static_cast<uint64_t>(st.st_size);
  file.mtime_s = st.st_mtim.tv_sec;
  file.mtime_ns = mtime_ns(st);
  file.last_growth_ms = clock_.monotonic_ms();
}

void Tailer::restore(std::vector<FileCheckpoint> checkpoints) {
  std::vector<std::pair<std::string, uint64_t>> removals;
  DirectoryInodes directories;
  for (auto& c : checkpoints) {
    const std::string source = c.source;
    const uint64_t generation = c.generation;
    const size_t before = files_.size();
    restore_one(std::move(c), directories);
    if (files_.size() == before) removals.emplace_back(source, generation);
  }
  commit({}, removals);
  for (const auto& [source, rotated] : rotated_while_stopped_)
    adopt_unseen_rotations(source, rotated, "");  // configure() assigns the source
  rotated_while_stopped_.clear();
}

// Files created at the source path and rotated away while the agent was stopped were never seen:
// they are the siblings named like the source, unknown, and written after the last generation
// the agent knew had been rotated. They are read as generations of the source, oldest first.
void Tailer::adopt_unseen_rotations(const std::string& source, const RotatedAt& rotated,
                                    const std::string& source_key) {
  const std::string dir = dir_of(rotated.path);
  const std::string base = source.substr(source.rfind('/') + 1);
  std::vector<std::pair<int64_t, std::string>> unseen;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    const std::string path = dir + "/" + name;
    if (!name.starts_with(base) || path == source) continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    // >=: timestamps are coarse (a jiffy); two writes in a row often share one.
    if (by_identity_.contains(identity_of(st)) || mtime_ns(st) < rotated.mtime_ns) continue;
    unseen.emplace_back(mtime_ns(st), path);
  }
  ::closedir(d);
  std::sort(unseen.begin(), unseen.end());
  std::vector<FileCheckpoint> fresh;
  for (const auto& [when, path] : unseen) {
    const int fd = open_read(path);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || is_compressed_archive(fd).value_or(false) ||
        is_copy_of_followed_generation(source, fd)) {
      if (fd >= 0) ::close(fd);
      continue;
    }
    auto file = std::make_unique<File>();
    file->source_path = source;
    file->generation = next_generation(source);
    file->path = path;
    file->identity = identity_of(st);
    file->fd = fd;
    file->source_key = source_key;
    take_stat(*file, st);
    file->fingerprint = take_fingerprint(fd).value_or(Fingerprint{});
    file->read_check = file->sent = file->acked = start_check();
    const Source* reader = source_of(*file);  // none while restoring: configure() sets it
    file->splitter = std::make_unique<LineSplitter>(
        reader != nullptr ? reader->options.max_line_bytes : 64 * 1024, 0);
    file->state = State::rotated;
    TRIB_LOG(tail, info,
             "[tail:{}] {} was created and rotated away before the agent saw it: "
             "reading it as generation {}",
             source, path, file->generation);
    by_identity_[file->identity] = file.get();
    fresh.push_back(checkpoint_of(*file));
    files_.push_back(std::move(file));
  }
  commit(fresh, {});
}

// A copytruncate's copy made before the truncation was noticed (or while the agent restored) is
// no unseen generation: it holds the generation still followed at the source path, and goes on
// in it once the truncation is seen (continue_in_copy). Adopted, its lines would be read twice
// and the followed generation would end in a gap.
bool Tailer::is_copy_of_followed_generation(const std::string& source, int fd) const {
  return std::any_of(files_.begin(), files_.end(), [&](const std::unique_ptr<File>& file) {
    return file->source_path == source && file->state == State::active &&
           file->fingerprint.length > 0 &&
           fingerprint_matches(fd, file->fingerprint).value_or(false);
  });
}

void Tailer::restore_one(FileCheckpoint c, DirectoryInodes& directories) {
  auto file = std::make_unique<File>();
  file->source_path = c.source;
  file->generation = c.generation;
  file->path = c.path;
  file->identity = c.identity;
  file->fingerprint = c.fingerprint;
  file->sent = file->acked = file->read_check = c.position;
  if (c.done) {
    file->state = State::done;
    by_identity_[file->identity] = file.get();
    files_.push_back(std::move(file));
    return;
  }
  if (c.fingerprint.length == 0 && c.position.end == 0) {
    // Nothing was ever read from it (its first bytes would have made the head durable): its
    // content, wherever rotation took it, is found like any file the agent has not seen.
    TRIB_LOG(tail, info,
             "[tail:{}] generation {} was empty when the agent stopped; looked for anew", c.source,
             c.generation);
    return;
  }
  // The file where it was last seen, else among the siblings of that path and of its source
  // path (several rotations while the agent was stopped move it along name by name).
  bool same_file_changed = false;
  // Resumes from `path` if the checkpoint's file is there, unchanged.
  auto resume_from = [&](const std::string& path) {
    const int fd = open_read(path);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || identity_of(st) != c.identity) {
      ::close(fd);
      return false;
    }
    const auto head = fingerprint_matches(fd, c.fingerprint);
    const auto bytes = range_check_matches(fd, c.position);
    if (!head.ok() || !*head || !bytes.ok() || !*bytes) {
      same_file_changed = true;
      ::close(fd);
      return false;
    }
    resume_restored(std::move(file), fd, path, st);
    return true;
  };
  if (resume_from(c.path)) return;
  std::set<std::string> dirs{dir_of(c.path), dir_of(c.source)};
  for (const std::string& dir : dirs) {
    for (const std::string& path : directories.paths_with_inode(dir, c.identity.inode)) {
      if (path != c.path && resume_from(path)) return;
    }
  }
  if (same_file_changed) {
    // copytruncate while the agent was stopped: the rest of the generation is in the copy.
    const auto [copy, path] = open_copy_of(c.source, c.fingerprint, c.position);
    struct stat st {};
    if (copy >= 0 && ::fstat(copy, &st) == 0) {
      TRIB_LOG(tail, info,
               "[tail:{}] generation {} was truncated while the agent was stopped; "
               "it goes on from byte {} in {}, its copy",
               c.source, c.generation, c.position.end, path);
      file->identity = identity_of(st);
      resume_restored(std::move(file), copy, path, st);
      return;
    }
    if (copy >= 0) ::close(copy);
  }
  // Gone, or rewritten: whatever followed the checkpoint cannot be read any more.
  const std::string reason = same_file_changed
                                 ? "file truncated or rewritten while the agent was stopped"
                                 : "file removed while the agent was stopped";
  TRIB_LOG(tail, warn, "[tail:{}] generation {}: {}; bytes after {} are lost", c.source,
           c.generation, reason, c.position.end);
  restored_gaps_.push_back(stream::LogGap{c.source, c.generation, c.position.end, c.position.end,
                                          clock_.now_us() / 1000, reason});
}

// A restored generation found at `path` (open as `fd`) reads on from its checkpoint.
void Tailer::resume_restored(std::unique_ptr<File> file, int fd, const std::string& path,
                             const struct stat& st) {
  const std::string checkpoint_path = file->path;
  // The head read before the stop, so the fingerprint can go on growing with further reads.
  const auto head = read_head(fd, std::min<uint64_t>(file->acked.end, kFingerprintBytes));
  if (head.ok() && head->size() >= file->fingerprint.length &&
      fingerprint_of(std::string_view(*head).substr(0, file->fingerprint.length)) ==
          file->fingerprint) {
    file->head = *head;
    file->fingerprint = fingerprint_of(file->head);
  }
  file->fd = fd;
  file->path = path;
  take_stat(*file, st);
  file->splitter = std::make_unique<LineSplitter>(64 * 1024, file->acked.end);
  if (path != checkpoint_path) {
    TRIB_LOG(tail, info, "[tail:{}] generation {} found at {} after rotations", file->source_path,
             file->generation, path);
  }
  if (path != file->source_path) {
    // Rotated while stopped: no rotation to detect (and no runtime adoption from its older
    // timestamp, which would pick up newer files already read).
    file->state = State::rotated;
    RotatedAt& newest = rotated_while_stopped_[file->source_path];
    if (mtime_ns(st) > newest.mtime_ns) newest = RotatedAt{path, mtime_ns(st)};
  }
  by_identity_[file->identity] = file.get();
  files_.push_back(std::move(file));
}

Status Tailer::configure(const LogsOptions& options) {
  std::vector<std::unique_ptr<Source>> next;
  for (size_t i = 0; i < options.sources.size(); ++i) {
    auto source = std::make_unique<Source>();
    source->name = "logs.sources." + std::to_string(i);
    source->key = source_key_of(options.sources[i]);
    source->options = options.sources[i];
    TRIB_ASSIGN_OR_RETURN(source->processor, LineProcessor::create(source->options, source->name));
    for (const auto& old : sources_) {
      if (old->key == source->key) {
        source->scanned = old->scanned;
        source->tokens = old->tokens;
        source->tokens_at_ms = old->tokens_at_ms;
      }
    }
    next.push_back(std::move(source));
  }
  sources_ = std::move(next);
  scan_interval_ = options.scan_interval;
  // Files move to the first source that matches them; files of no source are closed (their
  // checkpoints stay for when the source returns).
  for (auto& file : files_) {
    if (file->state == State::done) continue;
    file->source_key.clear();
    for (const auto& source : sources_) {
      if (matches_source(file->source_path, source->options)) {
        file->source_key = source->key;
        if (file->splitter) file->splitter->set_max_line_bytes(source->options.max_line_bytes);
        break;
      }
    }
    if (file->source_key.empty() && file->state != State::draining) close_file(*file);
  }
  std::erase_if(files_, [this](const std::unique_ptr<File>& file) {
    const bool orphan = file->source_key.empty() && file->fd < 0 && file->state != State::done &&
                        file->state != State::draining;
    if (orphan && by_identity_[file->identity] == file.get()) by_identity_.erase(file->identity);
    return orphan;
  });
  wants_scan_ = true;
  return {};
}

Tailer::Source* Tailer::source_of(const File& file) {
  for (auto& source : sources_) {
    if (source->key == file.source_key) return source.get();
  }
  return nullptr;
}

void Tailer::scan() {
  wants_scan_ = false;
  std::set<std::string> seen;
  for (auto& source : sources_) scan_source(*source, seen);
  forget_vanished_done_files();
  commit({}, {});
}

void Tailer::scan_source(Source& source, std::set<std::string>& seen) {
  if (!source.scanned) {
    auto scanned = store_.was_scanned(source.key);
    source.scanned = scanned.ok() && *scanned;
  }
  const bool first_scan = !source.scanned;
  std::vector<FileCheckpoint> fresh;
  for (const std::string& path : expand_globs(source.options.paths, source.options.exclude)) {
    if (!seen.insert(path).second) continue;  // an earlier source has it
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if (!S_ISREG(st.st_mode)) {
      ++stats_.sources[source.name].not_regular_files;
      uint64_t suppressed = 0;
      if (odd_file_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
        TRIB_LOG(tail, warn,
                 "[tail:{}] {} is not a regular file (a directory or a FIFO?); "
                 "skipped",
                 source.name, path);
      }
      continue;
    }
    const auto known = by_identity_.find(identity_of(st));
    if (known != by_identity_.end()) {
      if (known->second->state != State::done || same_head(*known->second, path)) {
        known->second->path = path;
        continue;
      }
      // A finished file's inode, reused by a new file: forget the old one, read the new one.
      forget(*known->second);
    }
    const int fd = open_read(path);
    if (fd < 0) {
      ++stats_.sources[source.name].open_errors;
      uint64_t suppressed = 0;
      if (odd_file_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
        TRIB_LOG(tail, warn, "[tail:{}] cannot open {}: {}", source.name, path,
                 std::strerror(errno));
      }
      continue;
    }
    struct stat opened {};
    if (::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode) ||
        by_identity_.contains(identity_of(opened))) {
      ::close(fd);
      continue;
    }
    const bool from_end = first_scan && source.options.start_at == "end";
    if (!from_end) {
      adopt_generations_missed_at(path, source.key);
      if (by_identity_.contains(identity_of(opened))) {  // rotated meanwhile, adopted as such
        ::close(fd);
        continue;
      }
    }
    track_new_file(source, path, fd, opened, from_end);
    fresh.push_back(checkpoint_of(*files_.back()));
  }
  commit(fresh, {});
  if (first_scan) {
    const Status marked = store_.mark_scanned(source.key);
    if (!marked.ok()) {
      TRIB_LOG(tail, error, "[tail:{}] {}", source.name, marked.error().describe());
    } else {
      source.scanned = true;
    }
  }
}

// A new file at a path the agent followed before: files created there and rotated away since the
// last generation it knew (between two scans, or between a restart and the first scan) were
// never seen at the path. They are the unknown siblings written after that generation, and are
// read first, as the generations in between.
void Tailer::adopt_generations_missed_at(const std::string& source_path,
                                         const std::string& source_key) {
  int64_t newest = 0;
  for (const auto& file : files_) {
    if (file->source_path == source_path) newest = std::max(newest, file->mtime_ns);
  }
  if (newest == 0) return;  // nothing known there: older siblings predate the agent
  adopt_unseen_rotations(source_path, RotatedAt{source_path, newest}, source_key);
}

void Tailer::track_new_file(Source& source, const std::string& path, int fd, const struct stat& st,
                            bool from_end) {
  auto file = std::make_unique<File>();
  file->source_path = path;
  file->generation = next_generation(path);
  file->path = path;
  file->identity = identity_of(st);
  file->fd = fd;
  file->source_key = source.key;
  take_stat(*file, st);
  file->fingerprint = take_fingerprint(fd).value_or(Fingerprint{});
  const uint64_t start = from_end ? file->size : 0;
  file->read_check =
      start == 0 ? start_check() : take_range_check(fd, start).value_or(start_check());
  file->sent = file->acked = file->read_check;
  file->splitter = std::make_unique<LineSplitter>(source.options.max_line_bytes, start);
  TRIB_LOG(tail, info, "[tail:{}] following {} (generation {}) from byte {}", source.name, path,
           file->generation, start);
  by_identity_[file->identity] = file.get();
  files_.push_back(std::move(file));
}

bool Tailer::same_head(const File& file, const std::string& path) {
  const int fd = open_read(path);
  if (fd < 0) return true;  // cannot tell: keep what is known
  const auto same = fingerprint_matches(fd, file.fingerprint);
  ::close(fd);
  return !same.ok() || *same;
}

void Tailer::forget(File& file) {
  commit({}, {{file.source_path, file.generation}});
  by_identity_.erase(file.identity);
  std::erase_if(files_, [&](const std::unique_ptr<File>& f) { return f.get() == &file; });
}

// A finished file stays known while it exists, under whatever name rotation gave it: forgotten, its
// timestamp could make it look like an unseen generation and have it read twice.
bool Tailer::still_exists(File& file, DirectoryInodes& directories) {
  struct stat st {};
  if (::stat(file.path.c_str(), &st) == 0 && identity_of(st) == file.identity) return true;
  for (const std::string& dir :
       std::set<std::string>{dir_of(file.path), dir_of(file.source_path)}) {
    for (const std::string& path : directories.paths_with_inode(dir, file.identity.inode)) {
      if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          identity_of(st) == file.identity && same_head(file, path)) {
        file.path = path;
        return true;
      }
    }
  }
  return false;
}

void Tailer::forget_vanished_done_files() {
  std::vector<std::pair<std::string, uint64_t>> removals;
  DirectoryInodes directories;
  std::erase_if(files_, [&](const std::unique_ptr<File>& file) {
    if (file->state != State::done || still_exists(*file, directories)) return false;
    removals.emplace_back(file->source_path, file->generation);
    const auto it = by_identity_.find(file->identity);
    if (it != by_identity_.end() && it->second == file.get()) by_identity_.erase(it);
    return true;
  });
  commit({}, removals);
}

void Tailer::check_rotation(File& file) {
  struct stat st {};
  if (::stat(file.source_path.c_str(), &st) == 0 && identity_of(st) == file.identity) return;
  file.state = State::rotated;
  wants_scan_ = true;  // a new file may be waiting at the source path
  // Files that came and went at the source path since the last poll (a burst of rotations, or
  // a starved agent) are siblings written after this one: read them before the newest.
  // Only siblings written after the newest rotated file of the source still open: older unknown
  // ones, if any, were there before the agent followed the path.
  int64_t newest = file.mtime_ns;
  for (const auto& other : files_) {
    if (other->source_path == file.source_path && other->fd >= 0 && other->state != State::active) {
      newest = std::max(newest, other->mtime_ns);
    }
  }
  adopt_unseen_rotations(file.source_path, RotatedAt{file.path, newest}, file.source_key);
  if (Source* source = source_of(file)) ++stats_.sources[source->name].rotations;
  TRIB_LOG(tail, info, "[tail:{}] generation {} rotated away; reading it to its end",
           file.source_path, file.generation);
}

// Whether the bytes before the read position are still the ones read. Checked whenever the file
// changed: grown, or written in place (same size, newer mtime: truncated and regrown to the size
// it had, as two copytruncates between polls can leave it).
bool Tailer::check_same_bytes(File& file, const struct stat& st) {
  const bool untouched =
      static_cast<uint64_t>(st.st_size) == file.size && mtime_ns(st) == file.mtime_ns;
  if (untouched || file.read_check.length == 0) return true;
  const auto same = range_check_matches(file.fd, file.read_check);
  return !same.ok() || *same;
}

// copytruncate copies a file away and then truncates it: what was written after the agent's last
// read is only in the copy. The copy is an unknown sibling named like the source whose head and
// bytes before the read position are the file's. Returns it opened, with its path; fd -1 if none.
std::pair<int, std::string> Tailer::open_copy_of(const std::string& source_path,
                                                 const Fingerprint& head, const RangeCheck& read) {
  const std::string dir = dir_of(source_path);
  const std::string base = source_path.substr(source_path.rfind('/') + 1);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return {-1, ""};
  std::pair<int, std::string> found{-1, ""};
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    const std::string path = dir + "/" + name;
    if (!name.starts_with(base) || path == source_path) continue;
    const int fd = open_read(path);
    struct stat st {};
    if (fd < 0) continue;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !by_identity_.contains(identity_of(st)) &&
        static_cast<uint64_t>(st.st_size) >= read.end &&
        fingerprint_matches(fd, head).value_or(false) &&
        range_check_matches(fd, read).value_or(false)) {
      found = {fd, path};
      break;
    }
    ::close(fd);
  }
  ::closedir(d);
  return found;
}

// The old generation goes on in the copy copytruncate made: read to its end, then finished like
// a rotated file. False when there is no copy.
bool Tailer::continue_in_copy(File& file) {
  const auto [copy, path] = open_copy_of(file.source_path, file.fingerprint, file.read_check);
  if (copy < 0) return false;
  struct stat st {};
  if (::fstat(copy, &st) != 0) {
    ::close(copy);
    return false;
  }
  file.fd = copy;
  file.identity = identity_of(st);
  file.path = path;
  take_stat(file, st);
  file.state = State::rotated;
  by_identity_[file.identity] = &file;
  TRIB_LOG(tail, info, "[tail:{}] generation {} goes on from byte {} in {}, its copy",
           file.source_path, file.generation, file.splitter->fed(), file.path);
  // Other copies made since the generation before this one hold generations never seen in
  // place: made by several copytruncates between two polls, or before a generation restored
  // without a head (nothing read yet) got to its first read.
  int64_t before = 0;
  for (const auto& other : files_) {
    if (other.get() != &file && other->source_path == file.source_path) {
      before = std::max(before, other->mtime_ns);
    }
  }
  adopt_unseen_rotations(
      file.source_path, RotatedAt{file.path, before > 0 ? before : file.mtime_ns}, file.source_key);
  return true;
}

void Tailer::new_generation(File& file, const std::string& why, Building& batch) {
  Source* source = source_of(file);
  if (source != nullptr) ++stats_.sources[source->name].generations;
  auto next = std::make_unique<File>();
  next->source_path = file.source_path;
  next->generation = next_generation(file.source_path);
  next->path = file.path;
  next->identity = file.identity;
  next->fd = std::exchange(file.fd, -1);
  next->source_key = file.source_key;
  next->fingerprint = take_fingerprint(next->fd).value_or(Fingerprint{});
  next->read_check = next->sent = next->acked = start_check();
  next->last_growth_ms = clock_.monotonic_ms();
  next->splitter = std::make_unique<LineSplitter>(
      source != nullptr ? source->options.max_line_bytes : 64 * 1024, 0);
  TRIB_LOG(tail, warn, "[tail:{}] {}: generation {} read up to byte {}, generation {} starts at 0",
           file.source_path, why, file.generation, file.splitter->fed(), next->generation);
  by_identity_[next->identity] = next.get();
  std::vector<FileCheckpoint> updates{checkpoint_of(*next)};
  if (continue_in_copy(file)) {
    updates.push_back(checkpoint_of(file));
  } else {
    end_generation_here(file, source, batch);
  }
  files_.push_back(std::move(next));
  commit(updates, {});
}

// No copy: the old generation ends at what was read, its partial line going out as it is. It is
// finished once its last batch is acknowledged; its identity now belongs to the new generation.
// Bytes written after the last read and before the truncation, if there were any, are lost: the
// gap record says from where.
void Tailer::end_generation_here(File& file, Source* source, Building& batch) {
  if (source != nullptr) {
    file.splitter->flush([&](const Line& line) {
      std::string text;
      Attributes attributes;
      if (!source->processor->process(line.text, text, attributes)) return;
      batch.logs.records.push_back({batch.index_of(file.source_path, source->options),
                                    file.generation, line.offset, clock_.now_us() / 1000,
                                    stream::kLogLineUnterminated, std::move(text),
                                    std::move(attributes)});
    });
  }
  const uint64_t end = file.splitter->consumed();
  add_gap(file, end, end, "truncated: bytes written after the last read, if any, were not seen",
          batch);
  batch.positions.emplace_back(&file, RangeCheck{end, 0, hash_bytes({})});
  file.sent = RangeCheck{end, 0, hash_bytes({})};
  file.state = State::draining;
  file.identity = FileIdentity{};
  batch.finished.push_back(&file);
}

double Tailer::take_tokens(Source& source, double wanted) {
  const uint64_t rate = source.options.rate_limit;
  if (rate == 0) return wanted;
  const int64_t now = clock_.monotonic_ms();
  if (source.tokens_at_ms < 0) {  // a full bucket to start with
    source.tokens = static_cast<double>(rate);
    source.tokens_at_ms = now;
  }
  source.tokens = std::min(static_cast<double>(rate),
                           source.tokens + static_cast<double>(now - source.tokens_at_ms) *
                                               static_cast<double>(rate) / 1000.0);
  source.tokens_at_ms = now;
  const double granted = std::min(wanted, std::floor(source.tokens));
  source.tokens -= granted;
  return granted;
}

bool Tailer::read_file(File& file, Source& source, Building& batch) {
  SourceStats& stats = stats_.sources[source.name];
  bool head_changed = false;
  std::string buffer;
  const uint64_t lines_before = file.splitter->stats().lines;
  const uint64_t split_before = file.splitter->stats().lines_split;
  const uint64_t nul_before = file.splitter->stats().nul_bytes_skipped;
  bool read_any = false;
  while (file.splitter->fed() < file.size &&
         inflight_at_poll_ + batch.bytes < limits_.max_inflight_bytes) {
    if (batch.bytes >= limits_.max_batch_bytes) {
      // A full batch goes now; reading goes on into the next one.
      note_position(file, batch);
      inflight_at_poll_ += batch.bytes;
      send(batch);
      batch = Building{};
    }
    const uint64_t fed = file.splitter->fed();
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(limits_.read_chunk, file.size - fed));
    const auto allowed = static_cast<size_t>(take_tokens(source, static_cast<double>(want)));
    if (allowed == 0) {
      stats.rate_limited_ms += 1;
      break;
    }
    buffer.resize(allowed);
    const ssize_t n = ::pread(file.fd, buffer.data(), allowed, static_cast<off_t>(fed));
    if (n <= 0) break;
    if (!fingerprint_matches(file.fd, file.fingerprint).value_or(true)) {
      // Truncated and written again since the size was taken (copytruncate under a busy
      // writer): these bytes may be the next content's. The poll starts a new generation.
      head_changed = true;
      break;
    }
    if (grow_fingerprint(file, std::string_view(buffer.data(), static_cast<size_t>(n)), fed)) {
      // The generation's first bytes: its head is durable before any of them is sent, so a
      // restart knows which content the parent may hold under this generation.
      commit({checkpoint_of(file)}, {});
    }
    buffer.resize(static_cast<size_t>(n));
    const uint32_t index = batch.index_of(file.source_path, source.options);
    const int64_t now_ms = clock_.now_us() / 1000;
    file.splitter->feed(buffer, [&](const Line& line) {
      std::string text;
      Attributes attributes;
      batch.bytes += line.text.size() + 1;
      if (!source.processor->process(line.text, text, attributes)) return;
      batch.logs.records.push_back(
          {index, file.generation, line.offset, now_ms,
           static_cast<uint8_t>(line.continues ? stream::kLogLineContinues : 0), std::move(text),
           std::move(attributes)});
    });
    stats.bytes_read += static_cast<uint64_t>(n);
    file.read_check =
        buffer.size() >= kCheckBytes
            ? range_check_of(buffer, file.splitter->fed())
            : take_range_check(file.fd, file.splitter->fed()).value_or(file.read_check);
    read_any = true;
  }
  stats.lines_read += file.splitter->stats().lines - lines_before;
  stats.lines_split += file.splitter->stats().lines_split - split_before;
  stats.nul_bytes_skipped += file.splitter->stats().nul_bytes_skipped - nul_before;
  if (read_any) note_position(file, batch);
  backlog_ = backlog_ || file.splitter->fed() < file.size;
  return !head_changed;
}

bool Tailer::grow_fingerprint(File& file, std::string_view bytes, uint64_t offset) {
  if (offset != file.head.size() || file.head.size() >= kFingerprintBytes) return false;
  file.head.append(bytes.substr(0, kFingerprintBytes - file.head.size()));
  const bool was_empty = file.fingerprint.length == 0;
  if (file.head.size() > file.fingerprint.length) file.fingerprint = fingerprint_of(file.head);
  return was_empty && file.fingerprint.length > 0;
}

void Tailer::note_position(File& file, Building& batch) {
  const uint64_t consumed = file.splitter->consumed();
  if (consumed <= file.sent.end) return;
  const auto position = take_range_check(file.fd, consumed);
  if (position.ok()) {
    batch.positions.emplace_back(&file, *position);
    file.sent = *position;
  }
}

void Tailer::finish_if_quiet(File& file, Building& batch) {
  if (file.splitter->fed() < file.size ||
      clock_.monotonic_ms() - file.last_growth_ms < limits_.rotate_wait.count()) {
    return;
  }
  const int64_t now = clock_.now_us() / 1000;
  Source* source = source_of(file);
  if (source != nullptr) {
    file.splitter->flush([&](const Line& line) {
      std::string text;
      Attributes attributes;
      if (!source->processor->process(line.text, text, attributes)) return;
      batch.logs.records.push_back({batch.index_of(file.source_path, source->options),
                                    file.generation, line.offset, now, stream::kLogLineUnterminated,
                                    std::move(text), std::move(attributes)});
    });
  }
  const uint64_t end = file.splitter->consumed();
  const auto position = take_range_check(file.fd, end);
  file.sent = position.ok() ? *position : RangeCheck{end, 0, hash_bytes({})};
  batch.positions.emplace_back(&file, file.sent);
  batch.finished.push_back(&file);
  file.state = State::draining;
  close_file(file);
}

void Tailer::add_gap(File& file, uint64_t from, uint64_t to, const std::string& reason,
                     Building& batch) {
  batch.gaps.gaps.push_back(
      {file.source_path, file.generation, from, to, clock_.now_us() / 1000, reason});
  if (Source* source = source_of(file)) ++stats_.sources[source->name].gaps;
}

void Tailer::enforce_pinned_budget(Building& batch) {
  uint64_t pinned = 0;
  for (const auto& file : files_) {
    if (file->fd >= 0 && file->deleted) pinned += file->size;
  }
  for (auto& file : files_) {
    if (pinned <= limits_.pinned_budget) break;
    if (file->fd < 0 || !file->deleted) continue;
    const uint64_t from = file->splitter->consumed();
    TRIB_LOG(tail, warn,
             "[tail:{}] deleted generation {} pins {} bytes, over the budget of {}: closed, "
             "bytes {}..{} not read",
             file->source_path, file->generation, file->size, limits_.pinned_budget, from,
             file->size);
    add_gap(*file, from, file->size, "pinned-bytes budget: deleted file closed before its end",
            batch);
    pinned -= file->size;
    file->sent = RangeCheck{file->size, 0, hash_bytes({})};
    batch.positions.emplace_back(file.get(), file->sent);
    batch.finished.push_back(file.get());
    file->state = State::draining;
    close_file(*file);
  }
  stats_.pinned_bytes = pinned;
}

void Tailer::poll() {
  commit_acked_when_due();
  Building batch;
  for (auto& gap : restored_gaps_) batch.gaps.gaps.push_back(std::move(gap));
  restored_gaps_.clear();
  const int64_t now_ms = clock_.monotonic_ms();
  inflight_at_poll_ = inflight_bytes();
  backlog_ = false;
  // new_generation() appends to files_: iterate by index over the files present now.
  const size_t count = files_.size();
  for (size_t i = 0; i < count; ++i) {
    File& file = *files_[i];
    if (file.fd < 0 || file.state == State::done || file.state == State::draining) continue;
    Source* source = source_of(file);
    if (source == nullptr) continue;
    if (file.state == State::active) check_rotation(file);
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) continue;
    const auto size = static_cast<uint64_t>(st.st_size);
    file.deleted = st.st_nlink == 0;
    if (size < file.splitter->fed()) {
      new_generation(file, "truncated to " + std::to_string(size) + " bytes", batch);
      continue;
    }
    if (!check_same_bytes(file, st)) {
      new_generation(file, "the bytes before the read position changed", batch);
      continue;
    }
    file.mtime_s = st.st_mtim.tv_sec;
    file.mtime_ns = mtime_ns(st);
    if (size != file.size) file.last_growth_ms = now_ms;
    file.size = size;
    if (!read_file(file, *source, batch)) {
      new_generation(file, "the head changed while reading", batch);
      continue;
    }
    if (file.state == State::rotated) finish_if_quiet(file, batch);
  }
  enforce_pinned_budget(batch);
  send(batch);
}

void Tailer::send(Building& batch) {
  if (batch.empty()) return;
  const uint64_t ticket = next_ticket_++;
  pending_.push_back(PendingAck{ticket, std::move(batch.positions), std::move(batch.finished)});
  emit_(TailBatch{ticket, std::move(batch.logs), std::move(batch.gaps)});
}

uint64_t Tailer::inflight_bytes() const {
  uint64_t total = 0;
  for (const auto& file : files_)
    total += file->sent.end - std::min(file->sent.end, file->acked.end);
  return total;
}

void Tailer::acked(uint64_t ticket) {
  std::vector<FileCheckpoint> updates;
  std::vector<std::pair<std::string, uint64_t>> removals;
  std::set<File*> erase;
  while (!pending_.empty() && pending_.front().ticket <= ticket) {
    PendingAck& ack = pending_.front();
    for (auto& [file, position] : ack.positions) file->acked = position;
    for (File* file : ack.finished) {
      if (file->identity == FileIdentity{}) {
        removals.emplace_back(file->source_path, file->generation);
        erase.insert(file);
      } else {
        file->state = State::done;
      }
    }
    for (auto& [file, position] : ack.positions) {
      if (!erase.contains(file)) updates.push_back(checkpoint_of(*file));
    }
    pending_.pop_front();
  }
  stage(updates, removals);
  acked_staged_ = true;
  commit_acked_when_due();
  std::erase_if(files_, [&](const std::unique_ptr<File>& f) { return erase.contains(f.get()); });
}

void Tailer::commit_acked_when_due() {
  const int64_t now_ms = clock_.monotonic_ms();
  if (!acked_staged_ || now_ms - last_ack_commit_ms_ < limits_.ack_commit_interval.count()) return;
  last_ack_commit_ms_ = now_ms;
  write_staged();
}

void Tailer::rewind() {
  pending_.clear();
  for (auto& file : files_) {
    if (file->fd < 0 || file->state == State::done) continue;
    if (file->state == State::draining) file->state = State::rotated;
    Source* source = source_of(*file);
    file->splitter = std::make_unique<LineSplitter>(
        source != nullptr ? source->options.max_line_bytes : 64 * 1024, file->acked.end);
    file->sent = file->read_check = file->acked;
  }
}

FileCheckpoint Tailer::checkpoint_of(const File& file) const {
  return FileCheckpoint{
      file.source_path, file.generation,          file.path, file.identity, file.fingerprint,
      file.acked,       file.state == State::done};
}

// Checkpoint changes wait in memory until a commit succeeds (a full or read-only disk fails it):
// the next commit, from the next ack or scan, writes them all.
void Tailer::commit(const std::vector<FileCheckpoint>& updates,
                    const std::vector<std::pair<std::string, uint64_t>>& removals) {
  stage(updates, removals);
  write_staged();
}

void Tailer::stage(const std::vector<FileCheckpoint>& updates,
                   const std::vector<std::pair<std::string, uint64_t>>& removals) {
  for (const FileCheckpoint& c : updates) {
    uncommitted_removals_.erase({c.source, c.generation});
    uncommitted_updates_[{c.source, c.generation}] = c;
  }
  for (const auto& key : removals) {
    uncommitted_updates_.erase(key);
    uncommitted_removals_.insert(key);
  }
}

void Tailer::write_staged() {
  if (uncommitted_updates_.empty() && uncommitted_removals_.empty() && dirty_generations_.empty()) {
    return;
  }
  std::vector<FileCheckpoint> all_updates;
  all_updates.reserve(uncommitted_updates_.size());
  for (const auto& [key, c] : uncommitted_updates_) all_updates.push_back(c);
  const std::vector<std::pair<std::string, uint64_t>> all_removals(uncommitted_removals_.begin(),
                                                                   uncommitted_removals_.end());
  const auto start = std::chrono::steady_clock::now();
  const Status status = store_.commit(all_updates, all_removals, dirty_generations_);
  if (!status.ok()) {
    ++stats_.checkpoint_commit_errors;
    uint64_t suppressed = 0;
    if (commit_error_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(tail, error,
               "[tail] checkpoint commit failed ({} change(s) kept in memory, retried with the "
               "next one; {} similar message(s) suppressed): {}",
               all_updates.size() + all_removals.size(), suppressed, status.error().describe());
    }
    return;
  }
  uncommitted_updates_.clear();
  uncommitted_removals_.clear();
  dirty_generations_.clear();
  acked_staged_ = false;
  ++stats_.checkpoint_commits;
  stats_.last_commit_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void Tailer::close_file(File& file) {
  if (file.fd >= 0) ::close(file.fd);
  file.fd = -1;
}

const TailerStats& Tailer::stats() {
  const int64_t now_s = clock_.now_us() / 1'000'000;
  for (auto& source : sources_) {
    SourceStats& s = stats_.sources[source->name];
    s.bytes_behind = 0;
    s.seconds_behind = 0;
    s.files = 0;
    s.lines_sampled_out = source->processor->stats().lines_sampled_out;
    s.lines_unparsed = source->processor->stats().lines_unparsed;
    for (const auto& file : files_) {
      if (file->source_key != source->key || file->fd < 0) continue;
      ++s.files;
      const uint64_t fed = file->splitter->fed();
      if (file->size > fed) {
        s.bytes_behind += file->size - fed;
        s.seconds_behind = std::max<int64_t>(s.seconds_behind, now_s - file->mtime_s);
      }
    }
  }
  stats_.inflight_bytes = inflight_bytes();
  return stats_;
}

std::vector<std::string> Tailer::watch_roots() const {
  std::set<std::string> roots;
  for (const auto& source : sources_) {
    for (const auto& pattern : source->options.paths) roots.insert(watch_root(pattern));
  }
  return {roots.begin(), roots.end()};
}

}  // namespace trib::agent::logs

#pragma once
// The tailer: finds the files of each log source, follows them through rotations, splits and
// processes their lines and hands batches of records out, each with a ticket. Checkpoints move
// only when acked(ticket) says the parent stored that batch; reading pauses while too many bytes
// wait for an ack, so a slow or absent parent delays reading but loses nothing.
//
// A file is one *generation* of a source: the path it was first found at (its source path) and a
// number that grows with every new file at that path and every truncation. Records are named by
// (source path, generation, offset), which the parent uses to store each line once.
//
// Rotation: a file whose source path no longer names it (renamed, deleted, replaced) is read to
// its end, then closed once it has been quiet for rotate_wait and everything is acknowledged.
// Deleted files still open pin disk space; past pinned_budget the oldest is closed and a gap
// record says which bytes were never read. A file shorter than what was read, or whose bytes
// before the read position changed, starts a new generation from byte 0.
//
// Not thread-safe: owned by the agent's tail thread, which calls scan() and poll() from timers.

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/logs/checkpoint_store.h"
#include "agent/logs/file_identity.h"
#include "agent/logs/line_processor.h"
#include "agent/logs/line_splitter.h"
#include "agent/logs/log_options.h"
#include "common/base/result.h"
#include "common/log/log.h"
#include "common/stream/messages.h"
#include "common/time/clock.h"

namespace trib::agent::logs {

struct TailerLimits {
  size_t max_inflight_bytes = 16 << 20;  // read but not yet acknowledged, all files together
  size_t max_batch_bytes = 1 << 20;      // line bytes per batch
  size_t read_chunk = 256 << 10;
  uint64_t pinned_budget = uint64_t{1} << 30;   // bytes of deleted files kept open
  std::chrono::milliseconds rotate_wait{5000};  // quiet time before a rotated file is closed
  // Checkpoints moved on by acks are committed at most this often: a busy file is acked many
  // times a second, and each commit is a disk sync. Until then an advance lives in memory; after
  // a crash those lines are read again and the parent drops them as stored already.
  std::chrono::milliseconds ack_commit_interval{250};
};

// One batch out: its records and gaps go to the parent; `ticket` comes back through acked().
struct TailBatch {
  uint64_t ticket = 0;
  stream::LogsMsg logs;
  stream::GapsMsg gaps;
};

struct SourceStats {
  uint64_t lines_read = 0;
  uint64_t bytes_read = 0;
  uint64_t lines_split = 0;
  uint64_t nul_bytes_skipped = 0;
  uint64_t lines_sampled_out = 0;
  uint64_t lines_unparsed = 0;
  uint64_t rotations = 0;
  uint64_t generations = 0;  // new generations from truncation, inode reuse, changed bytes
  uint64_t gaps = 0;
  uint64_t bytes_behind = 0;   // lag: bytes in the files not yet read
  int64_t seconds_behind = 0;  // lag: age of the oldest unread modification
  uint64_t files = 0;
  uint64_t rate_limited_ms = 0;  // time reading waited for the rate limit
  // Per scan that met them: retried at every scan, read from byte 0 once they open.
  uint64_t not_regular_files = 0;  // directories, FIFOs... where a log file was expected
  uint64_t open_errors = 0;        // matching files that did not open (permission denied...)
};

struct TailerStats {
  std::map<std::string, SourceStats> sources;  // by source name ("logs.sources.<i>")
  uint64_t pinned_bytes = 0;
  uint64_t inflight_bytes = 0;
  uint64_t checkpoint_commits = 0;
  uint64_t checkpoint_commit_errors = 0;  // failed commits (disk full, read-only): retried
  double last_commit_ms = 0;
};

class Tailer {
 public:
  using Emit = std::function<void(TailBatch)>;

  // Loads every checkpoint and reopens the files they name (or finds them among their siblings
  // after rotations while the agent was stopped).
  static Result<std::unique_ptr<Tailer>> create(CheckpointStore& store, const time::Clock& clock,
                                                TailerLimits limits, Emit emit);
  ~Tailer();
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  // Applies (new) sources: a pattern RE2 rejects fails the whole set, naming the source. Files of
  // removed sources are closed (their checkpoints stay, for when the source comes back).
  Status configure(const LogsOptions& options);
  // Looks for new, renamed and vanished files now.
  void scan();
  // Reads what is new and emits batches; also notices rotations and truncations.
  void poll();
  // The batch with this ticket (and every earlier one) is stored by the parent.
  void acked(uint64_t ticket);

  // Every batch not acknowledged yet is forgotten (its sender is gone) and read again from the
  // acknowledged positions.
  void rewind();

  // The last poll stopped with bytes left to read (waiting for acks, or the rate limit): the
  // service polls again when an ack arrives instead of waiting for its timer.
  bool has_backlog() const { return backlog_; }

  // A rescan is due soon (a file vanished from its path); the agent's timer asks.
  bool wants_scan() const { return wants_scan_; }
  std::chrono::seconds scan_interval() const { return scan_interval_; }
  // No source configured: nothing to poll.
  bool has_sources() const { return !sources_.empty(); }
  const TailerStats& stats();
  std::vector<std::string> watch_roots() const;

 private:
  enum class State { active, rotated, draining, done };
  struct Source {
    std::string name;  // "logs.sources.<i>", for logs and metrics
    std::string key;   // the paths joined: identifies the source across reloads
    LogSourceOptions options;
    std::unique_ptr<LineProcessor> processor;
    double tokens = 0;          // rate limit bucket, bytes
    int64_t tokens_at_ms = -1;  // monotonic; -1: not started
    bool scanned = false;
  };
  struct File {
    std::string source_path;
    uint64_t generation = 0;
    std::string path;
    FileIdentity identity;
    Fingerprint fingerprint;
    // The first bytes read of this generation (up to kFingerprintBytes): the fingerprint grows
    // with them, so a file first seen empty or short is still recognised when rewritten.
    std::string head;
    int fd = -1;
    std::string source_key;  // which configured source reads it; empty: none now
    std::unique_ptr<LineSplitter> splitter;
    RangeCheck read_check;  // of the bytes before splitter->fed()
    RangeCheck sent;        // position after the last batch handed out
    RangeCheck acked;       // position the parent has: the checkpoint
    State state = State::active;
    uint64_t size = 0;
    int64_t last_growth_ms = 0;
    int64_t mtime_s = 0;
    int64_t mtime_ns = 0;
    bool deleted = false;  // no links left: pins disk space
  };
  struct PendingAck {
    uint64_t ticket = 0;
    std::vector<std::pair<File*, RangeCheck>> positions;
    std::vector<File*> finished;  // fully read and closed once this is acked
  };
  struct Building;  // the batch under construction

  Tailer(CheckpointStore& store, const time::Clock& clock, TailerLimits limits, Emit emit)
      : store_(store), clock_(clock), limits_(limits), emit_(std::move(emit)) {}

  void take_stat(File& file, const struct stat& st);
  void restore(std::vector<FileCheckpoint> checkpoints);
  class DirectoryInodes;
  void restore_one(FileCheckpoint checkpoint, DirectoryInodes& directories);
  void resume_restored(std::unique_ptr<File> file, int fd, const std::string& path,
                       const struct stat& st);
  struct RotatedAt {
    std::string path;  // where a known generation of the source was found, rotated
    int64_t mtime_ns = 0;
  };
  void adopt_unseen_rotations(const std::string& source, const RotatedAt& rotated,
                              const std::string& source_key);
  Source* source_of(const File& file);
  bool is_copy_of_followed_generation(const std::string& source, int fd) const;
  void adopt_generations_missed_at(const std::string& source_path, const std::string& source_key);
  void scan_source(Source& source, std::set<std::string>& seen_paths);
  void track_new_file(Source& source, const std::string& path, int fd, const struct stat& st,
                      bool from_end);
  bool still_exists(File& file, DirectoryInodes& directories);
  void forget_vanished_done_files();
  bool same_head(const File& file, const std::string& path);
  void forget(File& file);  // a done file: its checkpoint and its entry go
  void check_rotation(File& file);
  bool check_same_bytes(File& file, const struct stat& st);
  std::pair<int, std::string> open_copy_of(const std::string& source_path, const Fingerprint& head,
                                           const RangeCheck& read);
  bool continue_in_copy(File& file);
  void new_generation(File& file, const std::string& why, Building& batch);
  void end_generation_here(File& file, Source* source, Building& batch);
  // False when the file's head changed under the read: it is a new generation.
  bool read_file(File& file, Source& source, Building& batch);
  // True when these are the generation's first bytes (its fingerprint was empty).
  static bool grow_fingerprint(File& file, std::string_view bytes, uint64_t offset);
  void finish_if_quiet(File& file, Building& batch);
  void note_position(File& file, Building& batch);
  void enforce_pinned_budget(Building& batch);
  void add_gap(File& file, uint64_t from, uint64_t to, const std::string& reason, Building& batch);
  void close_file(File& file);
  void send(Building& batch);
  uint64_t inflight_bytes() const;
  double take_tokens(Source& source, double wanted);
  FileCheckpoint checkpoint_of(const File& file) const;
  // Stages the changes with those a failed or deferred commit left, then writes them all.
  void commit(const std::vector<FileCheckpoint>& updates,
              const std::vector<std::pair<std::string, uint64_t>>& removals);
  void stage(const std::vector<FileCheckpoint>& updates,
             const std::vector<std::pair<std::string, uint64_t>>& removals);
  void write_staged();
  // Writes what acks staged once ack_commit_interval has passed since the last such write.
  void commit_acked_when_due();
  uint64_t next_generation(const std::string& source_path);

  CheckpointStore& store_;
  const time::Clock& clock_;
  TailerLimits limits_;
  Emit emit_;
  std::chrono::seconds scan_interval_{30};
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<std::unique_ptr<File>> files_;
  std::map<FileIdentity, File*> by_identity_;
  std::deque<PendingAck> pending_;
  std::vector<stream::LogGap> restored_gaps_;  // found while restoring, sent with the next batch
  // The newest generation found rotated while the agent was stopped, by source path (restore).
  std::map<std::string, RotatedAt> rotated_while_stopped_;
  std::map<std::string, uint64_t> generations_;        // last handed out, per source path
  std::map<std::string, uint64_t> dirty_generations_;  // not committed yet
  // Checkpoint changes a failed commit left, by (source path, generation).
  std::map<std::pair<std::string, uint64_t>, FileCheckpoint> uncommitted_updates_;
  std::set<std::pair<std::string, uint64_t>> uncommitted_removals_;
  log::RateLimitedLog commit_error_log_{std::chrono::seconds(60)};
  uint64_t next_ticket_ = 1;
  bool acked_staged_ = false;  // acks staged changes not written yet
  int64_t last_ack_commit_ms_ = INT64_MIN / 2;
  uint64_t inflight_at_poll_ = 0;
  bool backlog_ = false;
  bool wants_scan_ = false;
  TailerStats stats_;
  log::RateLimitedLog odd_file_log_{std::chrono::seconds(300)};
};

}  // namespace trib::agent::logs

#pragma once
// Test support: real binaries started as child processes, a blocking loopback HTTP client and
// scratch directories. For integration tests only (they block; no event loop involved).

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace trib::test {

// A directory under $TMPDIR removed (recursively) when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

// A child process with stdout and stderr going to `log_path`. Stopped (SIGTERM, then SIGKILL
// after a grace) when destroyed.
class Process {
 public:
  Process(const std::string& binary, const std::vector<std::string>& args,
          const std::string& log_path, const std::map<std::string, std::string>& env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signum` (SIGHUP for a reload, ...) and returns at once.
  void signal(int signum);
  // Sends a signal; for SIGTERM/SIGINT waits up to `grace` and returns the exit code (-1 if it
  // had to be killed).
  int stop(int signum = 15, std::chrono::milliseconds grace = std::chrono::seconds(10));
  void kill_hard();  // SIGKILL, no goodbye: a crash as the parent sees it
  // Waits for the process to exit by itself; returns its exit code, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds limit);
  std::string log() const { return read_file(log_path_); }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  bool exited_ = false;
  std::string log_path_;
};

struct HttpResult {
  int status = 0;  // 0: could not connect / no answer
  std::string body;
};
// GET http://127.0.0.1:<port><path>, Connection: close, with a timeout.
HttpResult http_get(uint16_t port, const std::string& path,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Sends raw bytes to 127.0.0.1:port and returns everything read until the peer closes or the
// timeout passes.
std::string raw_exchange(uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Writes to a temporary file beside `path`, then renames it over `path`: a reader polling the
// file never sees it half written.
void write_file_atomically(const std::string& path, const std::string& content);

// How many times `needle` occurs in `text`.
size_t count_of(const std::string& text, const std::string& needle);

// A binary run to its end: its exit code (-1: still running after the limit, then killed), its
// stdout and stderr together, and how long it took.
struct RunResult {
  int exit_code = -1;
  std::string output;
  std::chrono::milliseconds took{0};
};
RunResult run_to_exit(const std::string& binary, const std::vector<std::string>& args,
                      std::chrono::milliseconds limit = std::chrono::seconds(5));

// Polls `condition` every 100 ms until it holds or `limit` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

// A free TCP port on 127.0.0.1 (bound and released; good enough for tests on loopback).
uint16_t free_port();

// Built binaries (TRIB_BINARY_DIR).
std::string agent_binary();
std::string parent_binary();
std::string loadgen_binary();

}  // namespace trib::test

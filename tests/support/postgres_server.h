#pragma once
// A throwaway PostgreSQL server for tests: Debian's `postgresql` package (initdb, pg_ctl from
// /usr/lib/postgresql/<version>/bin), a cluster in a scratch directory, listening on a free
// loopback port with trust authentication, stopped and removed when the object goes away.
// PostgreSQL refuses to run as root, so under root it runs as the unprivileged user
// `tributary-test` (created with useradd when missing).
//
// Blocking; for tests only. Tests call PostgresServer::shared() and GTEST_SKIP with
// unavailable_reason() when the package is not installed.

#include <cstdint>
#include <memory>
#include <string>

#include "support/process.h"

namespace trib::test {

class PostgresServer {
 public:
  // Starts a server; on failure started() is false and why() says what went wrong.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // One server per test process, started on first use, stopped at exit.
  static PostgresServer& shared();

  bool started() const { return started_; }
  const std::string& why() const { return why_; }
  uint16_t port() const { return port_; }

  // Creates an empty database with a fresh name and returns its postgresql:// URL ("" and
  // why() on failure).
  std::string create_database();

 private:
  // Runs a PostgreSQL binary as the server's user; its output on failure goes to why_.
  bool run(const std::string& program, const std::vector<std::string>& args);

  std::unique_ptr<TempDir> dir_;
  std::string bin_dir_;
  std::string user_;  // empty: the current user
  uint16_t port_ = 0;
  int databases_ = 0;
  bool started_ = false;
  std::string why_;
};

}  // namespace trib::test

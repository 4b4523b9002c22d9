#include "support/postgres_server.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>

namespace trib::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTestUser = "tributary-test";

// The newest installed server's bin directory, or "".
std::string postgres_bin_dir() {
  std::string best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl") &&
        (best.empty() || bin.string() > best)) {
      best = bin.string();
    }
  }
  return best;
}

}  // namespace

PostgresServer::PostgresServer() {
  bin_dir_ = postgres_bin_dir();
  if (bin_dir_.empty()) {
    why_ =
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install "
        "postgresql";
    return;
  }
  dir_ = std::make_unique<TempDir>();
  if (::geteuid() == 0) {
    user_ = kTestUser;
    if (::getpwnam(kTestUser) == nullptr &&
        run_to_exit("/usr/sbin/useradd",
                    {"--system", "--no-create-home", "--shell", "/usr/sbin/nologin", kTestUser})
                .exit_code != 0) {
      why_ = std::string("cannot create the unprivileged user ") + kTestUser;
      return;
    }
    const passwd* pw = ::getpwnam(kTestUser);
    if (pw == nullptr || ::chown(dir_->path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      why_ = "cannot give " + dir_->path() + " to " + kTestUser;
      return;
    }
  }
  port_ = free_port();
  const std::string data = *dir_ / "data";
  if (!run("initdb", {"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"})) {
    return;
  }
  // fsync off: the tests check behaviour, not durability, and share two cores.
  const std::string options = "-p " + std::to_string(port_) + " -k " + dir_->path() +
                              " -c listen_addresses=127.0.0.1 -c fsync=off";
  if (!run("pg_ctl",
           {"-D", data, "-o", options, "-l", *dir_ / "server.log", "-w", "-t", "60", "start"})) {
    why_ += read_file(*dir_ / "server.log");
    return;
  }
  started_ = true;
}

PostgresServer::~PostgresServer() {
  if (started_) run("pg_ctl", {"-D", *dir_ / "data", "-m", "immediate", "-w", "stop"});
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

std::string PostgresServer::create_database() {
  if (!started_) return {};
  const std::string name = "trib_test_" + std::to_string(++databases_);
  if (!run("createdb", {"-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres", name})) {
    return {};
  }
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

bool PostgresServer::run(const std::string& program, const std::vector<std::string>& args) {
  std::string binary = bin_dir_ + "/" + program;
  std::vector<std::string> argv = args;
  if (!user_.empty()) {
    argv.insert(argv.begin(), {"-u", user_, "--", binary});
    binary = "/usr/sbin/runuser";
  }
  const RunResult result = run_to_exit(binary, argv, std::chrono::seconds(90));
  if (result.exit_code == 0) return true;
  why_ = program + " failed (exit " + std::to_string(result.exit_code) + "): " + result.output;
  return false;
}

}  // namespace trib::test

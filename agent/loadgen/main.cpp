// tributary-loadgen: simulated agents streaming to a parent (see agent/loadgen/loadgen.h).
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/loadgen/loadgen.h"
#include "common/net/openssl/tls_openssl.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = trib::agent::loadgen::parse_args(args);
  if (!options.ok()) {
    std::fprintf(stderr, "%s\n", options.error().message.c_str());
    return 2;
  }
  // OpenSSL writes to the sockets itself (no MSG_NOSIGNAL): a parent that goes away must be an
  // error on that connection, not the end of the process.
  std::signal(SIGPIPE, SIG_IGN);
  // It drives OpenSSL over its own sockets: its contexts must be OpenSSL's, linked in.
  trib::net::use_tls_backend(trib::net::openssl_tls_backend());
  auto report = trib::agent::loadgen::run(*options);
  if (!report.ok()) {
    std::fprintf(stderr, "tributary-loadgen: %s\n", report.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", trib::agent::loadgen::to_json(*report).c_str());
  return trib::agent::loadgen::did_work(*report) ? 0 : 1;
}

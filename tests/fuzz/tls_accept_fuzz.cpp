// Arbitrary bytes as the first flights of a client on a TLS port: the first-byte sort
// (looks_like_tls) and a server TlsEngine fed the bytes in two pieces, as a socket may deliver
// them. Whatever comes, the engine reports an error or waits for more; it never crashes, and
// after an error it still yields its alert.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/net/tls.h"
#include "support/process.h"
#include "support/test_certs.h"

namespace {

std::shared_ptr<const trib::net::TlsContext> server_context() {
  static trib::test::TempDir dir;
  static const trib::test::TestCerts certs(dir.path());
  static auto context =
      trib::net::TlsContext::server({certs.server.cert, certs.server.key, certs.ca_file});
  return context.ok() ? *context : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || !trib::net::looks_like_tls(data[0])) return 0;
  static const auto context = server_context();
  if (!context) __builtin_trap();
  auto engine = trib::net::TlsEngine::create(context);
  if (!engine.ok()) __builtin_trap();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = static_cast<size_t>(data[0]) % size;
  auto fed = (*engine)->feed(input.substr(0, split));
  if (!(*engine)->handshake_done() && !(*engine)->plaintext().empty()) __builtin_trap();
  if (fed.ok()) fed = (*engine)->feed(input.substr(split));
  (void)(*engine)->take_output();
  // Without a finished handshake there is no application data to hand on.
  if (!(*engine)->handshake_done() && !(*engine)->plaintext().empty()) __builtin_trap();
  return 0;
}

#pragma once
// The OpenSSL TLS backend. Linked into the parent, tributary-loadgen and the tests (which
// install it with use_tls_backend()), and built into the module libtrib_tls.so that the agent
// loads on first use (tls_backend.h). Only code that links OpenSSL includes this header.

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "common/base/result.h"
#include "common/net/tls_backend.h"

namespace trib::net {

const TlsBackend& openssl_tls_backend();

// For code that drives OpenSSL over its own non-blocking socket instead of a TlsEngine
// (tributary-loadgen's poll() loop): the SSL_CTX of a context made by openssl_tls_backend()
// (null for any other), the same peer-name check and the same error texts.
SSL_CTX* openssl_context(const TlsContext& context);
// Makes the client `ssl` check the server's certificate against `server_name` (an IP address
// or a host name) and send it as SNI when it is a name.
Status expect_peer_name(SSL* ssl, const std::string& server_name);
// The error for an OpenSSL call on `ssl` that returned `ssl_result`: the certificate's verify
// reason when verification (`verifies_peer`) is what failed, else OpenSSL's error queue.
Error tls_failure(SSL* ssl, bool verifies_peer, int ssl_result, std::string_view doing);
// A write BIO that appends what OpenSSL writes to `*sink` (which must outlive it): records go
// straight into the buffer that is sent, where a memory BIO would hold them for a second copy.
// For the loadgen's own OpenSSL loop; a TlsEngine uses one for take_output().
BIO* new_append_bio(std::string* sink);

}  // namespace trib::net

// TLS for the Engine API on tcp:// (berthd's --tls/--tlsverify, berth's client flags).
//
// Rather than teach every reader and writer of a connection (HTTP parsing, chunked bodies,
// hijacked attach/exec streams polled with poll()) about TLS, a TLS connection is handed
// to a relay thread after the handshake: it decrypts into one end of a socketpair and
// encrypts what comes back, and the rest of the code keeps working on a plain fd. Half-
// closes pass through both ways (close_notify <-> shutdown(SHUT_WR)), which attach's stdin
// needs.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::tls {

struct Options {
  std::string ca_file;    // verify the peer against these CAs ("" = no verification)
  std::string cert_file;  // our certificate ("" = none; a server needs one)
  std::string key_file;
  bool verify_peer = false;  // server: require a client certificate signed by ca_file
};

// A TLS configuration. OpenSSL lives in a module, berth-tls.so, loaded the first time a
// context is made (load.cc): berthd and berth without TLS never map libssl and libcrypto,
// which cost ~1.6 MiB of berthd's resident memory and ~1 ms of every berth command's start.
class Context {
 public:
  // A server's context: cert and key required; with verify_peer, clients must present a
  // certificate the CA signed.
  static Result<std::shared_ptr<Context>> server(const Options& o);
  // A client's context: with verify_peer, the server's certificate must be signed by the CA
  // and name the host dialled.
  static Result<std::shared_ptr<Context>> client(const Options& o);
  virtual ~Context() = default;

  // Handshakes on the connected socket `tcp` (within `timeout_ms`), then relays it on a
  // detached thread. Returns the plain end of the relay. `peer_host` is the name or address
  // a client checks the server's certificate against.
  virtual Result<UniqueFd> wrap(UniqueFd tcp, const std::string& peer_host = "",
                                int timeout_ms = 10000) const = 0;
};

// The module's one entry point, looked up by this name.
using MakeContext = void(const Options& o, bool server, Result<std::shared_ptr<Context>>& out);
inline constexpr const char* kMakeContextSymbol = "berth_tls_make_context";
inline constexpr const char* kModuleName = "berth-tls.so";

}  // namespace berth::tls

// The relay between a TLS connection and the plain socket the rest of berth reads (tls.h).
#pragma once

#include <openssl/ssl.h>

namespace berth::tls {

// Copies both ways between `ssl` (over the socket `tcp`) and `local` until both directions
// have ended, then frees ssl and closes both fds. A peer's close_notify becomes
// shutdown(local, SHUT_WR); EOF on local becomes our close_notify.
void relay(SSL* ssl, int tcp, int local);

}  // namespace berth::tls

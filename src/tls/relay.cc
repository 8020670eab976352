#include "tls/relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace berth::tls {

namespace {

constexpr size_t kHighWater = 256 * 1024;  // stop reading a side while this much waits

void set_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

}  // namespace

void relay(SSL* ssl, int tcp, int local) {
  set_nonblocking(tcp);
  set_nonblocking(local);
  std::string to_local, to_remote;
  bool remote_done = false;   // the peer sent close_notify, closed, or failed
  bool local_done = false;    // EOF (or an error) reading local
  bool local_shut = false;    // we passed the peer's end on with shutdown(SHUT_WR)
  bool local_broken = false;  // local no longer takes data
  bool notified = false;      // our close_notify went out
  bool fatal = false;         // the TLS connection failed: nothing more to send either
  char buf[16384];

  for (;;) {
    bool tls_wants_read = false, tls_wants_write = false;
    // The peer -> local. SSL_read until it would block: decrypted bytes can sit in OpenSSL
    // while the socket has nothing more to read.
    while (!remote_done && to_local.size() < kHighWater) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n > 0) {
        if (!local_broken) to_local.append(buf, static_cast<size_t>(n));
        continue;
      }
      int e = SSL_get_error(ssl, n);
      if (e == SSL_ERROR_WANT_READ) {
        tls_wants_read = true;
      } else if (e == SSL_ERROR_WANT_WRITE) {
        tls_wants_write = true;
      } else {
        remote_done = true;  // close_notify, a plain TCP close, or an error
        fatal = e != SSL_ERROR_ZERO_RETURN;
      }
      break;
    }
    while (!to_local.empty() && !local_broken) {
      ssize_t n = ::write(local, to_local.data(), to_local.size());
      if (n > 0) {
        to_local.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        break;
      } else {
        local_broken = true;
        to_local.clear();
      }
    }
    if (remote_done && to_local.empty() && !local_shut) {
      ::shutdown(local, SHUT_WR);
      local_shut = true;
    }

    // local -> the peer.
    while (!local_done && to_remote.size() < kHighWater) {
      ssize_t n = ::read(local, buf, sizeof buf);
      if (n > 0) {
        to_remote.append(buf, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        if (n == 0 || errno != EAGAIN) local_done = true;
        break;
      }
    }
    if (fatal) to_remote.clear();
    while (!to_remote.empty()) {
      int n = SSL_write(ssl, to_remote.data(),
                        static_cast<int>(std::min<size_t>(to_remote.size(), 16384)));
      if (n > 0) {
        to_remote.erase(0, static_cast<size_t>(n));
        continue;
      }
      int e = SSL_get_error(ssl, n);
      if (e == SSL_ERROR_WANT_WRITE) {
        tls_wants_write = true;
      } else if (e == SSL_ERROR_WANT_READ) {
        tls_wants_read = true;
      } else {
        fatal = remote_done = true;
        to_remote.clear();
      }
      break;
    }
    if (local_done && to_remote.empty() && !notified) {
      // close_notify (the peer's answer is not awaited); a full socket keeps it queued in
      // OpenSSL until the socket takes it
      int r = fatal ? 0 : SSL_shutdown(ssl);
      int e = r < 0 ? SSL_get_error(ssl, r) : SSL_ERROR_NONE;
      if (e == SSL_ERROR_WANT_WRITE)
        tls_wants_write = true;
      else if (e == SSL_ERROR_WANT_READ)
        tls_wants_read = true;
      else
        notified = true;
    }

    // Done when nothing more can flow either way: our side has ended and been notified,
    // and the peer has ended (or local takes nothing more from it).
    bool inbound_over = (remote_done && to_local.empty()) || local_broken;
    if (notified && inbound_over) break;
    if (fatal && to_local.empty()) break;

    pollfd p[2] = {{tcp, 0, 0}, {local, 0, 0}};
    if ((!remote_done && to_local.size() < kHighWater) || tls_wants_read) p[0].events |= POLLIN;
    if (tls_wants_write) p[0].events |= POLLOUT;
    if (!local_done && to_remote.size() < kHighWater) p[1].events |= POLLIN;
    if (!to_local.empty() && !local_broken) p[1].events |= POLLOUT;
    // a side we wait nothing from is left out: poll reports HUP even for no events
    for (auto& f : p)
      if (f.events == 0) f.fd = -1;
    if (p[0].fd < 0 && p[1].fd < 0) break;
    int r = ::poll(p, 2, -1);
    if (r < 0 && errno != EINTR) break;
  }
  SSL_free(ssl);
  ::close(tcp);
  ::close(local);
}

}  // namespace berth::tls

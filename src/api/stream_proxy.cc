#include "api/stream_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "base/io.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::api {

std::string parse_detach_keys(const std::string& spec) {
  std::string keys;
  for (auto& k : split(spec.empty() ? "ctrl-p,ctrl-q" : spec, ',')) {
    if (k.size() == 6 && k.starts_with("ctrl-")) {
      char ch = k[5];
      if (ch >= 'a' && ch <= 'z')
        keys += static_cast<char>(ch - 'a' + 1);
      else if (ch == '@')
        keys += '\0';
      else if (ch == '[')
        keys += '\x1b';
    } else if (k.size() == 1) {
      keys += k[0];
    }
  }
  return keys;
}

ProxyEnd proxy_stream(RawStream& client, int shim_fd, const ProxyOptions& opt) {
  // client -> shim (stdin) on its own thread; shim -> client here. The stdin side wakes the
  // output side through `wake` when the client detaches.
  int wp[2];
  if (pipe2(wp, O_CLOEXEC) < 0) return ProxyEnd::ClientGone;
  UniqueFd wake_r(wp[0]), wake_w(wp[1]);
  std::atomic<bool> detached{false};
  std::string keys = parse_detach_keys(opt.detach_keys);
  std::thread in_thread;
  if (opt.client_stdin) {
    in_thread = std::thread([&client, shim_fd, &keys, &opt, &detached, &wake_w] {
      char buf[32768];
      size_t matched = 0;
      for (;;) {
        ssize_t n = client.read(buf, sizeof buf);
        if (n <= 0) break;
        std::string out;
        bool detach = false;
        for (ssize_t i = 0; i < n; ++i) {
          // Docker honours the detach keys only on a tty.
          if (opt.tty && !keys.empty() && buf[i] == keys[matched]) {
            if (++matched == keys.size()) {
              detach = true;
              break;
            }
            continue;
          }
          out.append(keys, 0, matched);
          matched = 0;
          out += buf[i];
        }
        if (!out.empty() && !send_all(shim_fd, out)) break;
        if (detach) {
          detached = true;
          [[maybe_unused]] auto w = ::write(wake_w.get(), "x", 1);
          return;
        }
      }
      ::shutdown(shim_fd, SHUT_WR);  // stdin's EOF
    });
  }
  shim::FrameReader own;
  shim::FrameReader& fr = opt.frames ? *opt.frames : own;
  ProxyEnd end = ProxyEnd::Finished;
  char buf[32768];
  for (;;) {
    struct pollfd p[2] = {{shim_fd, POLLIN, 0}, {wake_r.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) {
      end = ProxyEnd::Detached;
      break;
    }
    ssize_t n = ::read(shim_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    fr.feed(buf, static_cast<size_t>(n));
    uint8_t s;
    std::string payload;
    while (end == ProxyEnd::Finished && fr.next(s, payload)) {
      if (s != shim::kStdout && s != shim::kStderr) {
        if (opt.on_control) opt.on_control(s, payload);
        continue;
      }
      if (!(opt.tty ? client.write_all(payload) : client.write_all(shim::frame(s, payload))))
        end = ProxyEnd::ClientGone;
    }
    if (end != ProxyEnd::Finished) break;
  }
  client.shutdown_write();
  bool keep = opt.keep_shim && end != ProxyEnd::Finished;
  if (!keep) ::shutdown(shim_fd, SHUT_RDWR);
  if (in_thread.joinable()) {
    ::shutdown(client.fd(), SHUT_RD);
    in_thread.join();
  }
  if (detached) end = ProxyEnd::Detached;
  return end;
}

}  // namespace berth::api

#include "io.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/io.h"
#include "base/unique_fd.h"
#include "commands.h"
#include "shim/protocol.h"

namespace berth::cli {

static_assert(sizeof(termios) <= 64);

RawTerminal::RawTerminal(bool enable) {
  if (!enable || !isatty(STDIN_FILENO)) return;
  termios t;
  if (tcgetattr(STDIN_FILENO, &t) < 0) return;
  std::memcpy(saved_, &t, sizeof t);
  cfmakeraw(&t);
  t.c_oflag |= OPOST;  // keep \n -> \r\n on our own output
  if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) active_ = true;
}

RawTerminal::~RawTerminal() {
  if (!active_) return;
  termios t;
  std::memcpy(&t, saved_, sizeof t);
  tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

bool terminal_size(int& rows, int& cols) {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0) return false;
  rows = ws.ws_row;
  cols = ws.ws_col;
  return true;
}

void pump(client::Hijacked& h, bool send_stdin) {
  int fd = h.fd.get();
  if (send_stdin) {
    // detached: a blocking read of stdin must not keep the process alive at the end
    std::thread([fd] {
      char buf[32768];
      for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!send_all(fd, std::string_view(buf, static_cast<size_t>(n)))) return;
      }
      ::shutdown(fd, SHUT_WR);
    }).detach();
  }
  shim::FrameReader fr;
  auto deliver = [&](const char* data, size_t n) {
    if (!h.multiplexed) {
      write_all(STDOUT_FILENO, std::string_view(data, n));
      return;
    }
    fr.feed(data, n);
    uint8_t s;
    std::string payload;
    while (fr.next(s, payload)) write_all(s == 2 ? STDERR_FILENO : STDOUT_FILENO, payload);
  };
  if (!h.pending.empty()) deliver(h.pending.data(), h.pending.size());
  char buf[32768];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    deliver(buf, static_cast<size_t>(n));
  }
}

// A stream of the daemon's body to a file (-o) or to stdout, never to a terminal.
int stream_to(client::Engine& e, const std::string& path, const std::string& output) {
  UniqueFd file;
  int fd = STDOUT_FILENO;
  if (!output.empty()) {
    file.reset(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file)
      return report(Error(ErrorKind::InvalidArgument,
                          fmt::format("failed to open {}: {}", output, strerror(errno))));
    fd = file.get();
  } else if (::isatty(STDOUT_FILENO)) {
    return report(Error(ErrorKind::InvalidArgument,
                        "cowardly refusing to save to a terminal. Use the -o flag or redirect"));
  }
  // an error status comes back as the daemon's error
  auto r = e.stream("GET", client::Engine::api(path),
                    [&](std::string_view d) { return write_all(fd, d); });
  if (!r) return report(r.error());
  return 0;
}

}  // namespace berth::cli

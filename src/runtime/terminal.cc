#include "runtime/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "runtime/sync.h"

namespace berth::runtime {

Status setup_console_in_child(int console_sock, const std::optional<oci::ConsoleSize>& size) {
  UniqueFd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return sys_fail("process.terminal: open /dev/ptmx");
  if (unlockpt(master.get()) < 0) return sys_fail("process.terminal: unlockpt");
  char name[128];
  if (ptsname_r(master.get(), name, sizeof name) != 0) return sys_fail("process.terminal: ptsname");
  UniqueFd slave(open(name, O_RDWR | O_NOCTTY));
  if (!slave) return sys_fail("process.terminal: open {}", name);
  if (size && size->height && size->width) {
    winsize ws{static_cast<unsigned short>(size->height), static_cast<unsigned short>(size->width),
               0, 0};
    ioctl(master.get(), TIOCSWINSZ, &ws);
  }
  BERTH_TRY(send_fd(console_sock, master.get(), name));
  master.reset();
  if (setsid() < 0 && errno != EPERM) return sys_fail("setsid");
  if (ioctl(slave.get(), TIOCSCTTY, 0) < 0) return sys_fail("process.terminal: TIOCSCTTY");
  for (int i = 0; i < 3; ++i)
    if (dup2(slave.get(), i) < 0) return sys_fail("dup2 pty slave");
  return ok();
}

Result<UniqueFd> connect_console_socket(const std::string& path) {
  UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return sys_fail("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return fail(ErrorKind::InvalidArgument, "console socket path too long: {}", path);
  std::strcpy(addr.sun_path, path.c_str());
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return sys_fail("connect console socket {}", path);
  return s;
}

void set_raw_mode(int fd, bool raw) {
  static termios saved;
  static bool have = false;
  if (raw) {
    termios t;
    if (tcgetattr(fd, &t) < 0) return;
    saved = t;
    have = true;
    cfmakeraw(&t);
    t.c_oflag |= OPOST;  // keep "\n" -> "\r\n" on our side like runc's console
    tcsetattr(fd, TCSANOW, &t);
  } else if (have) {
    tcsetattr(fd, TCSANOW, &saved);
  }
}

void copy_window_size(int from_fd, int to_fd) {
  winsize ws;
  if (ioctl(from_fd, TIOCGWINSZ, &ws) == 0) ioctl(to_fd, TIOCSWINSZ, &ws);
}

}  // namespace berth::runtime

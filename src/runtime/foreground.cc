// Foreground `run` and `exec`: wait for the process, forward signals, proxy a pty.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/io.h"
#include "runtime/container.h"
#include "runtime/terminal.h"

namespace berth::runtime {

namespace {
bool copy_once(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return false;
  return write_all(to, std::string_view(buf, static_cast<size_t>(n)));
}
}  // namespace

int wait_and_forward(pid_t pid, int master) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigdelset(&all, SIGILL);
  sigdelset(&all, SIGFPE);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  int sfd = signalfd(-1, &all, SFD_CLOEXEC);
  bool tty_in = master >= 0 && isatty(STDIN_FILENO);
  if (tty_in) {
    set_raw_mode(STDIN_FILENO, true);
    copy_window_size(STDIN_FILENO, master);
  }
  bool stdin_open = master >= 0;
  int status = 0;
  // The process may have exited before SIGCHLD was blocked.
  bool exited = waitpid(pid, &status, WNOHANG) == pid;
  while (!exited) {
    pollfd fds[3] = {{sfd, POLLIN, 0}, {master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    int n = poll(fds, master >= 0 ? 3 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) {
          pid_t r;
          while ((r = waitpid(-1, &status, WNOHANG)) > 0)
            if (r == pid) exited = true;
        } else if (sig == SIGWINCH && master >= 0) {
          copy_window_size(STDIN_FILENO, master);
        } else {
          kill(pid, sig);
        }
      }
    }
    if (master >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      if (!copy_once(master, STDOUT_FILENO)) master = -1;
    }
    if (stdin_open && (fds[2].revents & (POLLIN | POLLHUP))) {
      if (!copy_once(STDIN_FILENO, master)) stdin_open = false;
    }
  }
  // Whatever the process wrote just before exiting.
  if (master >= 0) {
    pollfd p{master, POLLIN, 0};
    while (poll(&p, 1, 0) > 0 && copy_once(master, STDOUT_FILENO)) {
    }
  }
  if (tty_in) set_raw_mode(STDIN_FILENO, false);
  close(sfd);
  sigprocmask(SIG_UNBLOCK, &all, nullptr);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace berth::runtime

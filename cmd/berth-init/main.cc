// berth-init: the minimal init `--init` puts at PID 1 (mounted at /sbin/docker-init, as
// Docker mounts tini). It runs the command as its child, forwards the signals a container
// gets to it, reaps every zombie that is reparented to it, and exits with the command's
// status (128+signal when it was killed). Static: it runs in any image.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    std::fprintf(stderr, "usage: %s [--] COMMAND [ARG...]\n", argv[0]);
    return 2;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    std::perror("berth-init: fork");
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    setpgid(0, 0);
    // the child owns the terminal, if there is one, so ctrl-c reaches it
    if (isatty(STDIN_FILENO)) {
      signal(SIGTTOU, SIG_IGN);
      tcsetpgrp(STDIN_FILENO, getpgrp());
      signal(SIGTTOU, SIG_DFL);
    }
    execvp(argv[first], argv + first);
    std::fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], std::strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);  // forwarded: the command decides what the signal means
      continue;
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p != child) continue;  // an orphan reaped
      // the command is done: reap what is left, then leave with its status
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
  }
}

#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::runtime {

namespace {

Status run_hook(const oci::Hook& h, const std::string& state_json) {
  int in[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) return sys_fail("pipe");
  UniqueFd in_r(in[0]), in_w(in[1]), err_r(err[0]), err_w(err[1]);
  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = h.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return sys_fail("fork hook");
  if (pid == 0) {
    dup2(in_r.get(), 0);
    dup2(err_w.get(), 2);
    execve(h.path.c_str(), argv.data(), envp.data());
    dprintf(2, "exec %s: %s", h.path.c_str(), strerror(errno));
    _exit(127);
  }
  in_r.reset();
  err_w.reset();
  // The hook may not read its stdin; a full pipe must not block us, so ignore EPIPE/EAGAIN.
  fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  ssize_t wr = write(in_w.get(), state_json.data(), state_json.size());
  (void)wr;
  in_w.reset();

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  UniqueFd pfd(pidfd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(h.timeout.value_or(0));
  std::string stderr_text;
  bool timed_out = false;
  for (;;) {
    pollfd fds[2] = {{pfd.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    int timeout_ms = -1;
    if (h.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        timed_out = true;
        break;
      }
      timeout_ms = static_cast<int>(left);
    }
    int n = poll(fds, err_r ? 2 : 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) continue;
    if (fds[1].revents && err_r) {
      char buf[4096];
      ssize_t r = read(err_r.get(), buf, sizeof buf);
      if (r <= 0)
        err_r.reset();
      else if (stderr_text.size() < 4096)
        stderr_text.append(buf, static_cast<size_t>(r));
    }
    if (fds[0].revents) break;
  }
  if (timed_out) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return fail(ErrorKind::Unavailable, "{}: timed out after {}s", h.path, *h.timeout);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok();
  std::string detail(trim(stderr_text));
  if (WIFSIGNALED(status))
    return fail(ErrorKind::Internal, "{}: killed by signal {}{}{}", h.path, WTERMSIG(status),
                detail.empty() ? "" : ": ", detail);
  return fail(ErrorKind::Internal, "{}: exit status {}{}{}", h.path, WEXITSTATUS(status),
              detail.empty() ? "" : ": ", detail);
}

}  // namespace

Status run_hooks(const std::vector<oci::Hook>& hooks, const char* phase,
                 const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    if (auto st = run_hook(hooks[i], state_json); !st)
      return std::unexpected(std::move(st.error()).context("hooks.{}[{}]", phase, i));
  }
  return ok();
}

}  // namespace berth::runtime

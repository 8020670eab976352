// `exec`: a new process in a running container's namespaces and cgroup.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "runtime/cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

namespace berth::runtime {

namespace {

struct ExecChild {
  const ExecOptions* opts;
  const oci::Spec* spec;
  int sync_fd;
  int console_fd;
  bool in_userns;
};

berth::Status exec_steps(const ExecChild& c) {
  BERTH_TRY(sync_expect(c.sync_fd, SyncType::Go));
  const oci::Process& p = c.opts->process;
  if (p.terminal) {
    BERTH_TRY(setup_console_in_child(c.console_fd, p.console_size));
    close(c.console_fd);
  }
  BERTH_TRY(setup_process_limits(p, *c.spec));
  BERTH_ASSIGN(std::string exe, resolve_executable(p.args, p.env));
  BERTH_TRY(mark_cloexec_from(3 + c.opts->preserve_fds));
  const oci::Seccomp* sc =
      c.spec->linux && c.spec->linux->seccomp ? &*c.spec->linux->seccomp : nullptr;
  BERTH_TRY(finalize_process(p, sc, c.in_userns));
  BERTH_TRY(sync_send(c.sync_fd, SyncType::Ready));
  auto st = exec_process(p, sc, exe);
  // exec failed after Ready: the parent is waiting for us; report and mirror a shell's code.
  dprintf(2, "berth-runtime: %s\n", st.error().message().c_str());
  _exit(st.error().sys_errno() == ENOENT ? 127 : 126);
}

}  // namespace

Result<pid_t> exec_in_container(const StateStore& store, const ExecOptions& opts) {
  BERTH_ASSIGN(ContainerState st, store.load(opts.id));
  BERTH_ASSIGN(ContainerStatus status, store.status(st));
  if (status == ContainerStatus::Stopped)
    return fail(ErrorKind::Conflict, "cannot exec in a stopped container");
  if (status == ContainerStatus::Paused)
    return fail(ErrorKind::Conflict, "cannot exec in a paused container");
  BERTH_ASSIGN(oci::Spec spec, load_container_spec(store, opts.id));
  if (spec.linux && spec.linux->seccomp)
    BERTH_TRY(prepare_seccomp(*spec.linux->seccomp, store.root() + "/.seccomp-cache"));
  if (opts.process.args.empty())
    return fail(ErrorKind::InvalidArgument, "process.args: must not be empty");
  if (opts.process.terminal && opts.console_socket.empty() && opts.internal_console_sock < 0)
    return fail(ErrorKind::InvalidArgument,
                "cannot allocate tty if berth-runtime will detach without setting console socket");

  // Open the init's namespaces now: the fds pin them even if the init exits meanwhile.
  std::vector<std::pair<const NamespaceKind*, UniqueFd>> ns;
  bool in_userns = false;
  if (spec.linux) {
    for (const auto& n : ordered_for_setns(spec.linux->namespaces)) {
      const NamespaceKind* k = find_namespace_kind(n.type);
      std::string path = "/proc/" + std::to_string(st.pid) + "/ns/" + k->proc;
      UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return sys_fail("open {}", path);
      if (n.type == "user") in_userns = true;
      ns.emplace_back(k, std::move(fd));
    }
  }
  BERTH_ASSIGN(auto cg, open_cgroup(st));

  UniqueFd console;
  if (opts.process.terminal) {
    if (!opts.console_socket.empty()) {
      BERTH_ASSIGN(console, connect_console_socket(opts.console_socket));
    } else {
      console.reset(dup(opts.internal_console_sock));
    }
  }
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) return sys_fail("socketpair");
  UniqueFd parent_sock(sp[0]), child_sock(sp[1]);
  // A process in the container's user namespace cannot write host cgroupfs: parent moves it.
  const CgroupJoin join = CgroupJoin::prepare(*cg, !in_userns);
  ExecChild child{&opts, &spec, child_sock.get(), console.get(), in_userns};

  pid_t stage = fork();
  if (stage < 0) return sys_fail("fork");
  if (stage == 0) {
    parent_sock.reset();
    // Join the cgroups while host paths still resolve; the process cloned below inherits them.
    if (auto st = join.join_self(); !st) {
      (void)sync_send(child_sock.get(), SyncType::Error, 0, st.error().message());
      _exit(1);
    }
    for (auto& [k, fd] : ns) {
      if (setns(fd.get(), k->clone_flag) < 0) {
        // Joining one's own user namespace fails with EINVAL; everything else is fatal.
        if (k->clone_flag == CLONE_NEWUSER && errno == EINVAL) continue;
        (void)sync_send(child_sock.get(), SyncType::Error, 0,
                        sys_fail("join {} namespace", k->type).error().message());
        _exit(1);
      }
    }
    pid_t pid = clone_into(CLONE_PARENT, join.unified_fd());
    if (pid == 0) {
      auto r = exec_steps(child);
      (void)sync_send(child_sock.get(), SyncType::Error, 0, r.error().message());
      _exit(1);
    }
    (void)sync_send(child_sock.get(), SyncType::Pid, pid);
    _exit(pid < 0);
  }
  child_sock.reset();
  console.reset();
  waitpid(stage, nullptr, 0);
  BERTH_ASSIGN(SyncMsg pidmsg, sync_expect(parent_sock.get(), SyncType::Pid));
  pid_t pid = static_cast<pid_t>(pidmsg.value);
  Defer kill_on_error([&] {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  });
  if (in_userns) BERTH_TRY(cg->add_pid(pid));
  BERTH_TRY(sync_send(parent_sock.get(), SyncType::Go, pid));
  BERTH_TRY(sync_expect(parent_sock.get(), SyncType::Ready));
  if (!opts.pid_file.empty())
    BERTH_TRY(write_file_atomic(opts.pid_file, std::to_string(pid), 0644, false));
  kill_on_error.dismiss();
  return pid;
}

}  // namespace berth::runtime

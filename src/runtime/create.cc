// `create`: the parent side (cgroup, clone, id maps, hooks, state) and the container init.
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/log.h"
#include "base/time.h"
#include "base/trace.h"
#include "runtime/cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/devices.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "runtime/validate.h"

namespace berth::runtime {

namespace {

struct InitArgs {
  const oci::Spec* spec = nullptr;
  RootfsContext rootfs;
  int sync_fd = -1;
  int console_fd = -1;
  int fifo_fd = -1;
  int preserve_fds = 0;
  bool new_userns = false;
  bool new_cgroupns = false;
  std::string state_for_hooks;  // JSON without the pid; the init fills it in
  const CgroupJoin* cgroup_join = nullptr;
};

std::string hook_state(const oci::Spec& spec, const std::string& id, pid_t pid,
                       const std::string& bundle, const char* status) {
  nlohmann::json j = {{"ociVersion", spec.oci_version.empty() ? "1.2.0" : spec.oci_version},
                      {"id", id},
                      {"status", status},
                      {"pid", pid},
                      {"bundle", bundle}};
  if (!spec.annotations.empty()) j["annotations"] = spec.annotations;
  return j.dump();
}

// Everything from close-of-parent-side to execve, in the new namespaces. On the error path
// the caller reports the message to the parent.
berth::Status init_steps(const InitArgs& a) {
  if (a.cgroup_join) BERTH_TRY(a.cgroup_join->join_self());
  BERTH_ASSIGN(SyncMsg go, sync_expect(a.sync_fd, SyncType::Go));
  const oci::Spec& spec = *a.spec;
  const oci::Process& p = *spec.process;
  if (a.new_userns) {
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      return sys_fail("linux.uidMappings: become root in the user namespace (is 0 mapped?)");
  }
  // Unshared only now, once the parent has moved us into the container's cgroup, so that
  // the namespace's root is that cgroup.
  if (a.new_cgroupns && unshare(CLONE_NEWCGROUP) < 0) return sys_fail("unshare cgroup namespace");
  if (!spec.hostname.empty() && sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
    return sys_fail("hostname: sethostname {}", spec.hostname);
  if (!spec.domainname.empty() && setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
    return sys_fail("domainname: setdomainname {}", spec.domainname);

  if (spec.has_namespace("mount")) BERTH_TRY(prepare_rootfs(a.rootfs));
  if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
    BERTH_TRY(sync_send(a.sync_fd, SyncType::HooksRequest));
    BERTH_TRY(sync_expect(a.sync_fd, SyncType::HooksDone));
  }
  std::string state = a.state_for_hooks;
  if (!spec.hooks.create_container.empty()) {
    auto j = nlohmann::json::parse(state);
    j["pid"] = go.value;
    BERTH_TRY(run_hooks(spec.hooks.create_container, "createContainer", j.dump()));
  }
  if (spec.has_namespace("mount")) BERTH_TRY(enter_rootfs(a.rootfs));
  if (p.terminal) {
    BERTH_TRY(setup_console_in_child(a.console_fd, p.console_size));
    close(a.console_fd);
  } else if (setsid() < 0) {
    return sys_fail("setsid");
  }
  if (spec.has_namespace("mount")) BERTH_TRY(finalize_rootfs(a.rootfs));
  BERTH_TRY(setup_process_limits(p, spec));
  BERTH_ASSIGN(std::string exe, resolve_executable(p.args, p.env));
  BERTH_TRY(mark_cloexec_from(3 + a.preserve_fds));
  const oci::Seccomp* sc = spec.linux && spec.linux->seccomp ? &*spec.linux->seccomp : nullptr;
  BERTH_TRY(finalize_process(p, sc, a.new_userns));
  BERTH_TRY(sync_send(a.sync_fd, SyncType::Ready));
  close(a.sync_fd);

  char c;
  ssize_t n;
  do n = read(a.fifo_fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) _exit(1);  // deleted before start
  close(a.fifo_fd);
  if (!spec.hooks.start_container.empty()) {
    auto j = nlohmann::json::parse(state);
    j["pid"] = go.value;
    j["status"] = "running";
    BERTH_TRY(run_hooks(spec.hooks.start_container, "startContainer", j.dump()));
  }
  return exec_process(p, sc, exe);
}

[[noreturn]] void init_child(const InitArgs& a) {
  auto st = init_steps(a);
  std::string msg = st ? std::string("init returned") : st.error().message();
  // Before Ready the parent is listening; after it only our stderr is left.
  (void)sync_send(a.sync_fd, SyncType::Error, 0, msg);
  dprintf(2, "berth-runtime: %s\n", msg.c_str());
  _exit(st ? 0 : 127);
}

// From /etc/passwd itself, not getpwuid(): NSS would have to dlopen its modules, which a
// static executable (the shim) cannot do reliably. The owner is only shown by `state`/`list`.
std::string owner_name() {
  const uid_t uid = geteuid();
  std::string name = std::to_string(uid);
  if (FILE* f = fopen("/etc/passwd", "re")) {
    while (passwd* pw = fgetpwent(f)) {
      if (pw->pw_uid == uid) {
        name = pw->pw_name;
        break;
      }
    }
    fclose(f);
  }
  return name;
}

}  // namespace

berth::Status mark_cloexec_from(int first) {
  // close_range(CLOSE_RANGE_CLOEXEC) marks every fd >= first in one call (Linux 5.11).
  if (syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
    return sys_fail("close_range");
  return ok();
}

Result<oci::Spec> load_container_spec(const StateStore& store, const std::string& id) {
  BERTH_ASSIGN(std::string text, read_file(store.config(id)));
  return oci::parse_spec(text);
}

Result<pid_t> create_container(const StateStore& store, const CreateOptions& opts) {
  trace_step("rt-create-begin");
  BERTH_TRY(validate_id(opts.id));
  const std::string dir = store.dir(opts.id);
  if (path_exists(dir)) return fail(ErrorKind::Conflict, "container with id exists: {}", opts.id);

  char buf[PATH_MAX];
  std::string bundle_in = opts.bundle.empty() ? "." : opts.bundle;
  if (!realpath(bundle_in.c_str(), buf)) return sys_fail("bundle: {}", bundle_in);
  const std::string bundle = buf;
  auto text = read_file(bundle + "/config.json");
  if (!text) return std::unexpected(std::move(text.error()).context("bundle {}", bundle));
  auto parsed = oci::parse_spec(*text);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context("config.json"));
  const oci::Spec spec = std::move(*parsed);
  log::debug("create {}: config parsed", opts.id);
  BERTH_TRY(validate_spec(spec));
  BERTH_TRY(validate_for_host(spec));
  if (spec.linux && spec.linux->seccomp)
    BERTH_TRY(prepare_seccomp(*spec.linux->seccomp, store.root() + "/.seccomp-cache"));
  std::string root_in = spec.root.path[0] == '/' ? spec.root.path : bundle + "/" + spec.root.path;
  if (!realpath(root_in.c_str(), buf)) return sys_fail("root.path: {}", root_in);
  const std::string rootfs = buf;
  const oci::Process& proc = *spec.process;

  if (proc.terminal && opts.console_socket.empty() && opts.internal_console_sock < 0)
    return fail(ErrorKind::InvalidArgument,
                "cannot allocate tty if berth-runtime will detach without setting console socket");
  if (!proc.terminal && !opts.console_socket.empty())
    return fail(ErrorKind::InvalidArgument,
                "cannot use console socket if berth-runtime will not allocate tty");

  BERTH_TRY(mkdir_all(store.root(), 0700));
  if (mkdir(dir.c_str(), 0711) < 0) {
    if (errno == EEXIST) return fail(ErrorKind::Conflict, "container with id exists: {}", opts.id);
    return sys_fail("mkdir {}", dir);
  }
  std::unique_ptr<cgroup::Manager> cg;
  pid_t child = -1;
  Defer cleanup([&] {
    if (child > 0) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
    }
    if (cg) (void)cg->destroy();
    (void)remove_all(dir);
  });

  BERTH_TRY(write_file_atomic(store.config(opts.id), *text, 0600, false));
  const std::string fifo = store.fifo(opts.id);
  if (mkfifo(fifo.c_str(), 0622) < 0) return sys_fail("mkfifo {}", fifo);
  // The init keeps the fifo open read-write, so `start` can open it without blocking and the
  // init's read blocks until `start` writes.
  UniqueFd fifo_fd(open(fifo.c_str(), O_RDWR | O_CLOEXEC));
  if (!fifo_fd) return sys_fail("open {}", fifo);

  const oci::Linux empty_linux;
  const oci::Linux& lx = spec.linux ? *spec.linux : empty_linux;
  BERTH_ASSIGN(std::string cg_path, cgroup::resolve_cgroups_path(lx.cgroups_path, opts.id));
  BERTH_ASSIGN(cg, cgroup::Manager::open(cg_path));
  BERTH_TRY(cg->create());
  oci::Resources res = lx.resources.value_or(oci::Resources{});
  res.devices = effective_device_rules(spec);
  BERTH_TRY(cg->apply(res));
  log::debug("create {}: cgroup {} ready", opts.id, cg_path);

  UniqueFd console;
  if (proc.terminal) {
    if (!opts.console_socket.empty()) {
      BERTH_ASSIGN(console, connect_console_socket(opts.console_socket));
    } else {
      console.reset(dup(opts.internal_console_sock));
    }
  }

  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) return sys_fail("socketpair");
  UniqueFd parent_sock(sp[0]), child_sock(sp[1]);

  unsigned long flags = 0;
  std::vector<oci::Namespace> joins;
  bool new_time = false;
  for (const auto& n : lx.namespaces) {
    const NamespaceKind* k = find_namespace_kind(n.type);
    if (!n.path.empty()) {
      joins.push_back(n);
    } else if (n.type == "time") {
      new_time = true;
    } else if (n.type != "cgroup") {
      flags |= static_cast<unsigned long>(k->clone_flag);
    }
  }

  InitArgs args;
  args.spec = &spec;
  args.rootfs.spec = &spec;
  args.rootfs.rootfs = rootfs;
  args.rootfs.no_pivot = opts.no_pivot;
  args.rootfs.cgroup_mode = cg->mode();
  args.rootfs.hierarchies = cg->hierarchies();
  args.new_userns = (flags & CLONE_NEWUSER) != 0;
  args.rootfs.new_userns = args.new_userns;
  auto* cgns = spec.find_namespace("cgroup");
  args.new_cgroupns = cgns && cgns->path.empty();
  args.rootfs.new_cgroupns = cgns != nullptr;
  args.sync_fd = child_sock.get();
  args.console_fd = console.get();
  args.fifo_fd = fifo_fd.get();
  args.preserve_fds = opts.preserve_fds;
  args.state_for_hooks = hook_state(spec, opts.id, 0, bundle, "created");
  // In a new user namespace the init cannot write host cgroupfs files: the parent moves it.
  const bool self_join = !args.new_userns;
  const CgroupJoin join = CgroupJoin::prepare(*cg, self_join);
  trace_step("rt-cgroup-ready");
  args.cgroup_join = &join;

  if (joins.empty() && !new_time) {
    child = clone_into(flags, join.unified_fd());
    if (child < 0) return sys_fail("clone container init");
    if (child == 0) {
      parent_sock.reset();
      init_child(args);
    }
  } else {
    // Joining happens in a short-lived stage process so the runtime itself stays in its own
    // namespaces (hooks and cgroupfs paths must resolve there); CLONE_PARENT makes the init
    // our child anyway.
    pid_t stage = fork();
    if (stage < 0) return sys_fail("fork");
    if (stage == 0) {
      parent_sock.reset();
      // Join the cgroups while host paths still resolve; the init inherits them.
      berth::Status st = join.join_self();
      args.cgroup_join = nullptr;
      for (const auto& n : ordered_for_setns(joins)) {
        if (!st) break;
        st = join_namespace(n);
      }
      if (st && new_time) {
        if (unshare(CLONE_NEWTIME) < 0)
          st = sys_fail("unshare time namespace");
        else
          st = write_time_offsets(lx.time_offsets);
      }
      if (!st) {
        (void)sync_send(child_sock.get(), SyncType::Error, 0, st.error().message());
        _exit(1);
      }
      pid_t init = clone_into(flags | CLONE_PARENT, join.unified_fd());
      if (init == 0) init_child(args);
      if (init < 0) {
        (void)sync_send(child_sock.get(), SyncType::Error, 0,
                        sys_fail("clone container init").error().message());
        _exit(1);
      }
      (void)sync_send(child_sock.get(), SyncType::Pid, init);
      _exit(0);
    }
    waitpid(stage, nullptr, 0);
    auto msg = sync_expect(parent_sock.get(), SyncType::Pid);
    if (!msg) return std::unexpected(msg.error());
    child = static_cast<pid_t>(msg->value);
  }
  child_sock.reset();
  console.reset();

  if (args.new_userns) {
    std::string base = "/proc/" + std::to_string(child);
    if (auto st = write_file(base + "/uid_map", format_id_map(lx.uid_mappings)); !st)
      return std::unexpected(std::move(st.error()).context("linux.uidMappings"));
    if (auto st = write_file(base + "/gid_map", format_id_map(lx.gid_mappings)); !st)
      return std::unexpected(std::move(st.error()).context("linux.gidMappings"));
  }
  log::debug("create {}: init is pid {}", opts.id, child);
  if (!self_join) BERTH_TRY(cg->add_pid(child));
  log::debug("create {}: init joined its cgroup", opts.id);
  BERTH_TRY(sync_send(parent_sock.get(), SyncType::Go, child));
  for (;;) {
    auto msg = sync_recv(parent_sock.get());
    if (!msg) return std::unexpected(msg.error());
    if (msg->type == SyncType::Error) return std::unexpected(Error(ErrorKind::Internal, msg->text));
    if (msg->type == SyncType::Ready) break;
    if (msg->type == SyncType::HooksRequest) {
      std::string st = hook_state(spec, opts.id, child, bundle, "creating");
      BERTH_TRY(run_hooks(spec.hooks.prestart, "prestart", st));
      BERTH_TRY(run_hooks(spec.hooks.create_runtime, "createRuntime", st));
      BERTH_TRY(sync_send(parent_sock.get(), SyncType::HooksDone));
    }
  }

  log::debug("create {}: init ready, waiting for start", opts.id);
  ContainerState cs;
  cs.id = opts.id;
  cs.pid = child;
  cs.pid_start = process_start_time(child);
  cs.bundle = bundle;
  cs.rootfs = rootfs;
  cs.created = now_rfc3339();
  cs.owner = owner_name();
  cs.cgroup_path = cg_path;
  cs.cgroup_paths = cgroup_paths_of(*cg);
  cs.annotations = spec.annotations;
  cs.poststart_hooks = !spec.hooks.poststart.empty();
  BERTH_TRY(store.save(cs));
  if (!opts.pid_file.empty())
    BERTH_TRY(write_file_atomic(opts.pid_file, std::to_string(child), 0644, false));
  cleanup.dismiss();
  return child;
}

}  // namespace berth::runtime

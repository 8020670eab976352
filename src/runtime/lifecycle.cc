// start, kill, delete, pause/resume.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "runtime/cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/hooks.h"

namespace berth::runtime {

namespace {

Result<std::unique_ptr<cgroup::Manager>> manager_for(const ContainerState& st) {
  return open_cgroup(st);
}

std::string hook_state_for(const ContainerState& st, ContainerStatus status) {
  nlohmann::json j = {{"ociVersion", "1.2.0"},
                      {"id", st.id},
                      {"status", status_name(status)},
                      {"pid", st.pid},
                      {"bundle", st.bundle}};
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  return j.dump();
}

// Waits up to `ms` for a process (not necessarily our child) to exit.
bool wait_exit(pid_t pid, unsigned long long start, int ms) {
  UniqueFd pfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pfd) {
    if (!process_alive(pid, start)) return true;
    pollfd p{pfd.get(), POLLIN, 0};
    int left = ms;
    while (left > 0) {
      if (!process_alive(pid, start)) return true;
      int r = poll(&p, 1, std::min(left, 100));
      if (r > 0) return true;
      left -= 100;
    }
    return !process_alive(pid, start);
  }
  return !process_alive(pid, start);
}

berth::Status signal_all(const ContainerState& st, int sig) {
  BERTH_ASSIGN(auto mgr, manager_for(st));
  BERTH_ASSIGN(auto pids, mgr->pids());
  for (pid_t p : pids)
    if (kill(p, sig) < 0 && errno != ESRCH) return sys_fail("kill {}", p);
  return ok();
}

// Removes the cgroup, runs poststop hooks and forgets the container.
berth::Status destroy(const StateStore& store, const ContainerState& st) {
  if (auto mgr = manager_for(st)) {
    // Processes that outlived the init (no pid namespace) die with the container.
    if (auto pids = (*mgr)->pids(); pids && !pids->empty()) {
      for (pid_t p : *pids) kill(p, SIGKILL);
      (void)(*mgr)->freeze(false);
    }
    // destroy() itself waits out EBUSY from tasks that are still exiting.
    berth::Status r = (*mgr)->destroy();
    if (!r) log::warn("delete {}: {}", st.id, r.error().message());
  }
  if (auto spec = load_container_spec(store, st.id); spec && !spec->hooks.poststop.empty()) {
    if (auto r = run_hooks(spec->hooks.poststop, "poststop",
                           hook_state_for(st, ContainerStatus::Stopped));
        !r)
      log::warn("{}", r.error().message());
  }
  return remove_all(store.dir(st.id));
}

}  // namespace

berth::Status start_container(const StateStore& store, const std::string& id) {
  BERTH_ASSIGN(ContainerState st, store.load(id));
  BERTH_ASSIGN(ContainerStatus status, store.status(st));
  if (status == ContainerStatus::Stopped)
    return fail(ErrorKind::Conflict, "cannot start a container that has stopped");
  if (status != ContainerStatus::Created)
    return fail(ErrorKind::Conflict, "cannot start an already running container");
  const std::string fifo = store.fifo(id);
  UniqueFd fd(open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", fifo);
  if (write(fd.get(), "0", 1) != 1) return sys_fail("write {}", fifo);
  unlink(fifo.c_str());
  // Most specs have no poststart hooks: create noted it, so the spec need not be parsed again.
  if (st.poststart_hooks == false) return ok();
  if (auto spec = load_container_spec(store, id); spec && !spec->hooks.poststart.empty()) {
    // A failing poststart hook is reported but does not stop the container (runtime spec).
    if (auto r = run_hooks(spec->hooks.poststart, "poststart",
                           hook_state_for(st, ContainerStatus::Running));
        !r)
      log::warn("{}", r.error().message());
  }
  return ok();
}

berth::Status kill_container(const StateStore& store, const std::string& id, int sig, bool all) {
  BERTH_ASSIGN(ContainerState st, store.load(id));
  BERTH_ASSIGN(ContainerStatus status, store.status(st));
  if (status == ContainerStatus::Stopped && !all)
    return fail(ErrorKind::Conflict, "container not running");
  if (all) return signal_all(st, sig);
  if (kill(st.pid, sig) < 0) return sys_fail("kill {}", st.pid);
  return ok();
}

berth::Status delete_container(const StateStore& store, const std::string& id, bool force) {
  auto loaded = store.load(id);
  if (!loaded) {
    if (force && loaded.error().kind() == ErrorKind::NotFound) {
      (void)remove_all(store.dir(id));
      return ok();
    }
    return std::unexpected(loaded.error());
  }
  ContainerState st = *loaded;
  BERTH_ASSIGN(ContainerStatus status, store.status(st));
  if ((status == ContainerStatus::Running || status == ContainerStatus::Paused) && !force)
    return fail(ErrorKind::Conflict, "cannot delete container {} that is not stopped: {}", id,
                status_name(status));
  if (status != ContainerStatus::Stopped) {
    (void)signal_all(st, SIGKILL);
    kill(st.pid, SIGKILL);
    if (status == ContainerStatus::Paused)
      if (auto mgr = manager_for(st)) (void)(*mgr)->freeze(false);
    if (!wait_exit(st.pid, st.pid_start, 10000))
      return fail(ErrorKind::Unavailable, "container {} did not exit after SIGKILL", id);
  }
  return destroy(store, st);
}

berth::Status update_container(const StateStore& store, const std::string& id,
                               const oci::Resources& resources) {
  BERTH_ASSIGN(ContainerState st, store.load(id));
  BERTH_ASSIGN(auto mgr, manager_for(st));
  return mgr->apply(resources);
}

berth::Status pause_container(const StateStore& store, const std::string& id, bool pause) {
  BERTH_ASSIGN(ContainerState st, store.load(id));
  BERTH_ASSIGN(ContainerStatus status, store.status(st));
  if (pause && status != ContainerStatus::Running)
    return fail(ErrorKind::Conflict, "container not running");
  if (!pause && status != ContainerStatus::Paused)
    return fail(ErrorKind::Conflict, "container not paused");
  BERTH_ASSIGN(auto mgr, manager_for(st));
  return mgr->freeze(pause);
}

}  // namespace berth::runtime

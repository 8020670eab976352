#include "runtime/spawn.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"

namespace berth::runtime {

CgroupJoin CgroupJoin::prepare(const cgroup::Manager& m, bool self_join) {
  CgroupJoin j;
  for (const auto& h : m.hierarchies()) {
    std::string dir = path_join(h.mountpoint, h.path);
    if (h.v2) {
      j.unified_.reset(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    } else if (self_join) {
      j.tasks_.push_back(dir + "/tasks");
      j.optional_.push_back(h.options.starts_with("name="));
    }
  }
  return j;
}

Status CgroupJoin::join_self() const {
  for (size_t i = 0; i < tasks_.size(); ++i) {
    auto st = write_file(tasks_[i], "0");
    if (!st && !optional_[i]) return std::unexpected(std::move(st.error()).context("join cgroup"));
  }
  return ok();
}

pid_t clone_into(unsigned long flags, int cgroup_fd) {
  clone_args args{};
  args.flags = flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  // With CLONE_PARENT the child inherits our exit signal; clone3 refuses an explicit one.
  args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd >= 0 ? cgroup_fd : 0);
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof args));
  if (pid < 0 && cgroup_fd >= 0) {
    args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
    args.cgroup = 0;
    pid = static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof args));
  }
  return pid;
}

}  // namespace berth::runtime

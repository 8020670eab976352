// Starting the container's processes: clone3 straight into the right cgroups.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime {

// How a new process gets into the container's cgroups without the parent writing its pid to
// every cgroup.procs: that write takes the kernel's global threadgroup lock, whose write side
// waits for an RCU grace period (0-40 ms here). Instead the unified (v2) cgroup is entered at
// clone time (CLONE_INTO_CGROUP) and the process writes "0" to each v1 "tasks" file itself,
// which moves only the calling thread and skips that lock.
class CgroupJoin {
 public:
  // self_join false (e.g. a new user namespace, which cannot write host cgroupfs files):
  // only the unified fd is prepared and the parent must still call Manager::add_pid.
  static CgroupJoin prepare(const cgroup::Manager& m, bool self_join);
  int unified_fd() const { return unified_.get(); }
  // In the new process, before anything else.
  Status join_self() const;

 private:
  UniqueFd unified_;
  std::vector<std::string> tasks_;
  std::vector<bool> optional_;
};

// fork-like clone3 (no new stack): returns 0 in the child. cgroup_fd >= 0 starts the child in
// that cgroup2 directory, falling back to a plain clone where the kernel refuses.
pid_t clone_into(unsigned long flags, int cgroup_fd);

}  // namespace berth::runtime

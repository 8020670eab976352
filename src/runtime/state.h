// What the runtime remembers about a container between invocations: <root>/<id>/state.json,
// a copy of config.json, and exec.fifo while the container is created but not started.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime {

struct ContainerState {
  std::string id;
  pid_t pid = 0;
  unsigned long long pid_start = 0;  // /proc/<pid>/stat starttime, guards against pid reuse
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339
  std::string owner;
  std::string cgroup_path;                          // as resolved from linux.cgroupsPath
  std::map<std::string, std::string> cgroup_paths;  // per hierarchy mountpoint, as created
  std::map<std::string, std::string> annotations;
  // Whether config.json has poststart hooks, so that start need not parse it to know; unset
  // in a state written before this was kept (start then reads the spec).
  std::optional<bool> poststart_hooks;
};

enum class ContainerStatus { Creating, Created, Running, Paused, Stopped };
const char* status_name(ContainerStatus s);

// runc's rule: ^[\w+-\.]+$, and not "." or "..".
berth::Status validate_id(const std::string& id);

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string fifo(const std::string& id) const { return dir(id) + "/exec.fifo"; }
  std::string config(const std::string& id) const { return dir(id) + "/config.json"; }

  Result<ContainerState> load(const std::string& id) const;
  berth::Status save(const ContainerState& st) const;
  Result<std::vector<std::string>> list() const;
  // The container's status as the kernel sees it now.
  Result<ContainerStatus> status(const ContainerState& st) const;

 private:
  std::string root_;
};

// The container's cgroup manager, with the paths it was created with.
Result<std::unique_ptr<cgroup::Manager>> open_cgroup(const ContainerState& st);
// The per-hierarchy paths to save in the state.
std::map<std::string, std::string> cgroup_paths_of(const cgroup::Manager& m);

// Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat); 0 if gone.
unsigned long long process_start_time(pid_t pid);
// Whether pid is alive, not a zombie, and the same process that started at start_time.
bool process_alive(pid_t pid, unsigned long long start_time);
// The runtime's state JSON (OCI "state" + runc's extra fields).
std::string state_json(const ContainerState& st, ContainerStatus status);

}  // namespace berth::runtime

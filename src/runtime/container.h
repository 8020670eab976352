// The runtime's operations on one container, as runc's commands expose them.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/state.h"

namespace berth::runtime {

struct CreateOptions {
  std::string id;
  std::string bundle;  // defaults to the current directory
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  int preserve_fds = 0;
  // `run` in the foreground with a terminal and no console socket: the master comes back here.
  int internal_console_sock = -1;
};

// Creates the container: namespaces, cgroup, rootfs; its init waits for `start`.
// Returns the init's pid (our child, or our grandchild reparented when joining namespaces).
Result<pid_t> create_container(const StateStore& store, const CreateOptions& opts);
berth::Status start_container(const StateStore& store, const std::string& id);
berth::Status kill_container(const StateStore& store, const std::string& id, int sig, bool all);
berth::Status delete_container(const StateStore& store, const std::string& id, bool force);
berth::Status pause_container(const StateStore& store, const std::string& id, bool pause);
// New resource limits for a created or running container's cgroup (runc update).
berth::Status update_container(const StateStore& store, const std::string& id,
                               const oci::Resources& resources);

struct ExecOptions {
  std::string id;
  oci::Process process;
  bool detach = false;
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  int internal_console_sock = -1;
};

// Starts a process in the running container; returns its pid.
Result<pid_t> exec_in_container(const StateStore& store, const ExecOptions& opts);

// Waits for our child `pid`, forwarding signals to it; copies between our stdio and
// `console_master` when it is valid. Returns the exit code as a shell would report it.
int wait_and_forward(pid_t pid, int console_master);

// Reads a stored container's config.json.
Result<oci::Spec> load_container_spec(const StateStore& store, const std::string& id);

}  // namespace berth::runtime

// `docker exec`: an extra process in a running container, started by the container's shim.
// Exec instances live in memory only, as in Docker: they do not survive a daemon restart.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::daemon {

struct Exec {
  std::string id;
  std::string container_id;
  nlohmann::json config;  // Docker's ExecConfig, as sent

  std::mutex mu;
  bool started = false, running = false;
  std::optional<int> exit_code;
  int pid = 0;

  // GET /exec/{id}/json
  nlohmann::json inspect_json();
  // "sh -c ..." as events show it
  std::string command_line() const;
};

// Docker's checks on an ExecConfig, before anything is created.
Status validate_exec_config(const nlohmann::json& config);

// The OCI process for an exec: the container's process with the exec's Cmd, Env, User,
// WorkingDir, Tty and Privileged applied. `rootfs` resolves user names.
Result<nlohmann::json> exec_process(const nlohmann::json& container_process,
                                    const std::string& rootfs, const nlohmann::json& config,
                                    const std::vector<std::string>& group_add);

}  // namespace berth::daemon

// Docker's Config + HostConfig -> an OCI runtime spec (config.json) for the container.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "daemon/container.h"

namespace berth::daemon {

struct SpecInputs {
  std::string rootfs;         // the mounted RW layer
  std::string cgroup_parent;  // "/berth"
  std::string container_dir;  // hosts, hostname, resolv.conf live here
  std::string netns_path;     // the network namespace to join ("": a new one, or the host's)
  std::string init_path;      // berth-init, for HostConfig.Init
};

Result<nlohmann::json> build_spec(const Container& c, const SpecInputs& in);

// HostConfig's memory, CPU, pids and block IO limits as OCI linux.resources (no devices).
nlohmann::json resources_json(const nlohmann::json& host_config);

// Validation done at create time, so bad input is a 400 before anything is made.
Status validate_host_config(const nlohmann::json& host_config);

// "uid[:gid]" or "name[:group]" resolved against the rootfs's /etc/passwd and /etc/group.
struct ResolvedUser {
  unsigned uid = 0, gid = 0;
  std::vector<unsigned> additional;
};
Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user,
                                  const std::vector<std::string>& group_add);

// The host's name (for --network host and `info`).
std::string host_hostname();

// Docker's default capability set, as CAP_ names.
const std::vector<std::string>& default_capabilities();

}  // namespace berth::daemon

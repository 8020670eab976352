// `run` and `create`: Docker's flags, and the create body (Config, HostConfig and
// NetworkingConfig) they make, as the docker CLI sends it.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::cli {

struct RunOptions {
  bool detach = false, interactive = false, tty = false, rm = false, init = false;
  bool privileged = false, read_only = false, publish_all = false, no_healthcheck = false;
  bool oom_kill_disable = false;
  std::string name, network, workdir, user, entrypoint, restart, hostname, domainname;
  std::string memory, memory_swap, memory_reservation, cpus, cpuset_cpus, cpuset_mems, shm_size;
  std::string ip, ip6, mac_address, stop_signal, log_driver, pid, ipc, uts, cgroupns, userns;
  std::string health_cmd, health_interval, health_timeout, health_start_period, detach_keys;
  std::string cgroup_parent, runtime;
  int stop_timeout = -1, health_retries = 0, oom_score_adj = 0;
  int64_t pids_limit = 0, cpu_shares = 0, cpu_period = 0, cpu_quota = 0, blkio_weight = 0;
  std::vector<std::string> env, env_file, volumes, mounts, publish, labels, tmpfs, cap_add,
      cap_drop, expose, ulimits, sysctls, devices, security_opt, log_opts, aliases, add_hosts, dns,
      dns_search, dns_options, links, group_add, volumes_from, attach;
  std::vector<std::string> args;  // IMAGE [COMMAND...]
};

void add_run_flags(CLI::App* c, RunOptions& o);

// The body of POST /containers/create.
Result<nlohmann::json> container_config(const RunOptions& o);

// Docker's sizes ("512m", "1.5g", "100kb"); durations ("1m30s", "500ms") in nanoseconds.
Result<int64_t> parse_bytes(const std::string& s);
Result<int64_t> parse_duration(const std::string& s);

}  // namespace berth::cli

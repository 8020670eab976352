// What `docker top` and `docker stats` show, read from /proc and the container's cgroups
// (v1 or v2, found through /proc/<pid>/cgroup, so both layouts and hybrids work).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace berth::daemon {

// `ps -ef` columns for the processes in the pid namespace of `init_pid`.
Result<nlohmann::json> top(int init_pid);

// One sample in Docker's stats shape (cpu_stats, memory_stats, pids_stats, blkio_stats,
// networks), without precpu_stats.
nlohmann::json stats_sample(int init_pid);
// A sample for a container that is not running: zeros, as Docker sends.
nlohmann::json empty_stats_sample();

}  // namespace berth::daemon

// One interface over cgroup v1, v2 and hybrid (v1 controllers + cgroup2 at /sys/fs/cgroup/unified).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace berth::cgroup {

enum class Mode { V1, Hybrid, V2 };

// Reads how cgroups are mounted under `root` (normally /sys/fs/cgroup).
Mode detect_mode(const std::string& root = "/sys/fs/cgroup");

// One mounted hierarchy and where this container's cgroup sits in it.
struct Hierarchy {
  std::string mountpoint;  // e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup/unified
  std::string options;  // v1 controllers as mount options: "cpu,cpuacct", "name=systemd"; "" for v2
  bool v2 = false;
  std::string path;  // the container's cgroup relative to the hierarchy root, e.g. /berth/abc
};

// Turns linux.cgroupsPath (absolute, or systemd's "slice:prefix:name") or an empty string
// (derived: /berth/<id>) into an absolute cgroup path. A relative path comes back relative
// (cleaned): Manager::open resolves it per hierarchy against the caller's own cgroup there.
Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id);
// The same with the caller's /proc/self/cgroup given as text (for tests).

class Manager {
 public:
  virtual ~Manager() = default;

  // `path` is an absolute cgroup path such as /berth/abc; `root` is the cgroupfs root (tests use
  // a temporary directory with fake control files).
  static Result<std::unique_ptr<Manager>> open(const std::string& path,
                                               const std::string& root = "/sys/fs/cgroup");
  // Reopens with the per-hierarchy paths a manager had (keyed by mountpoint), as saved in the
  // container's state, so later commands need not resolve a relative path again.
  static Result<std::unique_ptr<Manager>> open_saved(
      const std::map<std::string, std::string>& paths, const std::string& root = "/sys/fs/cgroup");

  virtual Mode mode() const = 0;
  // mkdir the cgroup in every hierarchy (idempotent).
  virtual Status create() = 0;
  // Writes every limit in linux.resources; errors name the field and the file.
  virtual Status apply(const oci::Resources& res) = 0;
  virtual Status add_pid(pid_t pid) = 0;
  virtual Status freeze(bool frozen) = 0;
  virtual Result<bool> frozen() = 0;
  // All pids in the cgroup (recursively).
  virtual Result<std::vector<pid_t>> pids() = 0;
  // Stats in runc's `events --stats` "data" shape: cpu, memory, pids, blkio, hugetlb.
  virtual Result<nlohmann::json> stats() = 0;
  // rmdir in every hierarchy (children first); the cgroup must be empty.
  virtual Status destroy() = 0;
  virtual std::vector<Hierarchy> hierarchies() const = 0;
};

}  // namespace berth::cgroup

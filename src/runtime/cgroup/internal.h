// Helpers shared by the cgroup v1 and v2 managers; not part of the public interface.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cgroup/manager.h"

namespace berth::cgroup::internal {

// --- discovery (detect.cc) ---

// The cgroup and cgroup2 mounts at or below `root` listed in /proc/self/mountinfo text.
std::vector<Hierarchy> hierarchies_from_mountinfo(const std::string& mountinfo,
                                                  const std::string& root);

// --- control files (fs_util.cc) ---

// One write(2) to an existing control file. O_APPEND: harmless on cgroupfs, and a fake tree in
// tests then records every value written.
Status write_control(const std::string& path, std::string_view value);
// write_control with the OCI field as context: "<field>: write <path>: <strerror>".
Status write_field(std::string_view field, const std::string& path, std::string_view value);
// The file's content with surrounding whitespace removed.
Result<std::string> read_control(const std::string& path);
// A single number; "max" reads as UINT64_MAX. nullopt when missing or unparsable.
std::optional<uint64_t> read_u64(const std::string& path);
// "key value" lines (memory.stat, cpu.stat, cgroup.events ...); unparsable lines are skipped.
std::map<std::string, uint64_t> read_keyed(const std::string& path);
// Whitespace-separated words (cgroup.controllers).
std::vector<std::string> read_words(const std::string& path);
bool contains(const std::vector<std::string>& v, std::string_view s);

// The pids in cgroup.procs of `dir` and of every descendant cgroup.
Result<std::vector<pid_t>> read_procs_tree(const std::string& dir);
// rmdir `dir` after its descendants; ENOENT is success, EBUSY is retried for a short while.
Status remove_cgroup_dir(const std::string& dir);
// Polls `done` until it yields true or `limit` passes; returns the last answer.
Result<bool> poll_until(const std::function<Result<bool>()>& done, std::chrono::milliseconds limit);
// True when `dir` is on a real cgroup2 filesystem (not a fake tree in a tmp dir).
bool is_cgroup2_fs(const std::string& dir);

// v2 (and the hybrid unified hierarchy): for each ancestor of `path` from the root down, write
// "+c" to cgroup.subtree_control for each controller in `wanted` (all when empty) that the
// ancestor's cgroup.controllers lists.
Status enable_controllers(const std::string& mountpoint, const std::string& path,
                          const std::vector<std::string>& wanted = {});
// mkdir every level of `path` under `mountpoint` (existing levels are fine).
Status make_cgroup_dirs(const std::string& mountpoint, const std::string& path);

// --- devices (device_rules.cc) ---

// "c 1:3 rwm", "b 8:* r", or "a" for a wildcard rule; errors name linux.resources.devices[i].
Result<std::string> device_rule_string(const oci::DeviceRule& rule, size_t index);

// --- resources ---

// v1 -> v2 conversions, as runc does them (v2_resources.cc).
// cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 stays 0 (unset).
uint64_t cpu_shares_to_weight(uint64_t shares);
// blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 stays 0 (unset).
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI swap (memory+swap, -1 unlimited, 0 unset) -> memory.swap.max (swap only, -1 max, 0 unset).
Result<int64_t> swap_to_v2(int64_t swap, int64_t limit);
// cpu.max from quota and period ("max 100000", "50000 100000", "50000"); nullopt when unset.
std::optional<std::string> cpu_max(int64_t quota, uint64_t period);

// Writes linux.resources into a v2 cgroup directory (v2_resources.cc). The devices rules become
// an eBPF program, attached only when `dir` is on a real cgroup2 mount.
Status apply_v2(const std::string& dir, const oci::Resources& res);
// linux.resources.unified for hybrid and v1 (v1_resources.cc).
Status apply_unified_on_v1(const std::optional<Hierarchy>& unified,
                           const std::map<std::string, std::string>& unified_keys);

// --- stats (stats_v1.cc, stats_v2.cc) ---

// dir_of(controller) gives the container's directory in that controller's hierarchy, or "".
nlohmann::json stats_v1(const std::function<std::string(std::string_view)>& dir_of,
                        const std::string& unified_dir);
nlohmann::json stats_v2(const std::string& dir);
// The "hugetlb" part of stats_v2 alone (hybrid systems may have hugetlb in unified only).
nlohmann::json hugetlb_stats_v2(const std::string& dir);
// hugetlb sizes available in `dir` from file names "hugetlb.<size>.<suffix>".
std::vector<std::string> hugetlb_sizes(const std::string& dir, std::string_view suffix);

// --- managers ---

std::unique_ptr<Manager> make_v1_manager(Mode mode, std::vector<Hierarchy> hierarchies);
std::unique_ptr<Manager> make_v2_manager(Hierarchy hierarchy);

// v2 freezer, shared by the v2 manager (v2.cc).
Status freeze_v2(const std::string& dir, bool frozen);
Result<bool> frozen_v2(const std::string& dir);

}  // namespace berth::cgroup::internal

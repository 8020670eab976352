// cgroup v2: writing linux.resources into the unified hierarchy (runc's fs2 conversions).
#include <algorithm>
#include <map>
#include <utility>

#include "base/file.h"
#include "runtime/cgroup/device_filter.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup::internal {

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  weight = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + (weight - 10) * 9999 / 990;
}

Result<int64_t> swap_to_v2(int64_t swap, int64_t limit) {
  // Unlimited memory and no swap setting: unlimited swap too (cgroup v1 compatibility).
  if (limit == -1 && swap == 0) return -1;
  if (swap == -1 || swap == 0) return swap;
  if (limit == 0 || limit == -1)
    return fail(ErrorKind::InvalidArgument,
                "linux.resources.memory.swap: unable to set a swap limit without a memory limit");
  if (limit < 0)
    return fail(ErrorKind::InvalidArgument, "linux.resources.memory.limit: invalid value {}",
                limit);
  if (swap < limit)
    return fail(ErrorKind::InvalidArgument,
                "linux.resources.memory.swap: memory+swap limit {} must be >= memory limit {}",
                swap, limit);
  return swap - limit;
}

std::optional<std::string> cpu_max(int64_t quota, uint64_t period) {
  if (quota == 0 && period == 0) return std::nullopt;
  std::string s = quota > 0 ? std::to_string(quota) : "max";
  if (period != 0) s += " " + std::to_string(period);
  return s;
}

namespace {

// runc's numToStr: 0 is unset, -1 is "max".
std::string limit_string(int64_t v) {
  if (v == 0) return "";
  if (v == -1) return "max";
  return std::to_string(v);
}

Status apply_memory(const std::string& dir, const oci::Memory& m) {
  int64_t limit = m.limit.value_or(0);
  int64_t swap_in = m.swap.value_or(0);
  BERTH_ASSIGN(int64_t swap, swap_to_v2(swap_in, limit));
  std::string swap_str = limit_string(swap);
  // memory == memory+swap: no swap at all.
  if (swap_str.empty() && swap == 0 && swap_in > 0) swap_str = "0";
  if (!swap_str.empty()) {
    std::string file = path_join(dir, "memory.swap.max");
    // Without swap accounting, "no swap" and "unlimited swap" are what the system does anyway.
    if (path_exists(file) || (swap_str != "max" && swap_str != "0"))
      BERTH_TRY(write_field("linux.resources.memory.swap", file, swap_str));
  }
  if (auto v = limit_string(limit); !v.empty())
    BERTH_TRY(write_field("linux.resources.memory.limit", path_join(dir, "memory.max"), v));
  if (auto v = limit_string(m.reservation.value_or(0)); !v.empty())
    BERTH_TRY(write_field("linux.resources.memory.reservation", path_join(dir, "memory.low"), v));
  // swappiness, disableOOMKiller, kernel and kernelTCP have no v2 equivalent (runc ignores them).
  return ok();
}

Status apply_cpu(const std::string& dir, const oci::Cpu& c) {
  if (!c.cpus.empty())
    BERTH_TRY(write_field("linux.resources.cpu.cpus", path_join(dir, "cpuset.cpus"), c.cpus));
  if (!c.mems.empty())
    BERTH_TRY(write_field("linux.resources.cpu.mems", path_join(dir, "cpuset.mems"), c.mems));
  if (uint64_t w = cpu_shares_to_weight(c.shares.value_or(0)))
    BERTH_TRY(
        write_field("linux.resources.cpu.shares", path_join(dir, "cpu.weight"), std::to_string(w)));
  if (auto max = cpu_max(c.quota.value_or(0), c.period.value_or(0)))
    BERTH_TRY(write_field(
        c.quota.value_or(0) ? "linux.resources.cpu.quota" : "linux.resources.cpu.period",
        path_join(dir, "cpu.max"), *max));
  if (c.idle)
    BERTH_TRY(write_field("linux.resources.cpu.idle", path_join(dir, "cpu.idle"),
                          std::to_string(*c.idle)));
  if (c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0)
    return fail(ErrorKind::Unavailable,
                "linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported on cgroup v2");
  return ok();
}

Status apply_io(const std::string& dir, const oci::BlockIo& b) {
  // With the BFQ scheduler io.bfq.weight takes blkio weights as they are; otherwise io.weight
  // takes converted ones.
  std::string bfq = path_join(dir, "io.bfq.weight");
  bool use_bfq = path_exists(bfq);
  auto weight = [&](uint64_t w) { return use_bfq ? w : blkio_weight_to_io_weight(w); };
  std::string weight_file = use_bfq ? bfq : path_join(dir, "io.weight");
  if (b.weight.value_or(0))
    BERTH_TRY(write_field("linux.resources.blockIO.weight", weight_file,
                          std::to_string(weight(*b.weight))));
  for (const auto& wd : b.weight_device) {
    if (!wd.weight) continue;
    BERTH_TRY(write_field("linux.resources.blockIO.weightDevice", weight_file,
                          fmt::format("{}:{} {}", wd.major, wd.minor, weight(*wd.weight))));
  }
  // io.max: one line per device with every limit for it.
  std::map<std::pair<int64_t, int64_t>, std::string> lines;
  auto add = [&](const std::vector<oci::ThrottleDevice>& devs, const char* key) {
    for (const auto& td : devs) lines[{td.major, td.minor}] += fmt::format(" {}={}", key, td.rate);
  };
  add(b.read_bps, "rbps");
  add(b.write_bps, "wbps");
  add(b.read_iops, "riops");
  add(b.write_iops, "wiops");
  for (const auto& [dev, limits] : lines) {
    BERTH_TRY(write_field("linux.resources.blockIO.throttle", path_join(dir, "io.max"),
                          fmt::format("{}:{}{}", dev.first, dev.second, limits)));
  }
  return ok();
}

Status apply_hugetlb(const std::string& dir, const std::vector<oci::HugepageLimit>& limits) {
  for (const auto& l : limits) {
    if (l.page_size.empty() || l.page_size.find('/') != std::string::npos ||
        l.page_size.find('.') != std::string::npos)
      return fail(ErrorKind::InvalidArgument,
                  "linux.resources.hugepageLimits: invalid pageSize {:?}", l.page_size);
    std::string file = path_join(dir, fmt::format("hugetlb.{}.max", l.page_size));
    if (!path_exists(file))
      return fail(ErrorKind::Unavailable,
                  "linux.resources.hugepageLimits: {} does not exist (hugetlb controller not "
                  "enabled or page size {} not supported)",
                  file, l.page_size);
    std::string v = std::to_string(l.limit);
    BERTH_TRY(write_field("linux.resources.hugepageLimits", file, v));
    std::string rsvd = path_join(dir, fmt::format("hugetlb.{}.rsvd.max", l.page_size));
    if (path_exists(rsvd)) BERTH_TRY(write_field("linux.resources.hugepageLimits", rsvd, v));
  }
  return ok();
}

Status apply_unified(const std::string& dir, const std::map<std::string, std::string>& keys) {
  for (const auto& [key, value] : keys) {
    if (key.empty() || key.find('/') != std::string::npos || key.find('.') == std::string::npos ||
        key.front() == '.')
      return fail(ErrorKind::InvalidArgument, "linux.resources.unified: invalid key {:?}", key);
    std::string file = path_join(dir, key);
    if (!path_exists(file))
      return fail(ErrorKind::Unavailable,
                  "linux.resources.unified.{}: {} does not exist (controller not available?)", key,
                  file);
    BERTH_TRY(write_field(fmt::format("linux.resources.unified.{}", key), file, value));
  }
  return ok();
}

Status apply_devices(const std::string& dir, const std::vector<oci::DeviceRule>& rules) {
  if (rules.empty()) return ok();
  BERTH_ASSIGN(auto prog, device_filter_program(rules));
  // A fake tree in a test directory gets the program built but not attached.
  if (!is_cgroup2_fs(dir)) return ok();
  auto st = attach_device_filter(dir, prog);
  if (!st) return std::unexpected(std::move(st).error().context("linux.resources.devices"));
  return ok();
}

}  // namespace

Status apply_v2(const std::string& dir, const oci::Resources& res) {
  if (res.cpu) BERTH_TRY(apply_cpu(dir, *res.cpu));
  BERTH_TRY(apply_devices(dir, res.devices));
  if (res.memory) BERTH_TRY(apply_memory(dir, *res.memory));
  if (res.pids_limit) {
    std::string v = *res.pids_limit <= 0 ? "max" : std::to_string(*res.pids_limit);
    BERTH_TRY(write_field("linux.resources.pids.limit", path_join(dir, "pids.max"), v));
  }
  if (res.block_io) BERTH_TRY(apply_io(dir, *res.block_io));
  BERTH_TRY(apply_hugetlb(dir, res.hugepage_limits));
  // Last, so that unified values win over the converted ones (runc).
  return apply_unified(dir, res.unified);
}

}  // namespace berth::cgroup::internal

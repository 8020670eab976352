// cgroup v1: writing linux.resources into the controller hierarchies.
#include "base/file.h"
#include "base/strings.h"
#include "runtime/cgroup/internal.h"
#include "runtime/cgroup/v1.h"

namespace berth::cgroup::internal {

namespace {

std::string dev(int64_t major, int64_t minor) {
  return fmt::format("{}:{}", major, minor);
}

// The controller of a unified key: "memory.max" -> "memory".
Result<std::string> unified_key_controller(const std::string& key) {
  auto dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || key.find('/') != std::string::npos)
    return fail(ErrorKind::InvalidArgument, "linux.resources.unified: invalid key {:?}", key);
  return key.substr(0, dot);
}

}  // namespace

Status V1Manager::apply(const oci::Resources& res) {
  // Same order as runc's v1 subsystems: cpuset, devices, memory, cpu, pids, blkio, hugetlb.
  if (res.cpu && (!res.cpu->cpus.empty() || !res.cpu->mems.empty())) {
    BERTH_ASSIGN(std::string d, need("cpuset", "linux.resources.cpu.cpus"));
    if (!res.cpu->cpus.empty())
      BERTH_TRY(
          write_field("linux.resources.cpu.cpus", path_join(d, "cpuset.cpus"), res.cpu->cpus));
    if (!res.cpu->mems.empty())
      BERTH_TRY(
          write_field("linux.resources.cpu.mems", path_join(d, "cpuset.mems"), res.cpu->mems));
  }
  BERTH_TRY(apply_devices(res.devices));
  if (res.memory) BERTH_TRY(apply_memory(*res.memory));
  if (res.cpu) BERTH_TRY(apply_cpu(*res.cpu));
  if (res.pids_limit) {
    BERTH_ASSIGN(std::string d, need("pids", "linux.resources.pids.limit"));
    std::string v = *res.pids_limit <= 0 ? "max" : std::to_string(*res.pids_limit);
    BERTH_TRY(write_field("linux.resources.pids.limit", path_join(d, "pids.max"), v));
  }
  if (res.block_io) BERTH_TRY(apply_block_io(*res.block_io));
  BERTH_TRY(apply_hugetlb(res.hugepage_limits));
  return apply_unified_on_v1(unified_, res.unified);
}

Status V1Manager::apply_devices(const std::vector<oci::DeviceRule>& rules) {
  if (rules.empty()) return ok();
  BERTH_ASSIGN(std::string d, need("devices", "linux.resources.devices"));
  std::string allow = path_join(d, "devices.allow");
  std::string deny = path_join(d, "devices.deny");
  // Like runc, the rules describe the whole list starting from deny-all; when they do not start
  // with their own wildcard rule, deny everything first.
  const auto& first = rules.front();
  if (!(first.type.empty() || first.type == "a"))
    BERTH_TRY(write_field("linux.resources.devices", deny, "a\n"));
  for (size_t i = 0; i < rules.size(); ++i) {
    BERTH_ASSIGN(std::string line, device_rule_string(rules[i], i));
    BERTH_TRY(write_field(fmt::format("linux.resources.devices[{}]", i),
                          rules[i].allow ? allow : deny, line + "\n"));
  }
  return ok();
}

Status V1Manager::apply_memory(const oci::Memory& m) {
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  bool any = limit != 0 || swap != 0 || m.reservation.value_or(0) != 0 || m.swappiness ||
             m.disable_oom_killer.value_or(false) || m.kernel_tcp.value_or(0) != 0;
  if (!any) return ok();
  BERTH_ASSIGN(std::string d, need("memory", "linux.resources.memory"));
  std::string memsw = path_join(d, "memory.memsw.limit_in_bytes");
  bool have_memsw = path_exists(memsw);
  // Unlimited memory with no swap setting means unlimited memory+swap too (runc).
  if (limit == -1 && swap == 0 && have_memsw) swap = -1;
  if (swap != 0 && !have_memsw) {
    if (swap != -1)
      return fail(ErrorKind::Unavailable,
                  "linux.resources.memory.swap: swap limit is not supported ({} does not exist; "
                  "is swap accounting enabled?)",
                  memsw);
    swap = 0;  // unlimited is all there is without swap accounting
  }
  auto write_limit = [&] {
    return write_field("linux.resources.memory.limit", path_join(d, "memory.limit_in_bytes"),
                       std::to_string(limit));
  };
  auto write_swap = [&] {
    return write_field("linux.resources.memory.swap", memsw, std::to_string(swap));
  };
  if (limit != 0 && swap != 0) {
    // memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes: raising both needs memsw
    // first, lowering both needs the limit first. Try the limit first and swap on EINVAL.
    auto st = write_limit();
    if (!st && st.error().sys_errno() == EINVAL) {
      BERTH_TRY(write_swap());
      BERTH_TRY(write_limit());
    } else {
      BERTH_TRY(st);
      BERTH_TRY(write_swap());
    }
  } else if (limit != 0) {
    BERTH_TRY(write_limit());
  } else if (swap != 0) {
    BERTH_TRY(write_swap());
  }
  if (m.reservation.value_or(0) != 0)
    BERTH_TRY(write_field("linux.resources.memory.reservation",
                          path_join(d, "memory.soft_limit_in_bytes"),
                          std::to_string(*m.reservation)));
  if (m.kernel_tcp.value_or(0) != 0)
    BERTH_TRY(write_field("linux.resources.memory.kernelTCP",
                          path_join(d, "memory.kmem.tcp.limit_in_bytes"),
                          std::to_string(*m.kernel_tcp)));
  // linux.resources.memory.kernel is deprecated and ignored, as in runc.
  if (m.swappiness) {
    if (*m.swappiness > 100)
      return fail(ErrorKind::InvalidArgument,
                  "linux.resources.memory.swappiness: {} is out of range 0-100", *m.swappiness);
    BERTH_TRY(write_field("linux.resources.memory.swappiness", path_join(d, "memory.swappiness"),
                          std::to_string(*m.swappiness)));
  }
  if (m.disable_oom_killer.value_or(false))
    BERTH_TRY(write_field("linux.resources.memory.disableOOMKiller",
                          path_join(d, "memory.oom_control"), "1"));
  return ok();
}

Status V1Manager::apply_cpu(const oci::Cpu& c) {
  uint64_t shares = c.shares.value_or(0), period = c.period.value_or(0);
  int64_t quota = c.quota.value_or(0);
  int64_t rt_runtime = c.realtime_runtime.value_or(0);
  uint64_t rt_period = c.realtime_period.value_or(0);
  if (!shares && !period && !quota && !rt_runtime && !rt_period && !c.idle) return ok();
  BERTH_ASSIGN(std::string d, need("cpu", "linux.resources.cpu"));
  if (shares)
    BERTH_TRY(write_field("linux.resources.cpu.shares", path_join(d, "cpu.shares"),
                          std::to_string(shares)));
  // The period goes first; if the kernel refuses it (EINVAL: old quota / new period would exceed
  // the parent's limit) and a quota follows, retry it after the quota (runc).
  bool period_pending = false;
  if (period) {
    auto st = write_field("linux.resources.cpu.period", path_join(d, "cpu.cfs_period_us"),
                          std::to_string(period));
    if (!st && !(st.error().sys_errno() == EINVAL && quota)) return st;
    period_pending = !st;
  }
  if (quota) {
    BERTH_TRY(write_field("linux.resources.cpu.quota", path_join(d, "cpu.cfs_quota_us"),
                          std::to_string(quota)));
    if (period_pending)
      BERTH_TRY(write_field("linux.resources.cpu.period", path_join(d, "cpu.cfs_period_us"),
                            std::to_string(period)));
  }
  if (rt_period)
    BERTH_TRY(write_field("linux.resources.cpu.realtimePeriod", path_join(d, "cpu.rt_period_us"),
                          std::to_string(rt_period)));
  if (rt_runtime)
    BERTH_TRY(write_field("linux.resources.cpu.realtimeRuntime", path_join(d, "cpu.rt_runtime_us"),
                          std::to_string(rt_runtime)));
  if (c.idle)
    BERTH_TRY(
        write_field("linux.resources.cpu.idle", path_join(d, "cpu.idle"), std::to_string(*c.idle)));
  return ok();
}

Status V1Manager::apply_block_io(const oci::BlockIo& b) {
  bool any = b.weight.value_or(0) || b.leaf_weight.value_or(0) || !b.weight_device.empty() ||
             !b.read_bps.empty() || !b.write_bps.empty() || !b.read_iops.empty() ||
             !b.write_iops.empty();
  if (!any) return ok();
  BERTH_ASSIGN(std::string d, need("blkio", "linux.resources.blockIO"));
  // With the BFQ scheduler only blkio.bfq.weight exists (runc falls back to it too).
  std::string weight_file = path_join(d, "blkio.weight");
  std::string weight_device_file = path_join(d, "blkio.weight_device");
  if (!path_exists(weight_file) && path_exists(path_join(d, "blkio.bfq.weight"))) {
    weight_file = path_join(d, "blkio.bfq.weight");
    weight_device_file = path_join(d, "blkio.bfq.weight_device");
  }
  if (b.weight.value_or(0))
    BERTH_TRY(
        write_field("linux.resources.blockIO.weight", weight_file, std::to_string(*b.weight)));
  if (b.leaf_weight.value_or(0))
    BERTH_TRY(write_field("linux.resources.blockIO.leafWeight", path_join(d, "blkio.leaf_weight"),
                          std::to_string(*b.leaf_weight)));
  for (const auto& wd : b.weight_device) {
    if (wd.weight)
      BERTH_TRY(write_field("linux.resources.blockIO.weightDevice", weight_device_file,
                            fmt::format("{} {}", dev(wd.major, wd.minor), *wd.weight)));
    if (wd.leaf_weight)
      BERTH_TRY(write_field("linux.resources.blockIO.weightDevice",
                            path_join(d, "blkio.leaf_weight_device"),
                            fmt::format("{} {}", dev(wd.major, wd.minor), *wd.leaf_weight)));
  }
  struct Throttle {
    const std::vector<oci::ThrottleDevice>& devices;
    const char* field;
    const char* file;
  };
  for (const auto& t : {Throttle{b.read_bps, "throttleReadBpsDevice", "read_bps_device"},
                        Throttle{b.write_bps, "throttleWriteBpsDevice", "write_bps_device"},
                        Throttle{b.read_iops, "throttleReadIOPSDevice", "read_iops_device"},
                        Throttle{b.write_iops, "throttleWriteIOPSDevice", "write_iops_device"}}) {
    for (const auto& td : t.devices) {
      BERTH_TRY(write_field(fmt::format("linux.resources.blockIO.{}", t.field),
                            path_join(d, fmt::format("blkio.throttle.{}", t.file)),
                            fmt::format("{} {}", dev(td.major, td.minor), td.rate)));
    }
  }
  return ok();
}

Status V1Manager::apply_hugetlb(const std::vector<oci::HugepageLimit>& limits) {
  for (const auto& l : limits) {
    if (l.page_size.empty() || l.page_size.find('/') != std::string::npos ||
        l.page_size.find('.') != std::string::npos)
      return fail(ErrorKind::InvalidArgument,
                  "linux.resources.hugepageLimits: invalid pageSize {:?}", l.page_size);
    std::string v = std::to_string(l.limit);
    std::string d;
    std::string suffix;
    if (auto v1 = dir_of("hugetlb")) {
      d = *v1;
      suffix = "limit_in_bytes";
    } else if (unified_ &&
               contains(read_words(path_join(unified_->mountpoint, "cgroup.controllers")),
                        "hugetlb")) {
      // Hybrid systems may have hugetlb only in the unified hierarchy.
      BERTH_TRY(enable_controllers(unified_->mountpoint, unified_->path, {"hugetlb"}));
      d = dir(*unified_);
      suffix = "max";
    } else {
      return fail(ErrorKind::Unavailable,
                  "linux.resources.hugepageLimits: the hugetlb cgroup controller is not available");
    }
    std::string file = path_join(d, fmt::format("hugetlb.{}.{}", l.page_size, suffix));
    if (!path_exists(file))
      return fail(
          ErrorKind::Unavailable,
          "linux.resources.hugepageLimits: page size {} is not supported ({} does not exist)",
          l.page_size, file);
    BERTH_TRY(write_field("linux.resources.hugepageLimits", file, v));
    // Reservations are limited alongside usage when the kernel has them (runc).
    std::string rsvd = path_join(d, fmt::format("hugetlb.{}.rsvd.{}", l.page_size, suffix));
    if (path_exists(rsvd)) BERTH_TRY(write_field("linux.resources.hugepageLimits", rsvd, v));
  }
  return ok();
}

Status apply_unified_on_v1(const std::optional<Hierarchy>& unified,
                           const std::map<std::string, std::string>& unified_keys) {
  if (unified_keys.empty()) return ok();
  std::vector<std::string> available;
  if (unified) available = read_words(path_join(unified->mountpoint, "cgroup.controllers"));
  for (const auto& [key, value] : unified_keys) {
    BERTH_ASSIGN(std::string controller, unified_key_controller(key));
    if (!unified || (controller != "cgroup" && !contains(available, controller)))
      return fail(ErrorKind::Unavailable,
                  "linux.resources.unified: {} requires cgroup v2 (controller {} is not available "
                  "in a cgroup2 hierarchy here)",
                  key, controller);
    if (controller != "cgroup")
      BERTH_TRY(enable_controllers(unified->mountpoint, unified->path, {controller}));
    std::string file = path_join(path_join(unified->mountpoint, unified->path), key);
    if (!path_exists(file))
      return fail(ErrorKind::Unavailable, "linux.resources.unified: {}: {} does not exist", key,
                  file);
    BERTH_TRY(write_field(fmt::format("linux.resources.unified.{}", key), file, value));
  }
  return ok();
}

}  // namespace berth::cgroup::internal

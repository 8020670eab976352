// cgroup v1 statistics in runc's `events --stats` shape.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>

#include "base/file.h"
#include "base/strings.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup::internal {

namespace {

using nlohmann::json;

void put(json& j, const char* key, std::optional<uint64_t> v) {
  if (v) j[key] = *v;
}

// runc's MemoryEntry from memory.<prefix>{limit_in_bytes,usage_in_bytes,...}.
json memory_entry(const std::string& dir, const std::string& prefix) {
  json e = {{"limit", 0}, {"failcnt", 0}};
  put(e, "limit", read_u64(path_join(dir, prefix + "limit_in_bytes")));
  put(e, "usage", read_u64(path_join(dir, prefix + "usage_in_bytes")));
  put(e, "max", read_u64(path_join(dir, prefix + "max_usage_in_bytes")));
  put(e, "failcnt", read_u64(path_join(dir, prefix + "failcnt")));
  return e;
}

json cpu_stats(const std::string& cpuacct, const std::string& cpu) {
  json usage = {{"kernel", 0}, {"user", 0}};
  json throttling = json::object();
  if (!cpuacct.empty()) {
    put(usage, "total", read_u64(path_join(cpuacct, "cpuacct.usage")));
    if (auto text = read_file(path_join(cpuacct, "cpuacct.usage_percpu"))) {
      json percpu = json::array();
      for (const auto& w : split(trim(*text), ' ')) {
        if (auto v = parse_uint(trim(w))) percpu.push_back(*v);
      }
      if (!percpu.empty()) usage["percpu"] = percpu;
    }
    // cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds.
    auto st = read_keyed(path_join(cpuacct, "cpuacct.stat"));
    uint64_t hz = static_cast<uint64_t>(std::max(1L, ::sysconf(_SC_CLK_TCK)));
    if (st.count("user")) usage["user"] = st["user"] * 1000000000ULL / hz;
    if (st.count("system")) usage["kernel"] = st["system"] * 1000000000ULL / hz;
  }
  if (!cpu.empty()) {
    auto st = read_keyed(path_join(cpu, "cpu.stat"));
    if (st.count("nr_periods")) throttling["periods"] = st["nr_periods"];
    if (st.count("nr_throttled")) throttling["throttledPeriods"] = st["nr_throttled"];
    if (st.count("throttled_time")) throttling["throttledTime"] = st["throttled_time"];
  }
  return {{"usage", usage}, {"throttling", throttling}};
}

json memory_stats(const std::string& dir) {
  json m = json::object();
  if (dir.empty()) return m;
  m["usage"] = memory_entry(dir, "memory.");
  if (path_exists(path_join(dir, "memory.memsw.usage_in_bytes")))
    m["swap"] = memory_entry(dir, "memory.memsw.");
  if (path_exists(path_join(dir, "memory.kmem.usage_in_bytes")))
    m["kernel"] = memory_entry(dir, "memory.kmem.");
  if (path_exists(path_join(dir, "memory.kmem.tcp.usage_in_bytes")))
    m["kernelTCP"] = memory_entry(dir, "memory.kmem.tcp.");
  auto raw = read_keyed(path_join(dir, "memory.stat"));
  if (!raw.empty()) {
    m["raw"] = raw;
    if (raw.count("cache")) m["cache"] = raw["cache"];
  }
  return m;
}

json pids_stats(const std::string& dir) {
  json p = json::object();
  if (dir.empty()) return p;
  put(p, "current", read_u64(path_join(dir, "pids.current")));
  // "max" is reported as 0, meaning no limit (runc).
  if (auto max = read_u64(path_join(dir, "pids.max"))) p["limit"] = *max == UINT64_MAX ? 0 : *max;
  return p;
}

// blkio.throttle.io_service_bytes_recursive: "8:0 Read 1234" lines and a "Total N" line.
json blkio_entries(const std::string& file) {
  json out = json::array();
  auto text = read_file(file);
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto f = split(std::string(trim(line)), ' ');
    if (f.size() != 3) continue;
    auto colon = f[0].find(':');
    if (colon == std::string::npos) continue;
    auto major = parse_uint(std::string_view(f[0]).substr(0, colon));
    auto minor = parse_uint(std::string_view(f[0]).substr(colon + 1));
    auto value = parse_uint(f[2]);
    if (!major || !minor || !value) continue;
    out.push_back({{"major", *major}, {"minor", *minor}, {"op", f[1]}, {"value", *value}});
  }
  return out;
}

json blkio_stats(const std::string& dir) {
  json b = json::object();
  if (dir.empty()) return b;
  auto pick = [&](const char* name) {
    std::string rec = path_join(dir, fmt::format("blkio.throttle.{}_recursive", name));
    return path_exists(rec) ? rec : path_join(dir, fmt::format("blkio.throttle.{}", name));
  };
  auto bytes = blkio_entries(pick("io_service_bytes"));
  auto ios = blkio_entries(pick("io_serviced"));
  if (!bytes.empty()) b["ioServiceBytesRecursive"] = bytes;
  if (!ios.empty()) b["ioServicedRecursive"] = ios;
  return b;
}

json hugetlb_stats_v1(const std::string& dir) {
  json h = json::object();
  if (dir.empty()) return h;
  for (const auto& size : hugetlb_sizes(dir, "limit_in_bytes")) {
    std::string p = "hugetlb." + size + ".";
    json e = {{"failcnt", 0}};
    put(e, "usage", read_u64(path_join(dir, p + "usage_in_bytes")));
    put(e, "max", read_u64(path_join(dir, p + "max_usage_in_bytes")));
    put(e, "failcnt", read_u64(path_join(dir, p + "failcnt")));
    h[size] = e;
  }
  return h;
}

}  // namespace

std::vector<std::string> hugetlb_sizes(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  std::string tail = "." + std::string(suffix);
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with("hugetlb.") || !name.ends_with(tail)) continue;
    name.remove_prefix(8);
    name.remove_suffix(tail.size());
    // hugetlb.2MB.rsvd.max is a reservation file, not a size.
    if (!name.empty() && name.find('.') == std::string_view::npos) out.emplace_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json stats_v1(const std::function<std::string(std::string_view)>& dir_of,
                        const std::string& unified_dir) {
  json out;
  out["cpu"] = cpu_stats(dir_of("cpuacct"), dir_of("cpu"));
  out["memory"] = memory_stats(dir_of("memory"));
  out["pids"] = pids_stats(dir_of("pids"));
  out["blkio"] = blkio_stats(dir_of("blkio"));
  std::string hugetlb = dir_of("hugetlb");
  if (!hugetlb.empty()) {
    out["hugetlb"] = hugetlb_stats_v1(hugetlb);
  } else if (!unified_dir.empty()) {
    // Hybrid systems may account hugetlb in the unified hierarchy only.
    out["hugetlb"] = hugetlb_stats_v2(unified_dir);
  } else {
    out["hugetlb"] = json::object();
  }
  return out;
}

}  // namespace berth::cgroup::internal

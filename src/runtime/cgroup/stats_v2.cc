// cgroup v2 statistics in runc's `events --stats` shape (v1-compatible units and meanings).
#include "base/file.h"
#include "base/strings.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup::internal {

namespace {

using nlohmann::json;

json cpu_stats(const std::string& dir) {
  auto st = read_keyed(path_join(dir, "cpu.stat"));
  json usage = {{"kernel", 0}, {"user", 0}};
  json throttling = json::object();
  // cpu.stat is in microseconds; runc reports nanoseconds.
  if (st.count("usage_usec")) usage["total"] = st["usage_usec"] * 1000;
  if (st.count("user_usec")) usage["user"] = st["user_usec"] * 1000;
  if (st.count("system_usec")) usage["kernel"] = st["system_usec"] * 1000;
  if (st.count("nr_periods")) throttling["periods"] = st["nr_periods"];
  if (st.count("nr_throttled")) throttling["throttledPeriods"] = st["nr_throttled"];
  if (st.count("throttled_usec")) throttling["throttledTime"] = st["throttled_usec"] * 1000;
  return {{"usage", usage}, {"throttling", throttling}};
}

json memory_stats(const std::string& dir) {
  json m = json::object();
  auto usage = read_u64(path_join(dir, "memory.current"));
  if (!usage) return m;  // no memory controller here
  auto limit = read_u64(path_join(dir, "memory.max"));
  json u = {{"usage", *usage}, {"limit", limit.value_or(UINT64_MAX)}, {"failcnt", 0}};
  if (auto peak = read_u64(path_join(dir, "memory.peak"))) u["max"] = *peak;
  auto events = read_keyed(path_join(dir, "memory.events"));
  if (events.count("max")) u["failcnt"] = events["max"];
  m["usage"] = u;
  if (auto swap = read_u64(path_join(dir, "memory.swap.current"))) {
    // v1 reports memory+swap as "swap"; so does runc on v2.
    uint64_t swap_limit = read_u64(path_join(dir, "memory.swap.max")).value_or(UINT64_MAX);
    uint64_t mem_limit = limit.value_or(UINT64_MAX);
    if (swap_limit != UINT64_MAX && mem_limit != UINT64_MAX) swap_limit += mem_limit;
    json s = {{"usage", *swap + *usage}, {"limit", swap_limit}, {"failcnt", 0}};
    if (auto peak = read_u64(path_join(dir, "memory.swap.peak"))) s["max"] = *peak;
    auto swap_events = read_keyed(path_join(dir, "memory.swap.events"));
    if (swap_events.count("max")) s["failcnt"] = swap_events["max"];
    m["swap"] = s;
  }
  auto raw = read_keyed(path_join(dir, "memory.stat"));
  if (!raw.empty()) {
    m["raw"] = raw;
    if (raw.count("file")) m["cache"] = raw["file"];
  }
  return m;
}

json pids_stats(const std::string& dir) {
  json p = json::object();
  if (auto cur = read_u64(path_join(dir, "pids.current"))) p["current"] = *cur;
  if (auto max = read_u64(path_join(dir, "pids.max"))) p["limit"] = *max == UINT64_MAX ? 0 : *max;
  return p;
}

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6".
json io_stats(const std::string& dir) {
  json bytes = json::array(), ios = json::array();
  auto text = read_file(path_join(dir, "io.stat"));
  if (text) {
    for (const auto& line : split(*text, '\n')) {
      auto f = split(std::string(trim(line)), ' ');
      auto colon = f[0].find(':');
      if (f.size() < 2 || colon == std::string::npos) continue;
      auto major = parse_uint(std::string_view(f[0]).substr(0, colon));
      auto minor = parse_uint(std::string_view(f[0]).substr(colon + 1));
      if (!major || !minor) continue;
      for (size_t i = 1; i < f.size(); ++i) {
        auto eq = f[i].find('=');
        if (eq == std::string::npos) continue;
        std::string key = f[i].substr(0, eq);
        auto value = parse_uint(std::string_view(f[i]).substr(eq + 1));
        if (!value) continue;
        const char* op = key[0] == 'r' ? "Read" : key[0] == 'w' ? "Write" : "Discard";
        json e = {{"major", *major}, {"minor", *minor}, {"op", op}, {"value", *value}};
        if (key.ends_with("bytes")) bytes.push_back(e);
        if (key.ends_with("ios")) ios.push_back(e);
      }
    }
  }
  json b = json::object();
  if (!bytes.empty()) b["ioServiceBytesRecursive"] = bytes;
  if (!ios.empty()) b["ioServicedRecursive"] = ios;
  return b;
}

}  // namespace

json hugetlb_stats_v2(const std::string& dir) {
  json h = json::object();
  for (const auto& size : hugetlb_sizes(dir, "max")) {
    std::string p = "hugetlb." + size + ".";
    json e = {{"failcnt", 0}};
    if (auto cur = read_u64(path_join(dir, p + "current"))) e["usage"] = *cur;
    auto events = read_keyed(path_join(dir, p + "events"));
    if (events.count("max")) e["failcnt"] = events["max"];
    h[size] = e;
  }
  return h;
}

json stats_v2(const std::string& dir) {
  json out;
  out["cpu"] = cpu_stats(dir);
  out["memory"] = memory_stats(dir);
  out["pids"] = pids_stats(dir);
  out["blkio"] = io_stats(dir);
  out["hugetlb"] = hugetlb_stats_v2(dir);
  return out;
}

}  // namespace berth::cgroup::internal

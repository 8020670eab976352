#include "daemon/proc_stats.h"

#include <dirent.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "base/file.h"
#include "base/strings.h"
#include "base/time.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

std::string first_line(const std::string& path) {
  std::string s = read_file(path).value_or("");
  return s.substr(0, s.find('\n'));
}

uint64_t number(const std::string& path) {
  return parse_uint(trim(first_line(path))).value_or(0);
}

// "key value" lines (memory.stat, cpu.stat, cpuacct.stat)
std::map<std::string, uint64_t> kv_file(const std::string& path) {
  std::map<std::string, uint64_t> m;
  for (auto& line : split(read_file(path).value_or(""), '\n')) {
    auto f = split(line, ' ');
    if (f.size() == 2)
      if (auto v = parse_uint(f[1])) m[f[0]] = *v;
  }
  return m;
}

std::string ns_of(int pid) {
  char buf[64];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// The fields of /proc/<pid>/stat after the command (which may hold spaces).
std::vector<std::string> stat_fields(int pid) {
  std::string s = read_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
  auto close = s.rfind(')');
  if (close == std::string::npos) return {};
  return split(std::string(trim(s.substr(close + 2))), ' ');
}

struct Cgroups {
  std::map<std::string, std::string> v1;  // controller -> directory
  std::string v2;                         // the unified directory, if any
};

Cgroups cgroups_of(int pid) {
  // where each hierarchy is mounted
  std::map<std::string, std::string> v1_mounts;
  std::string v2_mount;
  for (auto& line : split(read_file("/proc/self/mountinfo").value_or(""), '\n')) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto pre = split(line.substr(0, dash), ' ');
    auto post = split(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    if (post[0] == "cgroup2") v2_mount = pre[4];
    if (post[0] == "cgroup")
      for (auto& o : split(post[2], ','))
        if (o != "rw" && o != "ro") v1_mounts[o] = pre[4];
  }
  Cgroups c;
  for (auto& line :
       split(read_file("/proc/" + std::to_string(pid) + "/cgroup").value_or(""), '\n')) {
    auto f = split(line, ':');
    if (f.size() < 3) continue;
    if (f[1].empty()) {
      if (!v2_mount.empty()) c.v2 = v2_mount + f[2];
      continue;
    }
    for (auto& ctl : split(f[1], ','))
      if (v1_mounts.count(ctl)) c.v1[ctl] = v1_mounts[ctl] + f[2];
  }
  return c;
}

uint64_t system_cpu_ns() {
  auto f = split(first_line("/proc/stat"), ' ');
  uint64_t ticks = 0;
  for (size_t i = 1; i < f.size() && i <= 8; ++i) ticks += parse_uint(f[i]).value_or(0);
  return ticks * (1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

json networks_of(int pid) {
  json out = json::object();
  auto lines = split(read_file("/proc/" + std::to_string(pid) + "/net/dev").value_or(""), '\n');
  for (size_t i = 2; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    std::string name(trim(lines[i].substr(0, colon)));
    if (name == "lo") continue;
    std::vector<uint64_t> v;
    for (auto& f : split(lines[i].substr(colon + 1), ' '))
      if (!f.empty()) v.push_back(parse_uint(f).value_or(0));
    if (v.size() < 12) continue;
    out[name] = {{"rx_bytes", v[0]},   {"rx_packets", v[1]}, {"rx_errors", v[2]},
                 {"rx_dropped", v[3]}, {"tx_bytes", v[8]},   {"tx_packets", v[9]},
                 {"tx_errors", v[10]}, {"tx_dropped", v[11]}};
  }
  return out;
}

}  // namespace

Result<json> top(int init_pid) {
  std::string ns = ns_of(init_pid);
  if (ns.empty()) return fail(ErrorKind::Conflict, "container is not running");
  long tck = sysconf(_SC_CLK_TCK);
  uint64_t btime = 0;
  for (auto& line : split(read_file("/proc/stat").value_or(""), '\n'))
    if (line.starts_with("btime ")) btime = parse_uint(line.substr(6)).value_or(0);
  std::map<unsigned, std::string> users;
  for (auto& line : split(read_file("/etc/passwd").value_or(""), '\n')) {
    auto f = split(line, ':');
    if (f.size() > 2)
      if (auto id = parse_uint(f[2])) users.emplace(static_cast<unsigned>(*id), f[0]);
  }
  json procs = json::array();
  DIR* d = opendir("/proc");
  if (!d) return sys_fail("open /proc");
  std::vector<int> pids;
  while (dirent* e = readdir(d))
    if (auto p = parse_uint(e->d_name)) pids.push_back(static_cast<int>(*p));
  closedir(d);
  std::sort(pids.begin(), pids.end());
  for (int pid : pids) {
    if (ns_of(pid) != ns) continue;
    auto st = stat_fields(pid);
    if (st.size() < 20) continue;
    unsigned uid = 0;
    for (auto& line :
         split(read_file("/proc/" + std::to_string(pid) + "/status").value_or(""), '\n'))
      if (line.starts_with("Uid:")) {
        auto f = split(std::string(trim(line.substr(4))), '\t');
        uid = static_cast<unsigned>(parse_uint(f.empty() ? "" : f[0]).value_or(0));
      }
    std::string user = users.count(uid) ? users[uid] : std::to_string(uid);
    // stat fields after the command: state(0) ppid(1) ... tty_nr(4) ... utime(11) stime(12)
    // ... starttime(19)
    uint64_t tty = parse_uint(st[4]).value_or(0);
    std::string tty_s = tty == 0            ? "?"
                        : major(tty) == 136 ? "pts/" + std::to_string(minor(tty))
                                            : "?";
    uint64_t cpu_s = (parse_uint(st[11]).value_or(0) + parse_uint(st[12]).value_or(0)) /
                     static_cast<uint64_t>(tck);
    time_t start = static_cast<time_t>(btime + parse_uint(st[19]).value_or(0) / tck);
    tm t;
    localtime_r(&start, &t);
    char stime[16];
    strftime(stime, sizeof stime, "%H:%M", &t);
    std::string cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline").value_or("");
    while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
    for (auto& ch : cmd)
      if (ch == '\0') ch = ' ';
    if (cmd.empty()) cmd = "[" + first_line("/proc/" + std::to_string(pid) + "/comm") + "]";
    procs.push_back({user, std::to_string(pid), st[1], "0", stime, tty_s,
                     fmt::format("{:02}:{:02}:{:02}", cpu_s / 3600, cpu_s / 60 % 60, cpu_s % 60),
                     cmd});
  }
  return json{{"Titles", {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}},
              {"Processes", procs}};
}

json empty_stats_sample() {
  return {
      {"read", "0001-01-01T00:00:00Z"},
      {"preread", "0001-01-01T00:00:00Z"},
      {"pids_stats", json::object()},
      {"blkio_stats",
       {{"io_service_bytes_recursive", nullptr}, {"io_serviced_recursive", nullptr}}},
      {"num_procs", 0},
      {"storage_stats", json::object()},
      {"cpu_stats", {{"cpu_usage", {{"total_usage", 0}}}, {"throttling_data", json::object()}}},
      {"precpu_stats", {{"cpu_usage", {{"total_usage", 0}}}, {"throttling_data", json::object()}}},
      {"memory_stats", json::object()}};
}

json stats_sample(int pid) {
  Cgroups cg = cgroups_of(pid);
  json cpu_usage, memory, pids, blkio = json::array();
  bool v1 = cg.v1.count("memory") > 0;
  if (cg.v1.count("cpuacct")) {
    auto st = kv_file(cg.v1["cpuacct"] + "/cpuacct.stat");
    uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
    cpu_usage = {{"total_usage", number(cg.v1["cpuacct"] + "/cpuacct.usage")},
                 {"usage_in_usermode", st["user"] * ns_per_tick},
                 {"usage_in_kernelmode", st["system"] * ns_per_tick}};
  } else if (!cg.v2.empty()) {
    auto st = kv_file(cg.v2 + "/cpu.stat");
    cpu_usage = {{"total_usage", st["usage_usec"] * 1000},
                 {"usage_in_usermode", st["user_usec"] * 1000},
                 {"usage_in_kernelmode", st["system_usec"] * 1000}};
  }
  if (v1) {
    std::string m = cg.v1["memory"];
    json stat = json::object();
    for (auto& [k, v] : kv_file(m + "/memory.stat")) stat[k] = v;
    // no limit reads as ~8 EiB; Docker shows the host's memory then
    uint64_t host = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                    static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    memory = {{"usage", number(m + "/memory.usage_in_bytes")},
              {"max_usage", number(m + "/memory.max_usage_in_bytes")},
              {"limit", std::min(number(m + "/memory.limit_in_bytes"), host)},
              {"stats", stat}};
  } else if (!cg.v2.empty()) {
    json stat = json::object();
    for (auto& [k, v] : kv_file(cg.v2 + "/memory.stat")) stat[k] = v;
    std::string max = first_line(cg.v2 + "/memory.max");
    uint64_t limit = max == "max" ? static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                                        static_cast<uint64_t>(sysconf(_SC_PAGESIZE))
                                  : parse_uint(max).value_or(0);
    memory = {{"usage", number(cg.v2 + "/memory.current")}, {"limit", limit}, {"stats", stat}};
  }
  std::string pdir = cg.v1.count("pids") ? cg.v1["pids"] : cg.v2;
  if (!pdir.empty()) {
    pids = {{"current", number(pdir + "/pids.current")}};
    if (auto lim = parse_uint(first_line(pdir + "/pids.max"))) pids["limit"] = *lim;
  }
  if (cg.v1.count("blkio")) {
    for (auto& line :
         split(read_file(cg.v1["blkio"] + "/blkio.throttle.io_service_bytes").value_or(""), '\n')) {
      auto f = split(line, ' ');
      auto mm = f.empty() ? std::vector<std::string>{} : split(f[0], ':');
      if (f.size() != 3 || mm.size() != 2) continue;
      blkio.push_back({{"major", parse_uint(mm[0]).value_or(0)},
                       {"minor", parse_uint(mm[1]).value_or(0)},
                       {"op", f[1]},
                       {"value", parse_uint(f[2]).value_or(0)}});
    }
  } else if (!cg.v2.empty()) {
    for (auto& line : split(read_file(cg.v2 + "/io.stat").value_or(""), '\n')) {
      auto f = split(line, ' ');
      auto mm = f.empty() ? std::vector<std::string>{} : split(f[0], ':');
      if (mm.size() != 2) continue;
      for (size_t i = 1; i < f.size(); ++i) {
        auto eq = f[i].find('=');
        std::string k = f[i].substr(0, eq);
        if (k != "rbytes" && k != "wbytes") continue;
        blkio.push_back({{"major", parse_uint(mm[0]).value_or(0)},
                         {"minor", parse_uint(mm[1]).value_or(0)},
                         {"op", k == "rbytes" ? "read" : "write"},
                         {"value", parse_uint(f[i].substr(eq + 1)).value_or(0)}});
      }
    }
  }
  return {
      {"read", now_rfc3339()},
      {"pids_stats", pids.is_null() ? json::object() : pids},
      {"blkio_stats",
       {{"io_service_bytes_recursive", blkio.empty() ? json(nullptr) : blkio},
        {"io_serviced_recursive", nullptr}}},
      {"num_procs", 0},
      {"storage_stats", json::object()},
      {"cpu_stats",
       {{"cpu_usage", cpu_usage.is_null() ? json{{"total_usage", 0}} : cpu_usage},
        {"system_cpu_usage", system_cpu_ns()},
        {"online_cpus", sysconf(_SC_NPROCESSORS_ONLN)},
        {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}}},
      {"memory_stats", memory.is_null() ? json::object() : memory},
      {"networks", networks_of(pid)}};
}

}  // namespace berth::daemon

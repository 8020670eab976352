#include "daemon/spec.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "base/file.h"
#include "base/strings.h"
#include "daemon/mount_points.h"
#include "daemon/seccomp_profile.h"
#include "daemon/security_opts.h"
#include "oci/spec.h"
#include "runtime/names.h"

namespace berth::daemon {

using nlohmann::json;

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

namespace {

std::string cap_name(std::string c) {
  for (auto& ch : c) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  if (!c.starts_with("CAP_")) c = "CAP_" + c;
  return c;
}

Result<std::vector<std::string>> capabilities(const json& hc) {
  std::vector<std::string> all, held;
  for (int i = 0; i <= runtime::last_capability(); ++i) {
    all.push_back(runtime::capability_name(i));
    // "all" for --privileged and --cap-add ALL means all that berthd itself may pass on: a
    // capability outside its bounding set would make the container's capset fail
    if (prctl(PR_CAPBSET_READ, i) == 1) held.push_back(all.back());
  }
  if (hc.value("Privileged", false)) return held;
  std::set<std::string> caps(default_capabilities().begin(), default_capabilities().end());
  auto known = [&](const std::string& c) {
    return std::find(all.begin(), all.end(), c) != all.end();
  };
  for (auto& d : hc.value("CapDrop", json::array())) {
    std::string c = cap_name(d.get<std::string>());
    if (c == "CAP_ALL")
      caps.clear();
    else if (!known(c))
      return fail(ErrorKind::InvalidArgument, "unknown capability drop: {:?}", c);
    else
      caps.erase(c);
  }
  for (auto& a : hc.value("CapAdd", json::array())) {
    std::string c = cap_name(a.get<std::string>());
    if (c == "CAP_ALL")
      caps.insert(held.begin(), held.end());
    else if (!known(c))
      return fail(ErrorKind::InvalidArgument, "unknown capability: {:?}", c);
    else
      caps.insert(c);
  }
  return std::vector<std::string>(caps.begin(), caps.end());
}

// linux.seccomp for a container with `caps`, from SecurityOpt's seccomp choice; nothing for
// "unconfined".
Result<std::optional<json>> seccomp_filter(const std::string& choice,
                                           const std::vector<std::string>& caps) {
  if (choice == "unconfined") return std::optional<json>();
  bool builtin = choice.empty() || choice == "builtin" || choice == "default";
  // The default profile for a capability set is the same every time: converted once (twice
  // per container otherwise, at create and at start).
  static std::mutex mu;
  static std::map<std::vector<std::string>, json> builtin_for_caps;
  if (builtin) {
    std::lock_guard<std::mutex> l(mu);
    if (auto it = builtin_for_caps.find(caps); it != builtin_for_caps.end())
      return std::optional<json>(it->second);
  }
  json profile = builtin ? default_seccomp_profile() : json::parse(choice, nullptr, false);
  if (profile.is_discarded())
    return fail(ErrorKind::InvalidArgument,
                "decoding seccomp profile failed: the profile is not valid JSON");
  BERTH_ASSIGN(json oci, seccomp_to_oci(profile, SeccompTarget::host(caps)));
  if (builtin) {
    std::lock_guard<std::mutex> l(mu);
    builtin_for_caps.emplace(caps, oci);
  }
  return std::optional<json>(std::move(oci));
}

Result<json> rlimits(const json& hc) {
  json out = json::array();
  for (auto& u : hc.value("Ulimits", json::array())) {
    std::string name = u.value("Name", "");
    static const std::set<std::string> known = {
        "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
        "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    "as"};
    if (!known.count(name))
      return fail(ErrorKind::InvalidArgument, "invalid ulimit type: {}", name);
    std::string t = "RLIMIT_" + name;
    for (auto& ch : t) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
    out.push_back({{"type", t}, {"soft", u.value("Soft", 0LL)}, {"hard", u.value("Hard", 0LL)}});
  }
  return out;
}

// A bind or volume mount point (resolved at create) as an OCI mount.
json oci_mount(const json& p) {
  json o = json::array({"rbind"});
  std::string prop = p.value("Propagation", "");
  if (!prop.empty()) o.push_back(prop);
  if (!p.value("RW", true)) o.push_back("ro");
  return {{"destination", p.value("Destination", "")},
          {"type", "bind"},
          {"source", p.value("Source", "")},
          {"options", o}};
}

json tmpfs_mount(const std::string& dst, const std::string& options) {
  json opts = json::array({"nosuid", "nodev", "noexec"});
  for (auto& o : split(options, ','))
    if (!o.empty()) opts.push_back(o);
  return {{"destination", dst}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", opts}};
}

Result<json> device(const json& d) {
  std::string host = d.value("PathOnHost", "");
  std::string ctr = d.value("PathInContainer", "");
  std::string perms = d.value("CgroupPermissions", "rwm");
  if (ctr.empty()) ctr = host;
  struct stat st;
  if (stat(host.c_str(), &st) < 0)
    return fail(ErrorKind::InvalidArgument,
                "error gathering device information while adding "
                "custom device {:?}: no such file or directory",
                host);
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return fail(ErrorKind::InvalidArgument, "{} is not a device node", host);
  std::string type = S_ISCHR(st.st_mode) ? "c" : "b";
  return json{{"path", ctr},
              {"type", type},
              {"major", major(st.st_rdev)},
              {"minor", minor(st.st_rdev)},
              {"fileMode", st.st_mode & 07777},
              {"uid", 0},
              {"gid", 0},
              {"_access", perms}};
}

// Looks a name up in an /etc/passwd or /etc/group style file: returns fields.
std::optional<std::vector<std::string>> lookup(const std::string& file, const std::string& key,
                                               size_t key_field) {
  auto text = read_file(file);
  if (!text) return std::nullopt;
  for (auto& line : split(*text, '\n')) {
    auto f = split(line, ':');
    if (f.size() > key_field && f[key_field] == key) return f;
  }
  return std::nullopt;
}

}  // namespace

std::string host_hostname() {
  std::string h = read_file("/proc/sys/kernel/hostname").value_or("localhost");
  while (!h.empty() && h.back() == '\n') h.pop_back();
  return h;
}

Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user,
                                  const std::vector<std::string>& group_add) {
  ResolvedUser r;
  std::string u = user, g;
  if (auto c = user.find(':'); c != std::string::npos) {
    u = user.substr(0, c);
    g = user.substr(c + 1);
  }
  if (!u.empty()) {
    if (auto n = parse_uint(u)) {
      r.uid = static_cast<unsigned>(*n);
      auto pw = lookup(rootfs + "/etc/passwd", u, 2);
      if (pw && pw->size() > 3) r.gid = static_cast<unsigned>(parse_uint((*pw)[3]).value_or(0));
    } else {
      auto pw = lookup(rootfs + "/etc/passwd", u, 0);
      if (!pw || pw->size() < 4)
        return fail(ErrorKind::InvalidArgument,
                    "unable to find user {}: no matching entries in passwd file", u);
      r.uid = static_cast<unsigned>(parse_uint((*pw)[2]).value_or(0));
      r.gid = static_cast<unsigned>(parse_uint((*pw)[3]).value_or(0));
    }
  }
  auto group_id = [&](const std::string& name) -> Result<unsigned> {
    if (auto n = parse_uint(name)) return static_cast<unsigned>(*n);
    auto gr = lookup(rootfs + "/etc/group", name, 0);
    if (!gr || gr->size() < 3)
      return fail(ErrorKind::InvalidArgument,
                  "unable to find group {}: no matching entries in group file", name);
    return static_cast<unsigned>(parse_uint((*gr)[2]).value_or(0));
  };
  if (!g.empty()) {
    BERTH_ASSIGN(r.gid, group_id(g));
  }
  for (auto& ga : group_add) {
    BERTH_ASSIGN(unsigned id, group_id(ga));
    r.additional.push_back(id);
  }
  return r;
}

Status validate_host_config(const json& hc) {
  BERTH_ASSIGN(auto caps, capabilities(hc));
  BERTH_ASSIGN(SecurityOpts sec, parse_security_opts(hc));
  if (!hc.value("Privileged", false)) BERTH_TRY(seccomp_filter(sec.seccomp, caps));
  BERTH_TRY(rlimits(hc));
  BERTH_TRY(validate_mounts(hc));
  auto positive = [&](const char* k) {
    return hc.contains(k) && hc[k].is_number_integer() && hc[k].get<int64_t>() > 0;
  };
  for (const char* k : {"CpuPeriod", "CpuQuota"})
    if (positive("NanoCpus") && positive(k))
      return fail(ErrorKind::InvalidArgument,
                  "Conflicting options: Nano CPUs and {} cannot both be set",
                  std::string_view(k) == "CpuPeriod" ? "CPU Period" : "CPU Quota");
  std::string rp = hc.value("RestartPolicy", json::object()).value("Name", "");
  if (!rp.empty() && rp != "no" && rp != "always" && rp != "on-failure" && rp != "unless-stopped")
    return fail(ErrorKind::InvalidArgument, "invalid restart policy '{}'", rp);
  if (hc.value("AutoRemove", false) && !rp.empty() && rp != "no")
    return fail(ErrorKind::InvalidArgument,
                "can't create 'AutoRemove' container with restart policy");
  return ok();
}

// The resource limits of HostConfig, as the OCI spec's linux.resources (without devices):
// at create, and for an update of a running container.
json resources_json(const json& hc) {
  json res = json::object();
  json mem = json::object();
  if (auto v = hc.value("Memory", int64_t{0}); v > 0) mem["limit"] = v;
  if (auto v = hc.value("MemoryReservation", int64_t{0}); v > 0) mem["reservation"] = v;
  if (auto v = hc.value("MemorySwap", int64_t{0}); v != 0) mem["swap"] = v;
  if (hc.contains("MemorySwappiness") && hc["MemorySwappiness"].is_number() &&
      hc["MemorySwappiness"].get<int64_t>() >= 0)
    mem["swappiness"] = hc["MemorySwappiness"];
  if (hc.value("OomKillDisable", false)) mem["disableOOMKiller"] = true;
  if (!mem.empty()) res["memory"] = mem;
  json cpu = json::object();
  if (auto v = hc.value("CpuShares", int64_t{0}); v > 0) cpu["shares"] = v;
  if (auto v = hc.value("NanoCpus", int64_t{0}); v > 0) {
    cpu["period"] = 100000;
    cpu["quota"] = v * 100000 / 1000000000;
  }
  if (auto v = hc.value("CpuQuota", int64_t{0}); v > 0) cpu["quota"] = v;
  if (auto v = hc.value("CpuPeriod", int64_t{0}); v > 0) cpu["period"] = v;
  if (auto v = hc.value("CpusetCpus", ""); !v.empty()) cpu["cpus"] = v;
  if (auto v = hc.value("CpusetMems", ""); !v.empty()) cpu["mems"] = v;
  if (!cpu.empty()) res["cpu"] = cpu;
  if (hc.contains("PidsLimit") && hc["PidsLimit"].is_number() &&
      hc["PidsLimit"].get<int64_t>() != 0)
    res["pids"] = {{"limit", hc["PidsLimit"].get<int64_t>()}};
  if (auto v = hc.value("BlkioWeight", 0); v > 0) res["blockIO"] = {{"weight", v}};
  return res;
}

Result<json> build_spec(const Container& c, const SpecInputs& in) {
  json spec = json::parse(oci::default_spec_json());
  // what dockerd 20.10 writes: crun 1.8 refuses a version it does not know ("1.2.0")
  spec["ociVersion"] = "1.0.2-dev";
  const json& cfg = c.config;
  const json& hc = c.host_config;

  // process
  json& p = spec["process"];
  json args = json::array();
  args.push_back(c.path);
  for (auto& a : c.args) args.push_back(a);
  // --init: our minimal init runs the command, where Docker puts tini
  bool init = hc.value("Init", false) && !in.init_path.empty();
  if (init) args.insert(args.begin(), {"/sbin/docker-init", "--"});
  p["args"] = args;
  p["terminal"] = cfg.value("Tty", false);
  // the client's terminal size from the first moment (API 1.42's HostConfig.ConsoleSize)
  if (auto cs = hc.value("ConsoleSize", json()); cfg.value("Tty", false) && cs.is_array() &&
                                                 cs.size() == 2 && cs[0].is_number() &&
                                                 cs[1].is_number() && cs[0].get<int>() > 0)
    p["consoleSize"] = {{"height", cs[0]}, {"width", cs[1]}};
  json env = json::array();
  json own = cfg.value("Env", json::array());
  if (!own.is_array()) own = json::array();
  // the links' variables, unless the container sets the same ones
  auto key = [](const std::string& e) { return e.substr(0, e.find('=')); };
  for (auto& e : c.link_env)
    if (std::none_of(own.begin(), own.end(),
                     [&](const json& o) { return o.is_string() && key(o) == key(e); }))
      env.push_back(e);
  for (auto& e : own) env.push_back(e);
  bool has_path = false;
  for (auto& e : env) has_path |= e.get<std::string>().starts_with("PATH=");
  if (!has_path)
    env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  env.push_back("HOSTNAME=" + cfg.value("Hostname", c.id.substr(0, 12)));
  if (cfg.value("Tty", false)) env.push_back("TERM=xterm");
  p["env"] = env;
  std::string wd = cfg.value("WorkingDir", "");
  p["cwd"] = wd.empty() ? "/" : wd;
  std::vector<std::string> group_add = hc.value("GroupAdd", std::vector<std::string>{});
  BERTH_ASSIGN(auto user, resolve_user(in.rootfs, cfg.value("User", ""), group_add));
  p["user"] = {{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional.empty()) p["user"]["additionalGids"] = user.additional;
  BERTH_ASSIGN(auto caps, capabilities(hc));
  p["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  if (user.uid != 0) p["capabilities"]["effective"] = json::array();
  BERTH_ASSIGN(json rl, rlimits(hc));
  // none given: the container inherits the daemon's limits, as under containerd
  p["rlimits"] = rl;
  BERTH_ASSIGN(SecurityOpts sec, parse_security_opts(hc));
  p["noNewPrivileges"] = sec.no_new_privileges;
  if (hc.contains("OomScoreAdj") && hc["OomScoreAdj"].is_number())
    p["oomScoreAdj"] = hc["OomScoreAdj"];

  // root, hostname
  spec["root"] = {{"path", in.rootfs}, {"readonly", hc.value("ReadonlyRootfs", false)}};
  std::string netmode = hc.value("NetworkMode", "default");
  spec["hostname"] = cfg.value("Hostname", c.id.substr(0, 12));
  if (!cfg.value("Domainname", "").empty()) spec["domainname"] = cfg["Domainname"];

  // mounts: the defaults, docker's files, then the user's
  json& mounts = spec["mounts"];
  int64_t shm = hc.value("ShmSize", int64_t{0});
  for (auto& m : mounts) {
    if (m["destination"] == "/dev/shm" && shm > 0) {
      json o = json::array({"nosuid", "noexec", "nodev", "mode=1777"});
      o.push_back("size=" + std::to_string(shm / 1024) + "k");
      m["options"] = o;
    }
    if (m["destination"] == "/sys/fs/cgroup")
      m["options"] = {"nosuid", "noexec", "nodev", "relatime", "ro"};
  }
  for (auto& [file, dst] :
       {std::pair{c.hosts_path, "/etc/hosts"}, std::pair{c.hostname_path, "/etc/hostname"},
        std::pair{c.resolv_conf_path, "/etc/resolv.conf"}}) {
    if (file.empty()) continue;
    mounts.push_back({{"destination", dst},
                      {"type", "bind"},
                      {"source", file},
                      {"options", {"rbind", "rprivate"}}});
  }
  // The user's binds, volumes and tmpfs, parents before children.
  std::map<std::string, json> user_mounts;
  for (auto& p : c.mount_points) {
    // Docker creates a missing bind source
    if (p.value("Type", "") == "bind" && !path_exists(p.value("Source", "")))
      BERTH_TRY(mkdir_all(p.value("Source", ""), 0755));
    user_mounts[p.value("Destination", "")] = oci_mount(p);
  }
  json tmpfs = hc.value("Tmpfs", json::object());  // named: items() must not dangle
  for (auto& [dst, opts] : tmpfs.items())
    user_mounts[clean_path(dst)] = tmpfs_mount(clean_path(dst), opts.get<std::string>());
  for (auto& m : hc.value("Mounts", json::array())) {
    if (m.value("Type", "") != "tmpfs") continue;
    std::string o;
    auto to = m.value("TmpfsOptions", json::object());
    if (to.contains("SizeBytes")) o += "size=" + std::to_string(to["SizeBytes"].get<int64_t>());
    if (to.contains("Mode"))
      o += (o.empty() ? "" : ",") + fmt::format("mode={:o}", to["Mode"].get<int>());
    std::string dst = clean_path(m.value("Target", ""));
    user_mounts[dst] = tmpfs_mount(dst, o);
  }
  for (auto& [dst, m] : user_mounts) mounts.push_back(m);
  if (init)
    mounts.push_back({{"destination", "/sbin/docker-init"},
                      {"type", "bind"},
                      {"source", in.init_path},
                      {"options", {"rbind", "ro"}}});

  // linux
  json& lx = spec["linux"];
  json ns =
      json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  // a sandbox the network controller made (bridge networks, container:<id>), the host's
  // (host), or a fresh empty one (none)
  if (!in.netns_path.empty())
    ns.push_back({{"type", "network"}, {"path", in.netns_path}});
  else if (netmode != "host")
    ns.push_back({{"type", "network"}});
  lx["namespaces"] = ns;
  if (netmode == "host") spec["hostname"] = host_hostname();
  lx["cgroupsPath"] = in.cgroup_parent + "/" + c.id;
  if (!hc.value("Sysctls", json::object()).empty()) lx["sysctl"] = hc["Sysctls"];

  json res = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  json devs = json::array();
  for (auto& d : hc.value("Devices", json::array())) {
    BERTH_ASSIGN(json dev, device(d));
    std::string access = dev["_access"];
    dev.erase("_access");
    res["devices"].push_back({{"allow", true},
                              {"type", dev["type"]},
                              {"major", dev["major"]},
                              {"minor", dev["minor"]},
                              {"access", access}});
    devs.push_back(dev);
  }
  if (!devs.empty()) lx["devices"] = devs;
  if (hc.value("Privileged", false)) {
    res["devices"] = json::array({{{"allow", true}, {"access", "rwm"}}});
    lx.erase("maskedPaths");
    lx.erase("readonlyPaths");
    for (auto& m : mounts)
      if (m["destination"] == "/sys") m["options"] = {"nosuid", "noexec", "nodev"};
  } else {
    if (sec.unconfined_system_paths) {
      lx.erase("maskedPaths");
      lx.erase("readonlyPaths");
    }
    // privileged containers run without a filter, as under Docker
    BERTH_ASSIGN(auto filter, seccomp_filter(sec.seccomp, caps));
    if (filter) lx["seccomp"] = std::move(*filter);
  }
  json limits = resources_json(hc);  // named: items() of a temporary would dangle
  for (auto& [k, v] : limits.items()) res[k] = v;
  lx["resources"] = res;
  return spec;
}

}  // namespace berth::daemon

#include "oci/spec.h"

#include <set>

#include "oci/json_reader.h"

namespace berth::oci {
namespace {

template <typename T>
Result<std::optional<T>> opt_narrow(const Field& f) {
  BERTH_ASSIGN(auto v, f.opt_u64());
  if (!v) return std::optional<T>();
  if (*v > std::numeric_limits<T>::max()) return f.bad("integer out of range");
  return std::optional<T>(static_cast<T>(*v));
}

Result<std::vector<uint32_t>> u32_list(const Field& f) {
  std::vector<uint32_t> out;
  BERTH_TRY(f.expect_array());
  for (size_t i = 0; i < f.size(); ++i) {
    BERTH_ASSIGN(auto v, opt_narrow<uint32_t>(f.at(i)));
    out.push_back(v.value_or(0));
  }
  return out;
}

Result<Capabilities> parse_caps(const Field& f) {
  BERTH_TRY(f.expect_object());
  Capabilities c;
  BERTH_ASSIGN(c.bounding, f["bounding"].strings());
  BERTH_ASSIGN(c.effective, f["effective"].strings());
  BERTH_ASSIGN(c.inheritable, f["inheritable"].strings());
  BERTH_ASSIGN(c.permitted, f["permitted"].strings());
  BERTH_ASSIGN(c.ambient, f["ambient"].strings());
  return c;
}

Result<std::vector<Hook>> parse_hooks(const Field& f) {
  std::vector<Hook> out;
  BERTH_TRY(f.expect_array());
  for (size_t i = 0; i < f.size(); ++i) {
    Field h = f.at(i);
    BERTH_TRY(h.expect_object());
    Hook hook;
    BERTH_ASSIGN(hook.path, h["path"].str());
    if (hook.path.empty()) return h["path"].bad("required");
    if (hook.path[0] != '/') return h["path"].bad("must be an absolute path");
    BERTH_ASSIGN(hook.args, h["args"].strings());
    BERTH_ASSIGN(hook.env, h["env"].strings());
    BERTH_ASSIGN(auto t, h["timeout"].opt_i64());
    if (t) {
      if (*t <= 0) return h["timeout"].bad("must be positive");
      hook.timeout = static_cast<int>(*t);
    }
    out.push_back(std::move(hook));
  }
  return out;
}

Result<std::vector<IdMapping>> parse_idmaps(const Field& f) {
  std::vector<IdMapping> out;
  BERTH_TRY(f.expect_array());
  for (size_t i = 0; i < f.size(); ++i) {
    Field m = f.at(i);
    IdMapping im;
    BERTH_ASSIGN(auto c, opt_narrow<uint32_t>(m["containerID"]));
    BERTH_ASSIGN(auto h, opt_narrow<uint32_t>(m["hostID"]));
    BERTH_ASSIGN(auto s, opt_narrow<uint32_t>(m["size"]));
    im.container_id = c.value_or(0);
    im.host_id = h.value_or(0);
    im.size = s.value_or(0);
    if (im.size == 0) return m["size"].bad("must be greater than zero");
    out.push_back(im);
  }
  return out;
}

Result<std::vector<ThrottleDevice>> parse_throttle(const Field& f) {
  std::vector<ThrottleDevice> out;
  BERTH_TRY(f.expect_array());
  for (size_t i = 0; i < f.size(); ++i) {
    ThrottleDevice t;
    BERTH_ASSIGN(t.major, f.at(i)["major"].i64());
    BERTH_ASSIGN(t.minor, f.at(i)["minor"].i64());
    BERTH_ASSIGN(t.rate, f.at(i)["rate"].u64());
    out.push_back(t);
  }
  return out;
}

Result<Resources> parse_resources(const Field& f) {
  BERTH_TRY(f.expect_object());
  Resources r;
  Field devs = f["devices"];
  BERTH_TRY(devs.expect_array());
  for (size_t i = 0; i < devs.size(); ++i) {
    Field d = devs.at(i);
    DeviceRule rule;
    BERTH_ASSIGN(rule.allow, d["allow"].boolean());
    BERTH_ASSIGN(rule.type, d["type"].str("a"));
    if (rule.type != "a" && rule.type != "c" && rule.type != "b")
      return d["type"].bad("must be one of a, b, c");
    BERTH_ASSIGN(rule.major, d["major"].opt_i64());
    BERTH_ASSIGN(rule.minor, d["minor"].opt_i64());
    BERTH_ASSIGN(rule.access, d["access"].str("rwm"));
    for (char c : rule.access)
      if (c != 'r' && c != 'w' && c != 'm') return d["access"].bad("must only contain r, w, m");
    r.devices.push_back(rule);
  }
  if (f["memory"].present()) {
    Field m = f["memory"];
    BERTH_TRY(m.expect_object());
    Memory mem;
    BERTH_ASSIGN(mem.limit, m["limit"].opt_i64());
    BERTH_ASSIGN(mem.reservation, m["reservation"].opt_i64());
    BERTH_ASSIGN(mem.swap, m["swap"].opt_i64());
    BERTH_ASSIGN(mem.kernel, m["kernel"].opt_i64());
    BERTH_ASSIGN(mem.kernel_tcp, m["kernelTCP"].opt_i64());
    BERTH_ASSIGN(mem.swappiness, m["swappiness"].opt_u64());
    if (mem.swappiness && *mem.swappiness > 100) return m["swappiness"].bad("must be 0-100");
    if (m["disableOOMKiller"].present()) {
      BERTH_ASSIGN(bool d, m["disableOOMKiller"].boolean());
      mem.disable_oom_killer = d;
    }
    r.memory = mem;
  }
  if (f["cpu"].present()) {
    Field c = f["cpu"];
    BERTH_TRY(c.expect_object());
    Cpu cpu;
    BERTH_ASSIGN(cpu.shares, c["shares"].opt_u64());
    BERTH_ASSIGN(cpu.quota, c["quota"].opt_i64());
    BERTH_ASSIGN(cpu.period, c["period"].opt_u64());
    BERTH_ASSIGN(cpu.realtime_runtime, c["realtimeRuntime"].opt_i64());
    BERTH_ASSIGN(cpu.realtime_period, c["realtimePeriod"].opt_u64());
    BERTH_ASSIGN(cpu.cpus, c["cpus"].str());
    BERTH_ASSIGN(cpu.mems, c["mems"].str());
    BERTH_ASSIGN(cpu.idle, c["idle"].opt_i64());
    r.cpu = cpu;
  }
  if (f["pids"].present()) {
    BERTH_ASSIGN(auto lim, f["pids"]["limit"].opt_i64());
    r.pids_limit = lim;
  }
  if (f["blockIO"].present()) {
    Field b = f["blockIO"];
    BERTH_TRY(b.expect_object());
    BlockIo bio;
    BERTH_ASSIGN(bio.weight, opt_narrow<uint16_t>(b["weight"]));
    BERTH_ASSIGN(bio.leaf_weight, opt_narrow<uint16_t>(b["leafWeight"]));
    Field wd = b["weightDevice"];
    BERTH_TRY(wd.expect_array());
    for (size_t i = 0; i < wd.size(); ++i) {
      WeightDevice w;
      BERTH_ASSIGN(w.major, wd.at(i)["major"].i64());
      BERTH_ASSIGN(w.minor, wd.at(i)["minor"].i64());
      BERTH_ASSIGN(w.weight, opt_narrow<uint16_t>(wd.at(i)["weight"]));
      BERTH_ASSIGN(w.leaf_weight, opt_narrow<uint16_t>(wd.at(i)["leafWeight"]));
      bio.weight_device.push_back(w);
    }
    BERTH_ASSIGN(bio.read_bps, parse_throttle(b["throttleReadBpsDevice"]));
    BERTH_ASSIGN(bio.write_bps, parse_throttle(b["throttleWriteBpsDevice"]));
    BERTH_ASSIGN(bio.read_iops, parse_throttle(b["throttleReadIOPSDevice"]));
    BERTH_ASSIGN(bio.write_iops, parse_throttle(b["throttleWriteIOPSDevice"]));
    r.block_io = bio;
  }
  Field hp = f["hugepageLimits"];
  BERTH_TRY(hp.expect_array());
  for (size_t i = 0; i < hp.size(); ++i) {
    HugepageLimit h;
    BERTH_ASSIGN(h.page_size, hp.at(i)["pageSize"].str());
    if (h.page_size.empty()) return hp.at(i)["pageSize"].bad("required");
    BERTH_ASSIGN(h.limit, hp.at(i)["limit"].u64());
    r.hugepage_limits.push_back(h);
  }
  BERTH_ASSIGN(r.unified, f["unified"].string_map());
  return r;
}

Result<Seccomp> parse_seccomp(const Field& f) {
  BERTH_TRY(f.expect_object());
  Seccomp s;
  BERTH_ASSIGN(s.default_action, f["defaultAction"].str());
  if (s.default_action.empty()) return f["defaultAction"].bad("required");
  BERTH_ASSIGN(s.default_errno_ret, opt_narrow<unsigned>(f["defaultErrnoRet"]));
  BERTH_ASSIGN(s.architectures, f["architectures"].strings());
  BERTH_ASSIGN(s.flags, f["flags"].strings());
  BERTH_ASSIGN(s.listener_path, f["listenerPath"].str());
  Field sc = f["syscalls"];
  BERTH_TRY(sc.expect_array());
  for (size_t i = 0; i < sc.size(); ++i) {
    Field e = sc.at(i);
    SeccompSyscall call;
    BERTH_ASSIGN(call.names, e["names"].strings());
    BERTH_ASSIGN(call.action, e["action"].str());
    if (call.action.empty()) return e["action"].bad("required");
    BERTH_ASSIGN(call.errno_ret, opt_narrow<unsigned>(e["errnoRet"]));
    Field args = e["args"];
    BERTH_TRY(args.expect_array());
    for (size_t k = 0; k < args.size(); ++k) {
      SeccompArg a;
      BERTH_ASSIGN(auto idx, opt_narrow<unsigned>(args.at(k)["index"]));
      a.index = idx.value_or(0);
      if (a.index > 5) return args.at(k)["index"].bad("must be 0-5");
      BERTH_ASSIGN(a.value, args.at(k)["value"].u64());
      BERTH_ASSIGN(a.value_two, args.at(k)["valueTwo"].u64());
      BERTH_ASSIGN(a.op, args.at(k)["op"].str());
      if (a.op.empty()) return args.at(k)["op"].bad("required");
      call.args.push_back(a);
    }
    s.syscalls.push_back(std::move(call));
  }
  return s;
}

Result<Linux> parse_linux(const Field& f) {
  BERTH_TRY(f.expect_object());
  Linux l;
  Field ns = f["namespaces"];
  BERTH_TRY(ns.expect_array());
  for (size_t i = 0; i < ns.size(); ++i) {
    Namespace n;
    BERTH_ASSIGN(n.type, ns.at(i)["type"].str());
    BERTH_ASSIGN(n.path, ns.at(i)["path"].str());
    l.namespaces.push_back(n);
  }
  BERTH_ASSIGN(l.uid_mappings, parse_idmaps(f["uidMappings"]));
  BERTH_ASSIGN(l.gid_mappings, parse_idmaps(f["gidMappings"]));
  Field devs = f["devices"];
  BERTH_TRY(devs.expect_array());
  for (size_t i = 0; i < devs.size(); ++i) {
    Field d = devs.at(i);
    Device dev;
    BERTH_ASSIGN(dev.type, d["type"].str());
    BERTH_ASSIGN(dev.path, d["path"].str());
    if (dev.path.empty() || dev.path[0] != '/') return d["path"].bad("must be an absolute path");
    BERTH_ASSIGN(dev.major, d["major"].i64());
    BERTH_ASSIGN(dev.minor, d["minor"].i64());
    BERTH_ASSIGN(dev.file_mode, opt_narrow<uint32_t>(d["fileMode"]));
    BERTH_ASSIGN(dev.uid, opt_narrow<uint32_t>(d["uid"]));
    BERTH_ASSIGN(dev.gid, opt_narrow<uint32_t>(d["gid"]));
    if (dev.type != "c" && dev.type != "b" && dev.type != "u" && dev.type != "p")
      return d["type"].bad("must be one of c, b, u, p");
    l.devices.push_back(dev);
  }
  BERTH_ASSIGN(l.cgroups_path, f["cgroupsPath"].str());
  if (f["resources"].present()) {
    BERTH_ASSIGN(l.resources, parse_resources(f["resources"]));
  }
  BERTH_ASSIGN(l.rootfs_propagation, f["rootfsPropagation"].str());
  if (f["seccomp"].present()) {
    BERTH_ASSIGN(l.seccomp, parse_seccomp(f["seccomp"]));
  }
  BERTH_ASSIGN(l.sysctl, f["sysctl"].string_map());
  BERTH_ASSIGN(l.masked_paths, f["maskedPaths"].strings());
  BERTH_ASSIGN(l.readonly_paths, f["readonlyPaths"].strings());
  BERTH_ASSIGN(l.mount_label, f["mountLabel"].str());
  if (f["personality"].present()) {
    Personality p;
    BERTH_ASSIGN(p.domain, f["personality"]["domain"].str());
    BERTH_ASSIGN(p.flags, f["personality"]["flags"].strings());
    l.personality = p;
  }
  Field to = f["timeOffsets"];
  BERTH_TRY(to.expect_object());
  if (to.present()) {
    for (auto& [k, v] : to.json().items()) {
      Field e(&v, to.path() + "." + k);
      TimeOffset off;
      BERTH_ASSIGN(off.secs, e["secs"].i64());
      BERTH_ASSIGN(auto ns2, opt_narrow<uint32_t>(e["nanosecs"]));
      off.nanosecs = ns2.value_or(0);
      l.time_offsets[k] = off;
    }
  }
  return l;
}

}  // namespace

Result<Resources> parse_resources_json(const nlohmann::json& j, const std::string& where) {
  return parse_resources(Field(&j, where));
}

bool Spec::has_namespace(const std::string& type) const {
  return find_namespace(type) != nullptr;
}

const Namespace* Spec::find_namespace(const std::string& type) const {
  if (!linux) return nullptr;
  for (auto& n : linux->namespaces)
    if (n.type == type) return &n;
  return nullptr;
}

Result<Process> parse_process(const nlohmann::json& j, const std::string& where) {
  Field f(&j, where);
  BERTH_TRY(f.expect_object());
  Process p;
  BERTH_ASSIGN(p.terminal, f["terminal"].boolean());
  if (f["consoleSize"].present()) {
    BERTH_ASSIGN(auto h, f["consoleSize"]["height"].u64());
    BERTH_ASSIGN(auto w, f["consoleSize"]["width"].u64());
    p.console_size = ConsoleSize{static_cast<unsigned>(h), static_cast<unsigned>(w)};
  }
  Field u = f["user"];
  BERTH_TRY(u.expect_object());
  BERTH_ASSIGN(auto uid, opt_narrow<uint32_t>(u["uid"]));
  BERTH_ASSIGN(auto gid, opt_narrow<uint32_t>(u["gid"]));
  p.user.uid = uid.value_or(0);
  p.user.gid = gid.value_or(0);
  BERTH_ASSIGN(p.user.umask, opt_narrow<uint32_t>(u["umask"]));
  BERTH_ASSIGN(p.user.additional_gids, u32_list(u["additionalGids"]));
  BERTH_ASSIGN(p.args, f["args"].strings());
  if (f["commandLine"].present()) return f["commandLine"].bad("is Windows-only");
  BERTH_ASSIGN(p.env, f["env"].strings());
  BERTH_ASSIGN(p.cwd, f["cwd"].str("/"));
  if (p.cwd.empty() || p.cwd[0] != '/') return f["cwd"].bad("must be an absolute path");
  if (f["capabilities"].present()) {
    BERTH_ASSIGN(p.capabilities, parse_caps(f["capabilities"]));
  }
  Field rl = f["rlimits"];
  BERTH_TRY(rl.expect_array());
  for (size_t i = 0; i < rl.size(); ++i) {
    Rlimit r;
    BERTH_ASSIGN(r.type, rl.at(i)["type"].str());
    BERTH_ASSIGN(r.hard, rl.at(i)["hard"].u64());
    BERTH_ASSIGN(r.soft, rl.at(i)["soft"].u64());
    p.rlimits.push_back(r);
  }
  BERTH_ASSIGN(p.no_new_privileges, f["noNewPrivileges"].boolean());
  BERTH_ASSIGN(p.apparmor_profile, f["apparmorProfile"].str());
  BERTH_ASSIGN(auto oom, f["oomScoreAdj"].opt_i64());
  if (oom) {
    if (*oom < -1000 || *oom > 1000) return f["oomScoreAdj"].bad("must be between -1000 and 1000");
    p.oom_score_adj = static_cast<int>(*oom);
  }
  BERTH_ASSIGN(p.selinux_label, f["selinuxLabel"].str());
  return p;
}

Result<Spec> parse_spec(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(ErrorKind::InvalidArgument, "config.json: invalid JSON");
  Field f(&j, "");
  if (!j.is_object()) return fail(ErrorKind::InvalidArgument, "config.json: expected an object");
  Spec s;
  BERTH_ASSIGN(s.oci_version, f["ociVersion"].str());
  if (s.oci_version.empty()) return f["ociVersion"].bad("required");
  if (f["process"].present()) {
    BERTH_ASSIGN(s.process, parse_process(f["process"].json(), "process"));
  }
  BERTH_TRY(f["root"].expect_object());
  BERTH_ASSIGN(s.root.path, f["root"]["path"].str());
  BERTH_ASSIGN(s.root.readonly, f["root"]["readonly"].boolean());
  BERTH_ASSIGN(s.hostname, f["hostname"].str());
  BERTH_ASSIGN(s.domainname, f["domainname"].str());
  Field mounts = f["mounts"];
  BERTH_TRY(mounts.expect_array());
  for (size_t i = 0; i < mounts.size(); ++i) {
    Field m = mounts.at(i);
    BERTH_TRY(m.expect_object());
    Mount mnt;
    BERTH_ASSIGN(mnt.destination, m["destination"].str());
    if (mnt.destination.empty()) return m["destination"].bad("required");
    if (mnt.destination[0] != '/') return m["destination"].bad("must be an absolute path");
    BERTH_ASSIGN(mnt.type, m["type"].str());
    BERTH_ASSIGN(mnt.source, m["source"].str());
    BERTH_ASSIGN(mnt.options, m["options"].strings());
    if (m["uidMappings"].present() || m["gidMappings"].present())
      return m["uidMappings"].bad("idmapped mounts are not supported");
    s.mounts.push_back(std::move(mnt));
  }
  Field hooks = f["hooks"];
  BERTH_TRY(hooks.expect_object());
  BERTH_ASSIGN(s.hooks.prestart, parse_hooks(hooks["prestart"]));
  BERTH_ASSIGN(s.hooks.create_runtime, parse_hooks(hooks["createRuntime"]));
  BERTH_ASSIGN(s.hooks.create_container, parse_hooks(hooks["createContainer"]));
  BERTH_ASSIGN(s.hooks.start_container, parse_hooks(hooks["startContainer"]));
  BERTH_ASSIGN(s.hooks.poststart, parse_hooks(hooks["poststart"]));
  BERTH_ASSIGN(s.hooks.poststop, parse_hooks(hooks["poststop"]));
  BERTH_ASSIGN(s.annotations, f["annotations"].string_map());
  if (f["linux"].present()) {
    BERTH_ASSIGN(s.linux, parse_linux(f["linux"]));
  }
  return s;
}

Status validate_spec(const Spec& s) {
  if (s.root.path.empty()) return fail(ErrorKind::InvalidArgument, "root.path: required");
  if (!s.process) return fail(ErrorKind::InvalidArgument, "process: required");
  if (s.process->args.empty())
    return fail(ErrorKind::InvalidArgument, "process.args: must not be empty");
  static const std::set<std::string> kTypes = {"pid", "network", "mount",  "ipc",
                                               "uts", "user",    "cgroup", "time"};
  std::set<std::string> seen;
  if (s.linux) {
    for (size_t i = 0; i < s.linux->namespaces.size(); ++i) {
      auto& n = s.linux->namespaces[i];
      if (!kTypes.count(n.type))
        return fail(ErrorKind::InvalidArgument, "linux.namespaces[{}].type: unknown namespace {:?}",
                    i, n.type);
      if (!seen.insert(n.type).second)
        return fail(ErrorKind::InvalidArgument, "linux.namespaces[{}]: duplicate namespace {}", i,
                    n.type);
    }
    bool userns = seen.count("user") > 0;
    if (!userns && (!s.linux->uid_mappings.empty() || !s.linux->gid_mappings.empty()))
      return fail(ErrorKind::InvalidArgument,
                  "linux.uidMappings: user namespace mappings given without a user namespace");
    auto* user = s.find_namespace("user");
    if (user && user->path.empty() &&
        (s.linux->uid_mappings.empty() || s.linux->gid_mappings.empty()))
      return fail(ErrorKind::InvalidArgument,
                  "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
    if (!s.linux->time_offsets.empty() && !seen.count("time"))
      return fail(ErrorKind::InvalidArgument, "linux.timeOffsets: given without a time namespace");
    auto* tns = s.find_namespace("time");
    if (tns && !tns->path.empty() && !s.linux->time_offsets.empty())
      return fail(ErrorKind::InvalidArgument,
                  "linux.timeOffsets: cannot be set when joining an existing time namespace");
    const auto& prop = s.linux->rootfs_propagation;
    if (!prop.empty() && prop != "private" && prop != "rprivate" && prop != "slave" &&
        prop != "rslave" && prop != "shared" && prop != "rshared" && prop != "unbindable" &&
        prop != "runbindable")
      return fail(ErrorKind::InvalidArgument, "linux.rootfsPropagation: invalid value {:?}", prop);
  }
  auto* uts = s.find_namespace("uts");
  if (!s.hostname.empty() && (!uts || !uts->path.empty()))
    return fail(ErrorKind::InvalidArgument, "hostname: requires a new uts namespace");
  if (!s.domainname.empty() && (!uts || !uts->path.empty()))
    return fail(ErrorKind::InvalidArgument, "domainname: requires a new uts namespace");
  return ok();
}

}  // namespace berth::oci

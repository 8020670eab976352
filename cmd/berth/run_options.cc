#include "run_options.h"

#include <cmath>
#include <cstdlib>

#include "base/file.h"
#include "base/strings.h"
#include "base/time.h"
#include "commands.h"
#include "io.h"

namespace berth::cli {

using nlohmann::json;

namespace {

// run's options sit in option groups (see add_run_flags); help lists them as one, as before.
class FlatOptionsHelp : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
    std::vector<const CLI::Option*> opts;
    auto take = [&](const CLI::App* a) {
      auto mine = a->get_options([&](const CLI::Option* opt) {
        return opt->nonpositional() && (a == app || opt != a->get_help_ptr());
      });
      opts.insert(opts.end(), mine.begin(), mine.end());
    };
    take(app);
    for (const CLI::App* group : app->get_subcommands({}))
      if (group->get_name().empty()) take(group);
    return make_description(app) + make_usage(app, std::move(name)) + make_positionals(app) +
           make_group("Options", false, opts) + "\n" + make_footer(app);
  }
};

}  // namespace

void add_run_flags(CLI::App* c, RunOptions& o) {
  c->set_help_flag("--help");  // -h is --hostname, as in Docker
  c->formatter(std::make_shared<FlatOptionsHelp>());
  // CLI11 (2.1) checks each new option against every option of its app, copying vectors of
  // names for each pair: run's ~90 options in one app cost ~1 ms of every run. In groups of
  // 12 each is checked only within its group (a name repeated in two groups would go
  // unnoticed); FlatOptionsHelp lists them all as the app's own.
  CLI::App* group = nullptr;
  int added = 0;
  auto g = [&] {
    if (added++ % 12 == 0) group = c->add_option_group("options");
    return group;
  };
  auto list = [&](const char* names, std::vector<std::string>& v, const char* what) {
    g()->add_option(names, v, what)->allow_extra_args(false);
  };
  g()->add_flag("-d,--detach", o.detach, "run in the background and print the container ID");
  g()->add_flag("-i,--interactive", o.interactive, "keep STDIN open");
  g()->add_flag("-t,--tty", o.tty, "allocate a pseudo-TTY");
  g()->add_flag("--rm", o.rm, "remove the container when it exits");
  g()->add_flag("--init", o.init, "run an init inside the container");
  g()->add_flag("--privileged", o.privileged, "give extended privileges");
  g()->add_flag("--read-only", o.read_only, "mount the root filesystem read-only");
  g()->add_flag("-P,--publish-all", o.publish_all, "publish all exposed ports to random ports");
  g()->add_flag("--no-healthcheck", o.no_healthcheck, "disable any HEALTHCHECK");
  g()->add_flag("--oom-kill-disable", o.oom_kill_disable, "disable the OOM killer");
  g()->add_option("--name", o.name, "container name");
  g()->add_option("--network,--net", o.network, "network to connect to");
  g()->add_option("-w,--workdir", o.workdir, "working directory");
  g()->add_option("-u,--user", o.user, "user[:group]");
  g()->add_option("--entrypoint", o.entrypoint, "overwrite the image's entrypoint");
  g()->add_option("--restart", o.restart, "restart policy");
  g()->add_option("-m,--memory", o.memory, "memory limit");
  g()->add_option("--memory-swap", o.memory_swap, "memory plus swap limit (-1: unlimited)");
  g()->add_option("--memory-reservation", o.memory_reservation, "memory soft limit");
  g()->add_option("--cpus", o.cpus, "number of CPUs");
  g()->add_option("-c,--cpu-shares", o.cpu_shares, "CPU shares (relative weight)");
  g()->add_option("--cpu-period", o.cpu_period, "CFS period");
  g()->add_option("--cpu-quota", o.cpu_quota, "CFS quota");
  g()->add_option("--cpuset-cpus", o.cpuset_cpus, "CPUs to run on (0-3, 0,1)");
  g()->add_option("--cpuset-mems", o.cpuset_mems, "memory nodes to use");
  g()->add_option("--blkio-weight", o.blkio_weight, "block IO weight (10-1000)");
  g()->add_option("--pids-limit", o.pids_limit, "pids limit (-1: unlimited)");
  g()->add_option("--shm-size", o.shm_size, "size of /dev/shm");
  g()->add_option("--oom-score-adj", o.oom_score_adj, "the OOM score adjustment");
  g()->add_option("-h,--hostname", o.hostname, "container host name");
  g()->add_option("--domainname", o.domainname, "container NIS domain name");
  g()->add_option("--ip", o.ip, "IPv4 address");
  g()->add_option("--ip6", o.ip6, "IPv6 address");
  g()->add_option("--mac-address", o.mac_address, "MAC address");
  g()->add_option("--stop-signal", o.stop_signal, "signal to stop the container");
  g()->add_option("--stop-timeout", o.stop_timeout, "seconds to wait for it to stop");
  g()->add_option("--log-driver", o.log_driver, "logging driver");
  g()->add_option("--pid", o.pid, "PID namespace to use");
  g()->add_option("--ipc", o.ipc, "IPC mode to use");
  g()->add_option("--uts", o.uts, "UTS namespace to use");
  g()->add_option("--cgroupns", o.cgroupns, "cgroup namespace to use (host|private)");
  g()->add_option("--userns", o.userns, "user namespace to use");
  g()->add_option("--cgroup-parent", o.cgroup_parent, "parent cgroup");
  g()->add_option("--runtime", o.runtime, "runtime to use");
  g()->add_option("--health-cmd", o.health_cmd, "command to check health");
  g()->add_option("--health-interval", o.health_interval, "time between checks");
  g()->add_option("--health-timeout", o.health_timeout, "maximum time of one check");
  g()->add_option("--health-start-period", o.health_start_period, "start period");
  g()->add_option("--health-retries", o.health_retries, "failures before unhealthy");
  g()->add_option("--detach-keys", o.detach_keys, "key sequence to detach");
  list("-e,--env", o.env, "environment variable");
  list("--env-file", o.env_file, "file of environment variables");
  list("-v,--volume", o.volumes, "bind mount or volume");
  list("--mount", o.mounts, "a mount (type=bind|volume|tmpfs,...)");
  list("-p,--publish", o.publish, "publish a port");
  list("-l,--label", o.labels, "label");
  list("--tmpfs", o.tmpfs, "tmpfs mount");
  list("--cap-add", o.cap_add, "add a capability");
  list("--cap-drop", o.cap_drop, "drop a capability");
  list("--expose", o.expose, "expose a port");
  list("--ulimit", o.ulimits, "ulimit (name=soft[:hard])");
  list("--sysctl", o.sysctls, "namespaced kernel parameter");
  list("--device", o.devices, "a host device");
  list("--security-opt", o.security_opt, "security option");
  list("--log-opt", o.log_opts, "log driver option");
  list("--network-alias", o.aliases, "network-scoped alias");
  list("--add-host", o.add_hosts, "host:ip for /etc/hosts");
  list("--dns", o.dns, "DNS server");
  list("--dns-search", o.dns_search, "DNS search domain");
  list("--dns-option", o.dns_options, "DNS option");
  list("--link", o.links, "link to another container (name[:alias])");
  list("--group-add", o.group_add, "additional group");
  list("--volumes-from", o.volumes_from, "mount the volumes of a container");
  list("-a,--attach", o.attach, "attach to STDIN, STDOUT or STDERR");
  // IMAGE [COMMAND] [ARG...]: flags after the image belong to the command
  c->prefix_command();
}

Result<int64_t> parse_bytes(const std::string& s) {
  if (s.empty()) return int64_t{0};
  std::string t = s;
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (t.size() > 1 && t.back() == 'b' && std::isalpha(static_cast<unsigned char>(t[t.size() - 2])))
    t.pop_back();  // "512mb"
  double mult = 1;
  switch (t.back()) {
    case 'b':
      mult = 1;
      t.pop_back();
      break;
    case 'k':
      mult = 1024.0;
      t.pop_back();
      break;
    case 'm':
      mult = 1024.0 * 1024;
      t.pop_back();
      break;
    case 'g':
      mult = 1024.0 * 1024 * 1024;
      t.pop_back();
      break;
    case 't':
      mult = 1024.0 * 1024 * 1024 * 1024;
      t.pop_back();
      break;
    default:
      break;
  }
  char* end = nullptr;
  double v = t.empty() ? -1 : std::strtod(t.c_str(), &end);
  if (t.empty() || *end || v < 0) return fail(ErrorKind::InvalidArgument, "invalid size: '{}'", s);
  return static_cast<int64_t>(v * mult);
}

Result<int64_t> parse_duration(const std::string& s) {
  if (s.empty()) return int64_t{0};
  auto ns = parse_duration_ns(s);
  if (!ns) return fail(ErrorKind::InvalidArgument, "time: invalid duration \"{}\"", s);
  return *ns;
}

namespace {

Result<json> env_list(const RunOptions& o) {
  json env = json::array();
  for (auto& f : o.env_file) {
    auto text = read_file(f);
    if (!text) return fail(ErrorKind::InvalidArgument, "open {}: no such file or directory", f);
    for (auto& line : split(*text, '\n')) {
      std::string l(trim(line));
      if (l.empty() || l[0] == '#') continue;
      if (l.find('=') == std::string::npos) {
        if (const char* v = std::getenv(l.c_str())) env.push_back(l + "=" + v);
        continue;
      }
      env.push_back(l);
    }
  }
  for (auto& e : o.env) {
    // "-e NAME" takes the value from this environment, and is dropped if it has none
    if (e.find('=') == std::string::npos) {
      if (const char* v = std::getenv(e.c_str())) env.push_back(e + "=" + v);
      continue;
    }
    env.push_back(e);
  }
  return env;
}

Result<json> mount_spec(const std::string& spec) {
  json m = {{"Type", "volume"}};
  for (auto& field : split(spec, ',')) {
    auto [k, v] = key_value(field);
    if (k == "type") {
      m["Type"] = v;
    } else if (k == "source" || k == "src") {
      m["Source"] = v;
    } else if (k == "target" || k == "destination" || k == "dst") {
      m["Target"] = v;
    } else if (k == "readonly" || k == "ro") {
      m["ReadOnly"] = v.empty() || v == "true" || v == "1";
    } else if (k == "bind-propagation") {
      m["BindOptions"]["Propagation"] = v;
    } else if (k == "volume-nocopy") {
      m["VolumeOptions"]["NoCopy"] = v.empty() || v == "true" || v == "1";
    } else if (k == "volume-driver") {
      m["VolumeOptions"]["DriverConfig"]["Name"] = v;
    } else if (k == "volume-opt") {
      auto [ok, ov] = key_value(v);
      m["VolumeOptions"]["DriverConfig"]["Options"][ok] = ov;
    } else if (k == "volume-label") {
      auto [lk, lv] = key_value(v);
      m["VolumeOptions"]["Labels"][lk] = lv;
    } else if (k == "tmpfs-size") {
      BERTH_ASSIGN(int64_t n, parse_bytes(v));
      m["TmpfsOptions"]["SizeBytes"] = n;
    } else if (k == "tmpfs-mode") {
      m["TmpfsOptions"]["Mode"] = std::strtol(v.c_str(), nullptr, 8);
    } else if (k == "consistency") {
    } else {
      return fail(ErrorKind::InvalidArgument,
                  "invalid argument \"{}\" for \"--mount\" flag: "
                  "unexpected key '{}' in '{}'",
                  spec, k, field);
    }
  }
  if (!m.contains("Target"))
    return fail(ErrorKind::InvalidArgument,
                "invalid argument \"{}\" for \"--mount\" flag: target is required", spec);
  return m;
}

Result<json> ulimit(const std::string& spec) {
  auto [name, limits] = key_value(spec);
  auto [soft, hard] = key_value(limits, ':');
  char* end = nullptr;
  long long s = std::strtoll(soft.c_str(), &end, 10);
  bool bad = name.empty() || soft.empty() || *end;
  long long h = s;
  if (!hard.empty()) {
    h = std::strtoll(hard.c_str(), &end, 10);
    bad |= *end != 0;
  }
  if (bad)
    return fail(ErrorKind::InvalidArgument,
                "invalid argument \"{}\" for \"--ulimit\" flag: invalid ulimit argument: {}", spec,
                spec);
  return json{{"Name", name}, {"Soft", s}, {"Hard", h}};
}

json device(const std::string& spec) {
  auto parts = split(spec, ':');
  std::string host = parts[0], ctr = parts.size() > 1 ? parts[1] : parts[0], perms = "rwm";
  if (parts.size() == 2 && parts[1].find('/') == std::string::npos) {
    ctr = host;  // "/dev/x:rw"
    perms = parts[1];
  }
  if (parts.size() > 2) perms = parts[2];
  return {{"PathOnHost", host}, {"PathInContainer", ctr}, {"CgroupPermissions", perms}};
}

Result<json> security_opts(const std::vector<std::string>& opts) {
  json out = json::array();
  for (auto& o : opts) {
    auto [k, v] = key_value(o, o.find('=') == std::string::npos ? ':' : '=');
    // the CLI sends the seccomp profile itself, not its path
    if (k == "seccomp" && v != "unconfined" && v != "builtin" && !v.empty()) {
      auto text = read_file(v);
      if (!text)
        return fail(ErrorKind::InvalidArgument, "opening seccomp profile ({}) failed: {}", v,
                    text.error().message());
      auto j = json::parse(*text, nullptr, false);
      if (j.is_discarded())
        return fail(ErrorKind::InvalidArgument, "compacting json for seccomp profile ({}) failed",
                    v);
      out.push_back("seccomp=" + j.dump());
      continue;
    }
    out.push_back(o);
  }
  return out;
}

Status publish(const std::string& p, json& exposed, json& bindings) {
  // [ip:][hostPort:]containerPort[/proto]; an IPv6 ip in brackets
  std::string spec = p, proto = "tcp", ip;
  if (auto slash = spec.rfind('/'); slash != std::string::npos) {
    proto = spec.substr(slash + 1);
    spec = spec.substr(0, slash);
  }
  if (spec.starts_with("[")) {
    auto close = spec.find(']');
    if (close == std::string::npos)
      return fail(ErrorKind::InvalidArgument, "invalid publish spec: {}", p);
    ip = spec.substr(1, close - 1);
    spec = spec.substr(close + 1);
    if (spec.starts_with(":")) spec = spec.substr(1);
  }
  auto parts = split(spec, ':');
  std::string host, ctr = parts.back();
  if (parts.size() == 2) host = parts[0];
  if (parts.size() == 3 && ip.empty()) {
    ip = parts[0];
    host = parts[1];
  }
  if (parts.size() > 3 || ctr.empty() || (parts.size() == 3 && !spec.empty() && p[0] == '['))
    return fail(ErrorKind::InvalidArgument, "invalid publish spec: {}", p);
  // ranges: "8000-8002:80-82" one binding per port
  auto range = [](const std::string& r) -> std::pair<int, int> {
    auto dash = r.find('-');
    int a = std::atoi(r.c_str());
    return {a, dash == std::string::npos ? a : std::atoi(r.c_str() + dash + 1)};
  };
  auto [c0, c1] = range(ctr);
  if (c0 <= 0 || c1 < c0 || c1 > 65535)
    return fail(ErrorKind::InvalidArgument, "invalid containerPort: {}", ctr);
  auto [h0, h1] = host.empty() ? std::pair{0, 0} : range(host);
  for (int port = c0; port <= c1; ++port) {
    std::string key = std::to_string(port) + "/" + proto;
    exposed[key] = json::object();
    std::string hp = host;
    if (c1 > c0 && h1 - h0 == c1 - c0) hp = std::to_string(h0 + port - c0);
    bindings[key].push_back({{"HostIp", ip}, {"HostPort", hp}});
  }
  return ok();
}

}  // namespace

Result<json> container_config(const RunOptions& o) {
  const auto& args = o.args;
  bool attach_in = o.interactive && !o.detach, attach_out = !o.detach, attach_err = !o.detach;
  if (!o.attach.empty()) {
    attach_in = attach_out = attach_err = false;
    for (auto& a : o.attach) {
      std::string s = a;
      for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      attach_in |= s == "stdin";
      attach_out |= s == "stdout";
      attach_err |= s == "stderr";
    }
  }
  json cfg = {{"Image", args[0]},           {"Tty", o.tty},
              {"OpenStdin", o.interactive}, {"StdinOnce", o.interactive},
              {"AttachStdin", attach_in},   {"AttachStdout", attach_out},
              {"AttachStderr", attach_err}};
  if (args.size() > 1) cfg["Cmd"] = std::vector<std::string>(args.begin() + 1, args.end());
  if (!o.entrypoint.empty()) cfg["Entrypoint"] = {o.entrypoint};
  BERTH_ASSIGN(json env, env_list(o));
  if (!env.empty()) cfg["Env"] = env;
  if (!o.workdir.empty()) cfg["WorkingDir"] = o.workdir;
  if (!o.user.empty()) cfg["User"] = o.user;
  if (!o.hostname.empty()) cfg["Hostname"] = o.hostname;
  if (!o.domainname.empty()) cfg["Domainname"] = o.domainname;
  if (!o.stop_signal.empty()) cfg["StopSignal"] = o.stop_signal;
  if (o.stop_timeout >= 0) cfg["StopTimeout"] = o.stop_timeout;
  if (!o.mac_address.empty()) cfg["MacAddress"] = o.mac_address;
  json labels = json::object();
  for (auto& l : o.labels) {
    auto [k, v] = key_value(l);
    labels[k] = v;
  }
  cfg["Labels"] = labels;
  if (o.no_healthcheck) {
    cfg["Healthcheck"] = {{"Test", {"NONE"}}};
  } else if (!o.health_cmd.empty() || !o.health_interval.empty() || !o.health_timeout.empty() ||
             !o.health_start_period.empty() || o.health_retries) {
    json h = json::object();
    if (!o.health_cmd.empty()) h["Test"] = {"CMD-SHELL", o.health_cmd};
    BERTH_ASSIGN(h["Interval"], parse_duration(o.health_interval));
    BERTH_ASSIGN(h["Timeout"], parse_duration(o.health_timeout));
    BERTH_ASSIGN(h["StartPeriod"], parse_duration(o.health_start_period));
    h["Retries"] = o.health_retries;
    cfg["Healthcheck"] = h;
  }

  json hc = {{"AutoRemove", o.rm},
             {"Init", o.init},
             {"Privileged", o.privileged},
             {"ReadonlyRootfs", o.read_only},
             {"PublishAllPorts", o.publish_all}};
  std::string network = o.network.empty() ? "default" : o.network;
  hc["NetworkMode"] = network;
  json binds = json::array(), vols = json::object(), exposed = json::object(),
       bindings = json::object(), tmpfs = json::object();
  for (auto& v : o.volumes) {
    if (v.find(':') == std::string::npos)
      vols[v] = json::object();
    else
      binds.push_back(v);
  }
  for (auto& e : o.expose)
    exposed[e.find('/') == std::string::npos ? e + "/tcp" : e] = json::object();
  for (auto& p : o.publish) BERTH_TRY(publish(p, exposed, bindings));
  for (auto& t : o.tmpfs) {
    auto [k, v] = key_value(t, ':');
    tmpfs[k] = v;
  }
  if (!binds.empty()) hc["Binds"] = binds;
  if (!vols.empty()) cfg["Volumes"] = vols;
  if (!exposed.empty()) cfg["ExposedPorts"] = exposed;
  if (!bindings.empty()) hc["PortBindings"] = bindings;
  if (!tmpfs.empty()) hc["Tmpfs"] = tmpfs;
  if (!o.mounts.empty()) {
    hc["Mounts"] = json::array();
    for (auto& m : o.mounts) {
      BERTH_ASSIGN(json spec, mount_spec(m));
      hc["Mounts"].push_back(spec);
    }
  }
  if (!o.volumes_from.empty()) hc["VolumesFrom"] = o.volumes_from;
  if (!o.cap_add.empty()) hc["CapAdd"] = o.cap_add;
  if (!o.cap_drop.empty()) hc["CapDrop"] = o.cap_drop;
  if (!o.restart.empty()) {
    auto [name, count] = key_value(o.restart, ':');
    hc["RestartPolicy"] = {{"Name", name}};
    if (!count.empty()) hc["RestartPolicy"]["MaximumRetryCount"] = std::atoi(count.c_str());
  }
  BERTH_ASSIGN(int64_t mem, parse_bytes(o.memory));
  if (mem) hc["Memory"] = mem;
  if (o.memory_swap == "-1") {
    hc["MemorySwap"] = -1;
  } else {
    BERTH_ASSIGN(int64_t swap, parse_bytes(o.memory_swap));
    if (swap) hc["MemorySwap"] = swap;
  }
  BERTH_ASSIGN(int64_t reservation, parse_bytes(o.memory_reservation));
  if (reservation) hc["MemoryReservation"] = reservation;
  if (!o.cpus.empty()) {
    char* end = nullptr;
    double n = std::strtod(o.cpus.c_str(), &end);
    if (*end || n < 0)
      return fail(ErrorKind::InvalidArgument,
                  "invalid argument \"{}\" for \"--cpus\" flag: failed to parse {} as a rational "
                  "number",
                  o.cpus, o.cpus);
    hc["NanoCpus"] = static_cast<int64_t>(std::llround(n * 1e9));
  }
  if (o.cpu_shares) hc["CpuShares"] = o.cpu_shares;
  if (o.cpu_period) hc["CpuPeriod"] = o.cpu_period;
  if (o.cpu_quota) hc["CpuQuota"] = o.cpu_quota;
  if (!o.cpuset_cpus.empty()) hc["CpusetCpus"] = o.cpuset_cpus;
  if (!o.cpuset_mems.empty()) hc["CpusetMems"] = o.cpuset_mems;
  if (o.blkio_weight) hc["BlkioWeight"] = o.blkio_weight;
  if (o.pids_limit) hc["PidsLimit"] = o.pids_limit;
  BERTH_ASSIGN(int64_t shm, parse_bytes(o.shm_size));
  if (shm) hc["ShmSize"] = shm;
  if (o.oom_kill_disable) hc["OomKillDisable"] = true;
  if (o.oom_score_adj) hc["OomScoreAdj"] = o.oom_score_adj;
  if (!o.ulimits.empty()) {
    hc["Ulimits"] = json::array();
    for (auto& u : o.ulimits) {
      BERTH_ASSIGN(json l, ulimit(u));
      hc["Ulimits"].push_back(l);
    }
  }
  if (!o.sysctls.empty()) {
    hc["Sysctls"] = json::object();
    for (auto& s : o.sysctls) {
      auto [k, v] = key_value(s);
      hc["Sysctls"][k] = v;
    }
  }
  if (!o.devices.empty()) {
    hc["Devices"] = json::array();
    for (auto& d : o.devices) hc["Devices"].push_back(device(d));
  }
  if (!o.security_opt.empty()) {
    BERTH_ASSIGN(hc["SecurityOpt"], security_opts(o.security_opt));
  }
  if (!o.group_add.empty()) hc["GroupAdd"] = o.group_add;
  if (!o.log_driver.empty() || !o.log_opts.empty()) {
    json lc = {{"Type", o.log_driver}, {"Config", json::object()}};
    for (auto& l : o.log_opts) {
      auto [k, v] = key_value(l);
      lc["Config"][k] = v;
    }
    hc["LogConfig"] = lc;
  }
  if (!o.pid.empty()) hc["PidMode"] = o.pid;
  if (!o.ipc.empty()) hc["IpcMode"] = o.ipc;
  if (!o.uts.empty()) hc["UTSMode"] = o.uts;
  if (!o.cgroupns.empty()) hc["CgroupnsMode"] = o.cgroupns;
  if (!o.userns.empty()) hc["UsernsMode"] = o.userns;
  if (!o.cgroup_parent.empty()) hc["CgroupParent"] = o.cgroup_parent;
  if (!o.runtime.empty()) hc["Runtime"] = o.runtime;
  if (!o.add_hosts.empty()) hc["ExtraHosts"] = o.add_hosts;
  if (!o.dns.empty()) hc["Dns"] = o.dns;
  if (!o.dns_search.empty()) hc["DnsSearch"] = o.dns_search;
  if (!o.dns_options.empty()) hc["DnsOptions"] = o.dns_options;
  if (!o.links.empty()) hc["Links"] = o.links;
  int rows, cols;
  if (o.tty && terminal_size(rows, cols)) hc["ConsoleSize"] = {rows, cols};
  cfg["HostConfig"] = hc;

  // the endpoint on the network the container starts on
  json ep = json::object();
  if (!o.aliases.empty()) ep["Aliases"] = o.aliases;
  if (!o.ip.empty()) ep["IPAMConfig"]["IPv4Address"] = o.ip;
  if (!o.ip6.empty()) ep["IPAMConfig"]["IPv6Address"] = o.ip6;
  if (!o.mac_address.empty()) ep["MacAddress"] = o.mac_address;
  // (on the default bridge the daemon refuses these, with Docker's messages)
  if (!ep.empty()) cfg["NetworkingConfig"] = {{"EndpointsConfig", {{network, ep}}}};
  return cfg;
}

}  // namespace berth::cli

#include "options.h"

#include <arpa/inet.h>
#include <grp.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/file.h"

namespace berth::berthd {

namespace {

// One field of an object in daemon.json (a runtime, an address pool); the first key of the
// wrong type is remembered as `bad_key` (named by its section).
template <typename T>
void take_from(const nlohmann::json& obj, const char* key, T& out, std::string& bad_key,
               const char* section) {
  if (!obj.is_object()) {
    if (bad_key.empty()) bad_key = section;
    return;
  }
  if (!obj.contains(key)) return;
  try {
    out = obj[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    if (bad_key.empty()) bad_key = std::string(section) + "." + key;
  }
}

// A group by name or number, as dockerd's -G takes it.
std::optional<gid_t> find_group(const std::string& name) {
  std::vector<char> buf(16384);
  group g{}, *found = nullptr;
  if (getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found) == 0 && found)
    return found->gr_gid;
  char* end = nullptr;
  unsigned long n = strtoul(name.c_str(), &end, 10);
  if (!name.empty() && *end == 0 && n < 0xffffffffUL) return static_cast<gid_t>(n);
  return std::nullopt;
}

// tcp://HOST:PORT whose host is a loopback address (or "localhost").
bool loopback_host(const std::string& host) {
  std::string hp = host.substr(6);
  std::string h = hp.substr(0, hp.rfind(':'));
  if (h.size() > 1 && h.front() == '[') h = h.substr(1, h.size() - 2);
  if (h == "localhost") return true;
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  return inet_pton(AF_INET6, h.c_str(), &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

}  // namespace

void add_flags(CLI::App& app, Options& o) {
  const char* cert_dir_env = getenv("DOCKER_CERT_PATH");
  const char* home = getenv("HOME");
  std::string cert_dir = cert_dir_env && *cert_dir_env
                             ? cert_dir_env
                             : std::string(home ? home : "/root") + "/.docker";
  o.tls = {cert_dir + "/ca.pem", cert_dir + "/cert.pem", cert_dir + "/key.pem"};
  app.add_option("--config-file", o.config_file, "daemon configuration file");
  app.add_option("--data-root", o.cfg.data_root, "root of persisted state");
  app.add_option("--exec-root", o.cfg.exec_root, "root of execution state");
  app.add_option("-H,--host", o.hosts, "daemon socket(s) to listen on");
  app.add_option("-p,--pidfile", o.pidfile, "path of the pid file");
  app.add_option("-l,--log-level", o.log_level, "debug, info, warn, error");
  app.add_option("-s,--storage-driver", o.cfg.storage_driver, "storage driver");
  app.add_option("--cgroup-parent", o.cfg.cgroup_parent, "parent cgroup of containers");
  app.add_flag("--no-live-restore", o.no_live_restore, "stop containers when the daemon stops");
  app.add_option("--add-runtime", o.add_runtimes, "name=path of an OCI runtime (runc's CLI)")
      ->allow_extra_args(false);
  app.add_option("--default-runtime", o.cfg.default_runtime, "the runtime of containers");
  app.add_flag("--tls", o.use_tls, "use TLS on tcp:// hosts; implied by --tlsverify");
  app.add_flag("--tlsverify", o.tls_verify, "use TLS and verify the remote");
  app.add_option("--tlscacert", o.tls.ca_file, "trust certs signed only by this CA");
  app.add_option("--tlscert", o.tls.cert_file, "path to the TLS certificate file");
  app.add_option("--tlskey", o.tls.key_file, "path to the TLS key file");
  app.add_option("-G,--group", o.group, "group of the unix socket (default berth, or docker)");
  app.add_option("-b,--bridge", o.cfg.net.bridge, "the default bridge's interface name");
  app.add_option("--bip", o.cfg.net.bip, "the default bridge's address and subnet (CIDR)");
  app.add_option("--fixed-cidr", o.cfg.net.fixed_cidr, "where containers' addresses come from");
  app.add_flag("--ipv6", o.cfg.net.ipv6, "IPv6 on the default bridge");
  app.add_option("--fixed-cidr-v6", o.cfg.net.fixed_cidr_v6, "the default bridge's IPv6 subnet");
  app.add_option("--default-address-pool", o.cfg.net.default_address_pools,
                 "base=CIDR,size=N: subnets for networks");
  app.add_option("--mtu", o.cfg.net.mtu, "the MTU of bridges and veths");
}

Status finish_options(const CLI::App& app, Options& o) {
  if (auto text = read_file(o.config_file)) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return fail(ErrorKind::InvalidArgument, "unable to configure the daemon: {}: invalid JSON",
                  o.config_file);
    }
    // Each key with the type dockerd's Config gives it; a flag on the command line wins.
    std::string bad_key;
    auto take = [&](const char* key, auto& out, const char* flag = nullptr) {
      if (!j.contains(key) || (flag && app.count(flag))) return;
      try {
        out = j[key].get<std::decay_t<decltype(out)>>();
      } catch (const nlohmann::json::exception&) {
        if (bad_key.empty()) bad_key = key;
      }
    };
    take("data-root", o.cfg.data_root, "--data-root");
    take("exec-root", o.cfg.exec_root, "--exec-root");
    take("storage-driver", o.cfg.storage_driver, "--storage-driver");
    if (o.hosts.empty()) take("hosts", o.hosts);
    take("live-restore", o.cfg.live_restore);
    take("default-runtime", o.cfg.default_runtime, "--default-runtime");
    std::map<std::string, nlohmann::json> runtimes;
    take("runtimes", runtimes);
    for (auto& [name, r] : runtimes) {
      shim::RuntimeInfo info{name, "", {}};
      take_from(r, "path", info.path, bad_key, "runtimes");
      take_from(r, "runtimeArgs", info.args, bad_key, "runtimes");
      o.cfg.runtimes[name] = info;
    }
    for (const char* k : {"tls", "tlsverify"})
      if (j.contains(k) && j[k].is_boolean() && !j[k].get<bool>()) o.tls_refused = true;
    take("group", o.group, "--group");
    take("tls", o.use_tls, "--tls");
    take("tlsverify", o.tls_verify, "--tlsverify");
    take("tlscacert", o.tls.ca_file, "--tlscacert");
    take("tlscert", o.tls.cert_file, "--tlscert");
    take("tlskey", o.tls.key_file, "--tlskey");
    take("bridge", o.cfg.net.bridge, "--bridge");
    take("bip", o.cfg.net.bip, "--bip");
    take("fixed-cidr", o.cfg.net.fixed_cidr, "--fixed-cidr");
    take("mtu", o.cfg.net.mtu, "--mtu");
    take("ipv6", o.cfg.net.ipv6, "--ipv6");
    take("fixed-cidr-v6", o.cfg.net.fixed_cidr_v6, "--fixed-cidr-v6");
    std::vector<nlohmann::json> pools;
    take("default-address-pools", pools, "--default-address-pool");
    for (auto& p : pools) {
      std::string base;
      int size = 0;
      take_from(p, "base", base, bad_key, "default-address-pools");
      take_from(p, "size", size, bad_key, "default-address-pools");
      o.cfg.net.default_address_pools.push_back(fmt::format("base={},size={}", base, size));
    }
    if (!bad_key.empty()) {
      return fail(ErrorKind::InvalidArgument,
                  "unable to configure the daemon with file {}: {:?} has the wrong type",
                  o.config_file, bad_key);
    }
  }
  if (o.no_live_restore) o.cfg.live_restore = false;
  for (auto& r : o.add_runtimes) {
    auto eq = r.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
      return fail(ErrorKind::InvalidArgument, "berthd: --add-runtime {}: expected name=path", r);
    }
    o.cfg.runtimes[r.substr(0, eq)] = {r.substr(0, eq), r.substr(eq + 1), {}};
  }
  // as dockerd, runc is there by name when it is installed
  if (!o.cfg.runtimes.count("runc") && !find_in_path("runc").empty())
    o.cfg.runtimes["runc"] = {"runc", "runc", {}};
  for (auto& [name, r] : o.cfg.runtimes)
    if (name == shim::kBuiltinRuntime || r.path.empty()) {
      return fail(ErrorKind::InvalidArgument,
                  "berthd: runtime {:?}: the name is taken by the built-in runtime, or no path",
                  name);
    }
  if (o.cfg.default_runtime != shim::kBuiltinRuntime &&
      !o.cfg.runtimes.count(o.cfg.default_runtime)) {
    return fail(ErrorKind::InvalidArgument, "berthd: default runtime {:?} is not configured",
                o.cfg.default_runtime);
  }
  if (o.hosts.empty()) o.hosts.push_back("unix:///run/berth/berth.sock");
  return check_api_access(app, o);
}

Status check_api_access(const CLI::App& app, Options& o) {
  if ((app.count("--tls") && !o.use_tls) || (app.count("--tlsverify") && !o.tls_verify))
    o.tls_refused = true;
  // As dockerd 27: plain TCP beyond loopback gives root to whoever reaches the port, so it
  // must be asked for by name.
  if (!o.use_tls && !o.tls_verify && !o.tls_refused) {
    for (auto& h : o.hosts)
      if (h.starts_with("tcp://") && !loopback_host(h)) {
        return fail(ErrorKind::InvalidArgument,
                    "berthd: refusing to listen on {} without TLS: anyone who can reach it has "
                    "root on this host. Use --tlsverify with certificates, or --tls=false to "
                    "confirm",
                    h);
      }
  }
  if (!o.group.empty()) {
    auto gid = find_group(o.group);
    if (!gid) return fail(ErrorKind::InvalidArgument, "berthd: group {:?} (-G) not found", o.group);
    o.socket_gid = *gid;
  } else if (auto gid = find_group("berth")) {
    o.socket_gid = *gid;
  } else if (auto gid = find_group("docker")) {
    o.socket_gid = *gid;
  }
  return ok();
}

}  // namespace berth::berthd

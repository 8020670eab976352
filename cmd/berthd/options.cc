#include "options.h"

#include <map>
#include <nlohmann/json.hpp>

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
  return ok();
}

}  // namespace berth::berthd

// berthd: the Docker Engine API over the image store, the runtime and per-container shims.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "api/server.h"
#include "base/file.h"
#include "base/log.h"
#include "tls/tls.h"

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

int main(int argc, char** argv) {
  berth::daemon::Config cfg;
  std::vector<std::string> hosts;
  std::string pidfile = "/run/berth.pid", log_level = "info",
              config_file = "/etc/berth/daemon.json";
  bool no_live_restore = false, use_tls = false, tls_verify = false;
  // dockerd's defaults: the files of ~/.docker (or $DOCKER_CERT_PATH)
  const char* cert_dir_env = getenv("DOCKER_CERT_PATH");
  const char* home = getenv("HOME");
  std::string cert_dir = cert_dir_env && *cert_dir_env
                             ? cert_dir_env
                             : std::string(home ? home : "/root") + "/.docker";
  berth::tls::Options tls{cert_dir + "/ca.pem", cert_dir + "/cert.pem", cert_dir + "/key.pem"};
  CLI::App app{"berthd: a container engine serving the Docker Engine API"};
  app.add_option("--config-file", config_file, "daemon configuration file");
  app.add_option("--data-root", cfg.data_root, "root of persisted state");
  app.add_option("--exec-root", cfg.exec_root, "root of execution state");
  app.add_option("-H,--host", hosts, "daemon socket(s) to listen on");
  app.add_option("-p,--pidfile", pidfile, "path of the pid file");
  app.add_option("-l,--log-level", log_level, "debug, info, warn, error");
  app.add_option("-s,--storage-driver", cfg.storage_driver, "storage driver");
  app.add_option("--cgroup-parent", cfg.cgroup_parent, "parent cgroup of containers");
  app.add_flag("--no-live-restore", no_live_restore, "stop containers when the daemon stops");
  std::vector<std::string> add_runtimes;
  app.add_option("--add-runtime", add_runtimes, "name=path of an OCI runtime (runc's CLI)")
      ->allow_extra_args(false);
  app.add_option("--default-runtime", cfg.default_runtime, "the runtime of containers");
  app.add_flag("--tls", use_tls, "use TLS on tcp:// hosts; implied by --tlsverify");
  app.add_flag("--tlsverify", tls_verify, "use TLS and verify the remote");
  app.add_option("--tlscacert", tls.ca_file, "trust certs signed only by this CA");
  app.add_option("--tlscert", tls.cert_file, "path to the TLS certificate file");
  app.add_option("--tlskey", tls.key_file, "path to the TLS key file");
  app.add_option("-b,--bridge", cfg.net.bridge, "the default bridge's interface name");
  app.add_option("--bip", cfg.net.bip, "the default bridge's address and subnet (CIDR)");
  app.add_option("--fixed-cidr", cfg.net.fixed_cidr, "where containers' addresses come from");
  app.add_flag("--ipv6", cfg.net.ipv6, "IPv6 on the default bridge");
  app.add_option("--fixed-cidr-v6", cfg.net.fixed_cidr_v6, "the default bridge's IPv6 subnet");
  app.add_option("--default-address-pool", cfg.net.default_address_pools,
                 "base=CIDR,size=N: subnets for networks");
  app.add_option("--mtu", cfg.net.mtu, "the MTU of bridges and veths");
  CLI11_PARSE(app, argc, argv);

  if (auto text = berth::read_file(config_file)) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fmt::print(stderr, "unable to configure the daemon: {}: invalid JSON\n", config_file);
      return 1;
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
    take("data-root", cfg.data_root, "--data-root");
    take("exec-root", cfg.exec_root, "--exec-root");
    take("storage-driver", cfg.storage_driver, "--storage-driver");
    if (hosts.empty()) take("hosts", hosts);
    take("live-restore", cfg.live_restore);
    take("default-runtime", cfg.default_runtime, "--default-runtime");
    std::map<std::string, nlohmann::json> runtimes;
    take("runtimes", runtimes);
    for (auto& [name, r] : runtimes) {
      berth::shim::RuntimeInfo info{name, "", {}};
      take_from(r, "path", info.path, bad_key, "runtimes");
      take_from(r, "runtimeArgs", info.args, bad_key, "runtimes");
      cfg.runtimes[name] = info;
    }
    take("tls", use_tls, "--tls");
    take("tlsverify", tls_verify, "--tlsverify");
    take("tlscacert", tls.ca_file, "--tlscacert");
    take("tlscert", tls.cert_file, "--tlscert");
    take("tlskey", tls.key_file, "--tlskey");
    take("bridge", cfg.net.bridge, "--bridge");
    take("bip", cfg.net.bip, "--bip");
    take("fixed-cidr", cfg.net.fixed_cidr, "--fixed-cidr");
    take("mtu", cfg.net.mtu, "--mtu");
    take("ipv6", cfg.net.ipv6, "--ipv6");
    take("fixed-cidr-v6", cfg.net.fixed_cidr_v6, "--fixed-cidr-v6");
    std::vector<nlohmann::json> pools;
    take("default-address-pools", pools, "--default-address-pool");
    for (auto& p : pools) {
      std::string base;
      int size = 0;
      take_from(p, "base", base, bad_key, "default-address-pools");
      take_from(p, "size", size, bad_key, "default-address-pools");
      cfg.net.default_address_pools.push_back(fmt::format("base={},size={}", base, size));
    }
    if (!bad_key.empty()) {
      fmt::print(stderr, "unable to configure the daemon with file {}: {:?} has the wrong type\n",
                 config_file, bad_key);
      return 1;
    }
  }
  if (no_live_restore) cfg.live_restore = false;
  for (auto& r : add_runtimes) {
    auto eq = r.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
      fmt::print(stderr, "berthd: --add-runtime {}: expected name=path\n", r);
      return 1;
    }
    cfg.runtimes[r.substr(0, eq)] = {r.substr(0, eq), r.substr(eq + 1), {}};
  }
  // as dockerd, runc is there by name when it is installed
  if (!cfg.runtimes.count("runc") && !berth::find_in_path("runc").empty())
    cfg.runtimes["runc"] = {"runc", "runc", {}};
  for (auto& [name, r] : cfg.runtimes)
    if (name == berth::shim::kBuiltinRuntime || r.path.empty()) {
      fmt::print(stderr,
                 "berthd: runtime {:?}: the name is taken by the built-in runtime, or no path\n",
                 name);
      return 1;
    }
  if (cfg.default_runtime != berth::shim::kBuiltinRuntime &&
      !cfg.runtimes.count(cfg.default_runtime)) {
    fmt::print(stderr, "berthd: default runtime {:?} is not configured\n", cfg.default_runtime);
    return 1;
  }
  if (hosts.empty()) hosts.push_back("unix:///run/berth/berth.sock");
  berth::log::configure("", false, log_level == "debug");
  signal(SIGPIPE, SIG_IGN);

  std::shared_ptr<berth::tls::Context> tls_ctx;
  if (use_tls || tls_verify) {
    tls.verify_peer = tls_verify;
    auto ctx = berth::tls::Context::server(tls);
    if (!ctx) {
      fmt::print(stderr, "berthd: {}\n", ctx.error().message());
      return 1;
    }
    tls_ctx = *ctx;
  } else {
    for (auto& h : hosts)
      if (h.starts_with("tcp://"))
        berth::log::warn("{} without --tlsverify: anyone who can reach it controls berthd", h);
  }

  auto d = berth::daemon::Daemon::open(cfg);
  if (!d) {
    fmt::print(stderr, "berthd: {}\n", d.error().message());
    return 1;
  }
  berth::api::Router router;
  berth::api::add_system_routes(router, **d);
  berth::api::add_container_routes(router, **d);
  berth::api::add_image_routes(router, **d);
  berth::api::add_exec_routes(router, **d);
  berth::api::add_volume_routes(router, **d);
  berth::api::add_network_routes(router, **d);
  berth::api::add_container_read_routes(router, **d);
  berth::api::add_archive_routes(router, **d);
  berth::api::Server server(
      [&router](berth::api::Request& req, berth::api::Conn& c) { router.dispatch(req, c); });
  if (tls_ctx) server.use_tls(tls_ctx);
  for (auto& h : hosts) {
    if (auto st = server.listen(h); !st) {
      fmt::print(stderr, "berthd: {}\n", st.error().message());
      return 1;
    }
  }
  (*d)->restore();
  // Opening the stores and restoring containers leave freed heap behind; give it back before
  // berthd settles into serving.
  malloc_trim(0);
  berth::write_file_atomic(pidfile, std::to_string(getpid()) + "\n", 0644, false);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  server.start();
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  // live restore: containers and their shims keep running; without it they stop with us
  if (!cfg.live_restore) (*d)->stop_all();
  ::unlink(pidfile.c_str());
  _exit(0);
}

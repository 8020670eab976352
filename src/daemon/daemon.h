// berthd's core: the containers it knows, their lifecycle through per-container shims, and
// the image store. The API routers call this; it knows nothing about HTTP.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "daemon/container.h"
#include "daemon/events.h"
#include "daemon/exec.h"
#include "daemon/shim_spawner.h"
#include "daemon/volumes.h"
#include "image/store.h"
#include "network/controller.h"
#include "network/dns_server.h"
#include "shim/protocol.h"
#include "shim/runtime_driver.h"

namespace berth::daemon {

struct Config {
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  std::string storage_driver;
  std::string cgroup_parent = "/berth";
  std::string shim_path;  // berth-shim, found next to berthd by default
  bool live_restore = true;
  // OCI runtimes by name (--add-runtime, daemon.json's "runtimes"), besides the built-in
  // one; HostConfig.Runtime picks one, default_runtime when it names none.
  std::map<std::string, shim::RuntimeInfo> runtimes;
  std::string default_runtime = shim::kBuiltinRuntime;
  network::ControllerConfig net;
};

struct CreateResult {
  std::string id;
  std::vector<std::string> warnings;
};

// A removed container's dirs while their files are deleted (not an ID: never loaded).
inline constexpr const char* kRemovingSuffix = "-removing";

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> open(const Config& cfg);
  ~Daemon();

  // containers
  Result<CreateResult> create(const std::string& name, const nlohmann::json& body);
  Result<std::shared_ptr<Container>> get(const std::string& ref);
  std::vector<std::shared_ptr<Container>> list();
  Result<bool> start(const std::string& ref);  // false: already running (304)
  Result<bool> stop(const std::string& ref, std::optional<int> timeout);
  Status kill(const std::string& ref, const std::string& signal);
  Status restart(const std::string& ref, std::optional<int> timeout);
  // `volumes`: its anonymous volumes go too (rm -v, and --rm).
  Status remove(const std::string& ref, bool force, bool volumes = false);
  Status pause(const std::string& ref, bool pause);
  Status rename(const std::string& ref, const std::string& new_name);
  // docker update: resources and restart policy (update.cc). Docker's {"Warnings": [...]}.
  Result<nlohmann::json> update(const std::string& ref, const nlohmann::json& body);
  // Blocks until the condition holds; `gone()` aborts (the client disconnected).
  Result<shim::ExitStatus> wait(const std::string& ref, const std::string& condition,
                                const std::function<bool()>& gone);
  // A connection to the running container's shim, for attach (waits for a start when the
  // container is not running, as Docker's attach does).
  // Returns once the shim confirmed: output from then on reaches it. `frames` holds what
  // was read past that confirmation.
  Result<UniqueFd> attach(const std::shared_ptr<Container>& c, bool in, bool out, bool err,
                          const std::function<bool()>& gone, shim::FrameReader& frames);
  nlohmann::json inspect(const Container& c);

  // volumes
  VolumeStore& volumes() { return *volumes_; }
  // IDs of the containers (in any state) that mount the volume.
  std::vector<std::string> volume_users(const std::string& name);
  Status remove_volume(const std::string& name, bool force);
  void emit_volume(const std::string& name, const std::string& action);

  // networks (networking.cc)
  network::Controller& networks() { return *net_; }
  // Containers (by ID) with an endpoint on the network, as network inspect shows them.
  nlohmann::json network_containers(const network::Network& n);
  Status connect_network(const std::string& net, const std::string& container,
                         const nlohmann::json& endpoint_config);
  Status disconnect_network(const std::string& net, const std::string& container, bool force);
  void emit_network(const network::Network& n, const std::string& action,
                    const std::string& container = "");

  // exec
  Result<std::string> exec_create(const std::string& ref, const nlohmann::json& config);
  Result<std::shared_ptr<Exec>> exec_get(const std::string& id);
  // Starts the process. The connection then carries its output frames, kStarted with its pid
  // and kExit with its status: pass those to exec_control.
  Result<UniqueFd> exec_start(const std::shared_ptr<Exec>& e, bool attach_stdin);
  // What exec_start checks first (not started yet, the container running): the route asks
  // before it hijacks the connection, so these are plain HTTP errors.
  Status exec_check(const std::shared_ptr<Exec>& e);
  void exec_control(const std::shared_ptr<Exec>& e, uint8_t frame, const std::string& payload);
  // Reads the rest of an exec's connection on a thread of its own, for its exit status (a
  // detached exec, or one whose client went away). `frames` holds what was read already.
  void exec_drain(std::shared_ptr<Exec> e, UniqueFd conn, shim::FrameReader frames);
  Status exec_resize(const std::string& id, int h, int w);
  std::string container_dir(const std::string& id) const;
  std::string shim_dir(const std::string& id) const;

  // The image store is not safe for concurrent use: every caller holds its lock for the
  // duration of one call (the handle lives until the end of the full expression).
  class LockedStore {
   public:
    LockedStore(std::mutex& m, image::Store& s) : lock_(m), store_(s) {}
    image::Store* operator->() { return &store_; }

   private:
    std::unique_lock<std::mutex> lock_;
    image::Store& store_;
  };
  LockedStore images() { return {images_mu_, *images_}; }
  Events& events() { return events_; }
  const Config& config() const { return cfg_; }
  // The runtime a container runs under (HostConfig.Runtime), with its state root.
  shim::RuntimeDriver runtime_for(const Container& c) const;
  // HostConfig.Runtime at create: "" means the default; unknown names are a 400.
  Result<std::string> resolve_runtime(const std::string& name) const;
  bool image_in_use(const std::string& image_id);

  // At start: reattach to the shims of running containers, record the exits that happened
  // while we were down, apply restart policies.
  void restore();
  // A daemon without live restore stops its running containers when it stops (in parallel,
  // each with its own stop timeout); their networks and mounts go with them.
  void stop_all();

 private:
  Daemon() = default;
  // The record on disk. Run-state changes (started, exited, paused, health) are not fsynced:
  // a crash of berthd keeps them (the page cache survives it) and after a power loss no
  // container is running anyway, which restore() finds out; what users asked to be kept
  // (create, rename, update, networks) is.
  Status save(const Container& c, bool durable = true);
  Result<bool> start_locked(const std::shared_ptr<Container>& c);
  void monitor(std::shared_ptr<Container> c);
  void on_exit(const std::shared_ptr<Container>& c, const shim::ExitStatus& st);
  bool should_restart(const Container& c, int exit_code);
  Status write_etc_files(Container& c);
  Result<std::string> reserve_name(const std::string& name, const std::string& id);
  void emit(const Container& c, const std::string& action,
            std::map<std::string, std::string> extra = {});
  void forget_execs(const std::string& container_id);
  // NetworkMode and NetworkingConfig into c.network_settings, at create.
  Status plan_networks(Container& c, const nlohmann::json& networking_config);
  // HostConfig.Links checked and stored in Docker's form (links.h), at create.
  Status plan_links(Container& c);
  // At start on the default bridge: the /etc/hosts lines and variables of the links.
  Result<std::pair<std::string, std::vector<std::string>>> resolve_links(Container& c);
  // At start: sandbox, endpoints, ports. The netns path for the spec ("" for none and host).
  Result<std::string> setup_network(const std::shared_ptr<Container>& c);
  void teardown_network(const std::shared_ptr<Container>& c);
  void restore_network(const std::shared_ptr<Container>& c, bool running);
  // Healthchecks (health.cc): a probe loop for this run of the container.
  // `fresh`: a new start ("starting"); else a restored one keeps its status.
  void start_health(const std::shared_ptr<Container>& c, bool fresh);
  // Runs `cmd` in the container; its exit code and first 4 KiB of output (-1 on timeout).
  Result<std::pair<int, std::string>> run_probe(const std::shared_ptr<Container>& c,
                                                const nlohmann::json& cmd, int64_t timeout_ns);
  // The embedded DNS: addresses of `name` on the user-defined networks of the container
  // (IPv4 and IPv6 ones; the server answers with those of the family asked for).
  // A link's alias answers with its target's addresses (`follow_links`: not again from
  // there, so links naming each other cannot loop).
  std::vector<std::string> dns_lookup(const std::string& container_id, const std::string& name,
                                      bool follow_links = true);
  // Serves DNS in the container's sandbox if it is on a user-defined network.
  Status start_dns(const std::shared_ptr<Container>& c);
  // Volumes a starting container uses: mounted where their options say so, and filled with
  // the image's content on first use. release_volumes undoes acquire_volumes.
  Status acquire_volumes(nlohmann::json& mount_points, const std::string& rootfs);
  void release_volumes(const nlohmann::json& mount_points);

  Config cfg_;
  std::unique_ptr<image::Store> images_;
  std::unique_ptr<VolumeStore> volumes_;
  std::unique_ptr<network::Controller> net_;
  std::unique_ptr<network::DnsServer> dns_;
  std::unique_ptr<ShimSpawner> shims_;
  std::mutex images_mu_;
  std::mutex mu_;  // containers_ and names_
  std::map<std::string, std::shared_ptr<Container>> containers_;
  std::map<std::string, std::string> names_;  // "/name" -> id
  std::mutex execs_mu_;
  std::map<std::string, std::shared_ptr<Exec>> execs_;
  Events events_;
};

}  // namespace berth::daemon

// A container as berthd keeps it: Docker's Config and HostConfig as the client sent them
// (normalised), and its state. Persisted as one JSON file per container, written atomically.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::daemon {

struct Health {
  std::string status;  // "", starting, healthy, unhealthy
  int failing_streak = 0;
  nlohmann::json log = nlohmann::json::array();
};

struct State {
  std::string status = "created";  // created running paused restarting removing exited dead
  bool running = false, paused = false, restarting = false, oom_killed = false, dead = false;
  int pid = 0;
  int exit_code = 0;
  std::string error;
  std::string started_at = "0001-01-01T00:00:00Z";
  std::string finished_at = "0001-01-01T00:00:00Z";
  int shim_pid = 0;
  Health health;
};

struct Container {
  std::string id;
  std::string name;  // with Docker's leading '/'
  std::string created;
  std::string image_id;   // sha256:...
  std::string image_ref;  // as the client named it
  std::string path;
  std::vector<std::string> args;
  nlohmann::json config;                                  // Docker's Config
  nlohmann::json host_config;                             // Docker's HostConfig
  nlohmann::json mount_points = nlohmann::json::array();  // see mount_points.h
  // Docker's NetworkSettings: Networks (EndpointSettings by network name, addresses filled
  // while running), Ports and SandboxKey. See networking.cc.
  nlohmann::json network_settings = nlohmann::json::object();
  State state;
  int restart_count = 0;
  bool has_been_started = false;
  bool manually_stopped = false;  // for unless-stopped and the start-up restart pass
  std::string log_path;
  std::string hostname_path, hosts_path, resolv_conf_path;

  // Not persisted: serialises operations on this container and wakes waiters.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t exits = 0;            // bumped on every exit
  bool removed = false;          // removal has begun
  bool gone = false;             // removal is over: the container is in no list any more
  bool shim_up = false;          // a shim serves this container (created or running)
  bool exiting = false;          // an exit seen, its handling (layer, network, events) not over: a
                                 // not-running wait and a new start wait for it
  bool shim_leaving = false;     // its exit is known, its shim still cleaning up: starts wait
  std::string remove_when_left;  // the shim's dir, to remove once the shim has left (removed)
  uint64_t starts = 0;           // bumped when a shim comes up: attaches waiting for it connect
  int attaching = 0;             // attaches waiting for the next start
  std::mutex op_mu;              // one start/stop/remove at a time
  std::vector<std::string> link_env;  // this start's variables from --link (networking.cc)

  nlohmann::json to_disk() const;
  static Result<std::unique_ptr<Container>> from_disk(const nlohmann::json& j);
  bool tty() const { return config.value("Tty", false); }
  // run --rm: removed when it exits; also unsynced on disk (fixed at create)
  bool auto_remove() const { return host_config.value("AutoRemove", false); }
  // "Up 5 minutes", "Exited (0) 2 seconds ago", "Created"
  std::string status_text() const;
};

// Docker's `docker inspect` shape, without NetworkSettings' details.
nlohmann::json inspect_json(const Container& c, const std::string& driver,
                            const std::string& rootfs_dir);

// 64 hex digits from the system's CSPRNG: container and exec IDs.
std::string random_id();

// "2 seconds", "About a minute", "5 hours" as Docker's units.HumanDuration.
std::string human_duration(int64_t seconds);

}  // namespace berth::daemon

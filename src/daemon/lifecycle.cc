// Start, stop, kill, wait, attach and exits: the container's life through its shim.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <system_error>
#include <thread>

#include "base/background_removal.h"
#include "base/file.h"
#include "base/log.h"
#include "base/time.h"
#include "base/trace.h"
#include "daemon/daemon.h"
#include "daemon/spec.h"
#include "logs/log_file.h"
#include "runtime/container.h"
#include "runtime/names.h"

extern char** environ;

namespace berth::daemon {

using nlohmann::json;

namespace {

// Reads one line (up to `timeout_ms`).
std::string read_line(int fd, int timeout_ms) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    struct pollfd p {
      fd, POLLIN, 0
    };
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out.substr(0, out.find('\n'));
}

int stop_signal(const Container& c) {
  std::string s = c.config.value("StopSignal", "");
  if (s.empty()) return SIGTERM;
  auto sig = runtime::parse_signal(s);
  return sig ? *sig : SIGTERM;
}

}  // namespace

Result<bool> Daemon::start(const std::string& ref) {
  BERTH_ASSIGN(auto c, get(ref));
  std::unique_lock<std::mutex> op(c->op_mu);
  auto r = start_locked(c);
  op.unlock();
  if (!r && c->auto_remove()) {
    // docker run --rm waits for the removal after a failed start
    std::thread([this, id = c->id] { remove(id, true); }).detach();
  }
  return r;
}

Result<bool> Daemon::start_locked(const std::shared_ptr<Container>& c) {
  trace_step("start-begin");
  {
    std::unique_lock<std::mutex> l(c->mu);
    // the last exit is still being handled (layer, network), or its shim still removes its
    // cgroups and runtime state under this ID: a new shim must not meet the old one
    if (!c->cv.wait_for(l, std::chrono::seconds(60),
                        [&] { return !c->exiting && !c->shim_leaving; }))
      return fail(ErrorKind::Conflict,
                  "container {} is still being cleaned up after its last run; try again later",
                  c->id);
    if (c->removed) return fail(ErrorKind::NotFound, "No such container: {}", c->id);
    if (c->state.running) return false;
  }
  std::string rootfs;
  { BERTH_ASSIGN(rootfs, images()->mount_container_layer(c->id, c->auto_remove())); }
  // Any way out before the process runs (an error, or an exception from a malformed record)
  // unmounts the layer again.
  Defer unmount([&] { images()->unmount_container_layer(c->id); });
  trace_step("start-mounted");
  auto record_failure = [&](const Error& e) {
    std::lock_guard<std::mutex> l(c->mu);
    c->state.error = e.message();
    std::string m = c->state.error;
    c->state.exit_code = (m.find("executable file not found") != std::string::npos ||
                          m.find("no such file or directory") != std::string::npos)
                             ? 127
                             : (m.find("permission denied") != std::string::npos ? 126 : 128);
    save(*c, false);
    // as an exit for its waiters: `docker run` waits for the next exit before it starts
    c->exits++;
    c->cv.notify_all();
  };
  json points;
  {
    std::lock_guard<std::mutex> l(c->mu);
    points = c->mount_points;
  }
  if (auto st = acquire_volumes(points, rootfs); !st) {
    record_failure(st.error());
    return std::unexpected(st.error());
  }
  Defer release([&] { release_volumes(points); });
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->mount_points = points;  // copy-ups done
  }
  auto netns = setup_network(c);
  if (!netns) {
    record_failure(netns.error());
    return std::unexpected(netns.error());
  }
  Defer net_undo([&] { teardown_network(c); });
  SpecInputs in{rootfs, cfg_.cgroup_parent, container_dir(c->id), *netns,
                executable_dir() + "/berth-init"};
  auto spec = build_spec(*c, in);
  if (!spec) {
    record_failure(spec.error());
    return std::unexpected(spec.error());
  }
  std::string dir = shim_dir(c->id);
  remove_all(dir);
  BERTH_TRY(mkdir_all(dir, 0700));
  BERTH_TRY(write_file_atomic(dir + "/config.json", spec->dump(), 0600, false));
  trace_step("start-spec-written");

  // the shim
  auto hc_log = c->host_config.value("LogConfig", json::object());
  std::map<std::string, std::string> lopts;
  json log_cfg = hc_log.value("Config", json::object());
  for (auto& [k, v] : log_cfg.items())
    if (v.is_string()) lopts[k] = v;
  BERTH_ASSIGN(auto lc, logs::parse_log_config(hc_log.value("Type", "json-file"), lopts));
  shim::RuntimeDriver driver = runtime_for(*c);
  std::string rt_root = driver.state_root();
  std::vector<std::string> args = {"--id",           c->id,
                                   "--bundle",       dir,
                                   "--state-root",   rt_root,
                                   "--dir",          dir,
                                   "--log-path",     c->log_path,
                                   "--log-driver",   lc.driver,
                                   "--log-max-size", std::to_string(lc.max_size),
                                   "--log-max-file", std::to_string(lc.max_file)};
  if (!driver.info().builtin()) {
    BERTH_TRY(mkdir_all(rt_root, 0700));
    args.insert(args.end(),
                {"--runtime-name", driver.info().name, "--runtime-path", driver.info().path});
    for (auto& a : driver.info().args) args.insert(args.end(), {"--runtime-arg", a});
  }
  if (c->config.value("Tty", false)) args.push_back("--tty");
  if (c->config.value("OpenStdin", false)) args.push_back("--stdin");
  if (c->config.value("StdinOnce", false)) args.push_back("--stdin-once");
  BERTH_ASSIGN(ShimSpawner::Started shim, shims_->start(args));
  trace_step("start-spawned");
  if (shim.pid > 0) waitpid(shim.pid, nullptr, 0);  // the shim forks away at once
  std::string line = read_line(shim.ready.get(), 60000);
  trace_step("start-shim-ready");
  if (!line.starts_with("ok ")) {
    std::string msg = line.starts_with("error: ") ? line.substr(7) : "shim failed to start";
    Error e(ErrorKind::InvalidArgument,
            "failed to create task for container: OCI runtime create failed: " + msg + ": unknown");
    record_failure(e);
    return std::unexpected(e);
  }
  int init_pid = atoi(line.c_str() + 3);
  {
    std::unique_lock<std::mutex> l(c->mu);
    c->shim_up = true;
    c->starts++;
    c->cv.notify_all();
    // attaches opened before start connect before the process runs: no output is lost
    c->cv.wait_for(l, std::chrono::seconds(2), [&] { return c->attaching == 0; });
  }
  if (auto st = driver.start(c->id); !st) {
    driver.remove(c->id);
    record_failure(st.error());
    return std::unexpected(st.error());
  }
  unmount.dismiss();
  release.dismiss();
  net_undo.dismiss();
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->state.running = true;
    c->state.paused = false;
    c->state.restarting = false;
    c->state.status = "running";
    c->state.pid = init_pid;
    c->state.exit_code = 0;
    c->state.error.clear();
    c->state.oom_killed = false;
    c->state.started_at = now_rfc3339();
    c->has_been_started = true;
    c->manually_stopped = false;
    save(*c, false);
  }
  trace_step("start-done");
  emit(*c, "start");
  std::thread([this, c] { monitor(c); }).detach();
  start_health(c, true);
  return true;
}

void Daemon::monitor(std::shared_ptr<Container> c) {
  shim::ExitStatus st;
  bool got = false;
  auto fd = shim::connect(shim_dir(c->id), {{"op", "wait"}});
  if (fd) {
    shim::FrameReader fr;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd->get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      fr.feed(buf, static_cast<size_t>(n));
      uint8_t s;
      std::string payload;
      if (fr.next(s, payload) && s == shim::kExit) {
        st = shim::ExitStatus::from_json(json::parse(payload, nullptr, false));
        got = true;
        break;
      }
    }
  }
  if (got) {
    // The shim tells the exit before it cleans up; the exit is handled now and a new start
    // waits (shim_leaving) until the shim closes the connection, its cleanup done. That wait
    // is its own thread: on_exit may need op_mu (--rm), which a waiting start holds.
    {
      std::lock_guard<std::mutex> l(c->mu);
      c->shim_leaving = true;
    }
    auto leave = [c](UniqueFd conn) {
      char buf[256];
      for (;;) {  // until the shim closes it (or dies): no deadline, a start waits for this
        ssize_t n = ::read(conn.get(), buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
      }
      std::string dir;
      {
        std::lock_guard<std::mutex> l(c->mu);
        c->shim_leaving = false;
        dir.swap(c->remove_when_left);
        c->cv.notify_all();
      }
      if (!dir.empty()) remove_via(dir, dir + kRemovingSuffix);
    };
    auto conn = std::make_shared<UniqueFd>(std::move(*fd));
    try {
      std::thread([leave, conn] { leave(std::move(*conn)); }).detach();
    } catch (const std::system_error&) {  // out of threads: wait here, before the exit is handled
      leave(std::move(*conn));
    }
    on_exit(c, st);
    return;
  }
  {
    // the shim finished before we asked, or died: its record says how the container ended
    for (int i = 0; i < 20 && !got; ++i) {
      if (auto text = read_file(shim::exit_path(shim_dir(c->id)))) {
        auto j = json::parse(*text, nullptr, false);
        if (!j.is_discarded()) {
          st = shim::ExitStatus::from_json(j);
          got = true;
        }
      }
      if (!got) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!got) {
      st.exit_code = 255;
      st.error = "the container's shim exited without recording a status";
      st.finished_at = now_rfc3339();
    }
  }
  on_exit(c, st);
}

bool Daemon::should_restart(const Container& c, int exit_code) {
  auto rp = c.host_config.value("RestartPolicy", json::object());
  std::string name = rp.value("Name", "no");
  if (c.manually_stopped || c.removed) return false;
  if (name == "always" || name == "unless-stopped") return true;
  if (name == "on-failure") {
    int max = rp.value("MaximumRetryCount", 0);
    return exit_code != 0 && (max == 0 || c.restart_count < max);
  }
  return false;
}

void Daemon::on_exit(const std::shared_ptr<Container>& c, const shim::ExitStatus& st) {
  trace_step("onexit-begin");
  bool restart = false, autoremove = false;
  int64_t ran_ms = 0;
  {
    std::lock_guard<std::mutex> l(c->mu);
    ran_ms = (now_ns() - parse_rfc3339_ns(c->state.started_at).value_or(now_ns())) / 1000000;
    c->state.running = false;
    c->exiting = true;
    c->state.paused = false;
    c->state.pid = 0;
    c->state.exit_code = st.exit_code;
    c->state.oom_killed = st.oom_killed;
    c->state.finished_at = st.finished_at.empty() ? now_rfc3339() : st.finished_at;
    c->state.error = st.error;
    c->state.status = "exited";
    c->shim_up = false;
    restart = should_restart(*c, st.exit_code);
    autoremove = c->auto_remove() && !restart;
    if (restart) {
      c->state.restarting = true;
      c->state.status = "restarting";
    }
    // A container about to be removed is not recorded as exited first: after a crash in
    // between, its exit.json tells restore() the same, and the removal is done then.
    if (!autoremove) save(*c, false);
  }
  // a --rm container's layer is unmounted with its removal, after the answer
  if (!autoremove) images()->unmount_container_layer(c->id);
  trace_step("onexit-unmounted");
  release_volumes(c->mount_points);  // fixed after create: no lock needed to read
  teardown_network(c);
  if (st.oom_killed) emit(*c, "oom");
  emit(*c, "die", {{"exitCode", std::to_string(st.exit_code)}});
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->exiting = false;
    c->exits++;
    c->cv.notify_all();
  }
  if (autoremove) {
    if (auto r = remove(c->id, false, true); !r)
      log::warn("auto-remove {}: {}", c->id, r.error().message());
    return;
  }
  if (!restart) return;
  // Docker's back-off: 100 ms doubling per restart, reset after 10 s of running.
  int count;
  {
    std::lock_guard<std::mutex> l(c->mu);
    if (ran_ms > 10000) c->restart_count = 0;
    count = c->restart_count;
  }
  int64_t delay = std::min<int64_t>(int64_t{100} << std::min(count, 10), 60000);
  std::thread([this, c, delay] {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    std::lock_guard<std::mutex> op(c->op_mu);
    {
      std::lock_guard<std::mutex> l(c->mu);
      if (!c->state.restarting || c->removed || c->manually_stopped) return;
      c->restart_count++;
    }
    if (auto r = start_locked(c); !r) {
      log::warn("restart {}: {}", c->id, r.error().message());
      std::lock_guard<std::mutex> l(c->mu);
      c->state.restarting = false;
      c->state.status = "exited";
      save(*c);
    }
    emit(*c, "restart");
  }).detach();
}

Status Daemon::kill(const std::string& ref, const std::string& signal) {
  BERTH_ASSIGN(auto c, get(ref));
  int sig = SIGKILL;
  if (!signal.empty()) {
    auto s = runtime::parse_signal(signal);
    if (!s) return fail(ErrorKind::InvalidArgument, "Invalid signal: {}", signal);
    sig = *s;
  }
  {
    std::lock_guard<std::mutex> l(c->mu);
    if (!c->state.running)
      return fail(ErrorKind::Conflict, "Cannot kill container: {}: Container {} is not running",
                  ref, c->id);
  }
  BERTH_TRY(runtime_for(*c).kill(c->id, sig));
  emit(*c, "kill", {{"signal", std::to_string(sig)}});
  return ok();
}

Result<bool> Daemon::stop(const std::string& ref, std::optional<int> timeout) {
  BERTH_ASSIGN(auto c, get(ref));
  std::lock_guard<std::mutex> op(c->op_mu);
  int t;
  uint64_t exits;
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->manually_stopped = true;
    if (c->state.restarting) {
      c->state.restarting = false;
      c->state.status = "exited";
      save(*c);
      return true;
    }
    if (!c->state.running) {
      save(*c);
      return false;
    }
    t = timeout.value_or(c->config.value("StopTimeout", 10));
    exits = c->exits;
    save(*c);
  }
  shim::RuntimeDriver driver = runtime_for(*c);
  driver.kill(c->id, stop_signal(*c));
  std::unique_lock<std::mutex> l(c->mu);
  bool done = t < 0 ? (c->cv.wait(l, [&] { return c->exits != exits; }), true)
                    : c->cv.wait_for(l, std::chrono::seconds(t), [&] { return c->exits != exits; });
  if (!done) {
    l.unlock();
    driver.kill(c->id, SIGKILL);
    l.lock();
    c->cv.wait_for(l, std::chrono::seconds(30), [&] { return c->exits != exits; });
  }
  l.unlock();
  emit(*c, "stop");
  return true;
}

void Daemon::stop_all() {
  std::vector<std::thread> stops;
  for (auto& c : list()) {
    bool running;
    {
      std::lock_guard<std::mutex> l(c->mu);
      running = c->state.running;
    }
    if (!running) continue;
    stops.emplace_back([this, id = c->id] {
      if (auto r = stop(id, std::nullopt); !r)
        log::warn("stop {} at shutdown: {}", id, r.error().message());
    });
  }
  for (auto& t : stops) t.join();
}

Status Daemon::restart(const std::string& ref, std::optional<int> timeout) {
  BERTH_TRY(stop(ref, timeout));
  BERTH_TRY(start(ref));
  return ok();
}

Status Daemon::pause(const std::string& ref, bool pause) {
  BERTH_ASSIGN(auto c, get(ref));
  {
    std::lock_guard<std::mutex> l(c->mu);
    if (!c->state.running) return fail(ErrorKind::Conflict, "Container {} is not running", c->id);
    if (pause && c->state.paused)
      return fail(ErrorKind::Conflict, "Container {} is already paused", c->id);
    if (!pause && !c->state.paused)
      return fail(ErrorKind::Conflict, "Container {} is not paused", c->id);
  }
  BERTH_TRY(runtime_for(*c).pause(c->id, pause));
  std::lock_guard<std::mutex> l(c->mu);
  c->state.paused = pause;
  c->state.status = pause ? "paused" : "running";
  save(*c, false);
  emit(*c, pause ? "pause" : "unpause");
  return ok();
}

Result<shim::ExitStatus> Daemon::wait(const std::string& ref, const std::string& condition,
                                      const std::function<bool()>& gone) {
  BERTH_ASSIGN(auto c, get(ref));
  std::string cond = condition.empty() ? "not-running" : condition;
  if (cond != "not-running" && cond != "next-exit" && cond != "removed")
    return fail(ErrorKind::InvalidArgument, "invalid condition: {:?}", condition);
  std::unique_lock<std::mutex> l(c->mu);
  uint64_t exits = c->exits;
  auto done = [&] {
    if (cond == "removed") return c->gone;
    if (cond == "next-exit") return c->exits != exits;
    return !c->state.running && !c->state.restarting && !c->exiting;
  };
  while (!done()) {
    c->cv.wait_for(l, std::chrono::milliseconds(250));
    if (gone && gone()) return fail(ErrorKind::Unavailable, "client went away");
  }
  shim::ExitStatus st;
  st.exit_code = c->state.exit_code;
  st.error = c->state.error;
  return st;
}

Result<UniqueFd> Daemon::attach(const std::shared_ptr<Container>& c, bool in, bool out, bool err,
                                const std::function<bool()>& gone, shim::FrameReader& frames) {
  std::unique_lock<std::mutex> l(c->mu);
  c->attaching++;  // until connected: a start waits for us before the process runs
  auto done = Defer([&] {
    if (!l.owns_lock()) l.lock();
    c->attaching--;
    c->cv.notify_all();
  });
  if (!c->shim_up) {
    uint64_t starts = c->starts;
    while (c->starts == starts && !c->removed) {
      c->cv.wait_for(l, std::chrono::milliseconds(250));
      if (gone && gone()) return fail(ErrorKind::Unavailable, "client went away");
    }
  }
  if (c->removed) return fail(ErrorKind::NotFound, "No such container: {}", c->id);
  l.unlock();
  BERTH_ASSIGN(UniqueFd conn,
               shim::connect(shim_dir(c->id),
                             {{"op", "attach"}, {"stdin", in}, {"stdout", out}, {"stderr", err}}));
  // The start waits for us (attaching > 0) until the shim has taken us on, so no output
  // from the first moment is lost.
  BERTH_TRY(shim::await_frame(conn.get(), frames, shim::kAttached, 5000));
  return conn;
}

void Daemon::restore() {
  // addresses and ports the running containers hold, before anything else is handed out
  for (auto& c : list()) {
    bool running;
    {
      std::lock_guard<std::mutex> l(c->mu);
      running = c->state.running;
    }
    restore_network(c, running);
  }
  if (auto st = net_->sync_rules(); !st) log::warn("nftables: {}", st.error().message());
  for (auto& c : list()) {
    bool running;
    {
      std::lock_guard<std::mutex> l(c->mu);
      running = c->state.running;
      if (c->state.restarting) c->state.status = "exited";
      c->state.restarting = false;
    }
    std::string sdir = shim_dir(c->id);
    if (!running && path_exists(shim::socket_path(sdir)) && !path_exists(shim::exit_path(sdir))) {
      // We died between bringing a shim up and starting its process: that container never
      // ran. Deleting it ends the shim; the layer is unmounted like after any exit.
      runtime_for(*c).remove(c->id);
      images()->unmount_container_layer(c->id);
    }
    if (running) {
      std::string dir = shim_dir(c->id);
      {
        // The monitor asks the shim to `wait`; if the shim is gone it reads exit.json.
        std::lock_guard<std::mutex> l(c->mu);
        c->shim_up = path_exists(shim::socket_path(dir)) && !path_exists(shim::exit_path(dir));
      }
      // its volumes count it as a user again (their mounts stayed up)
      json points = c->mount_points;
      if (auto st = acquire_volumes(points, ""); !st)
        log::warn("container {}: volumes: {}", c->id, st.error().message());
      // alive: wait for its exit as before; gone: monitor reads exit.json (or records 255)
      std::thread([this, c] { monitor(c); }).detach();
      start_health(c, false);
      continue;
    }
    if (c->auto_remove()) {
      // exited while berthd was down (or the host crashed under it): removed, as dockerd
      // does; its layer may have been mounted volatile and is not to be mounted again
      std::thread([this, c] {
        if (auto r = remove(c->id, true, true); !r)
          log::warn("auto-remove {}: {}", c->id, r.error().message());
      }).detach();
      continue;
    }
    auto rp = c->host_config.value("RestartPolicy", json::object()).value("Name", "no");
    if ((rp == "always" || rp == "unless-stopped") && !c->manually_stopped && c->has_been_started) {
      std::thread([this, c] {
        if (auto r = start(c->id); !r) log::warn("restart {}: {}", c->id, r.error().message());
      }).detach();
    }
  }
}

}  // namespace berth::daemon

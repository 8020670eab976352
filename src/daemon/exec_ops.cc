// The daemon's side of exec: instances, starting them through the shim, their exits.
#include <unistd.h>

#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "daemon/daemon.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

Status check_running(const Container& c) {
  if (c.state.paused)
    return fail(ErrorKind::Conflict, "Container {} is paused, unpause the container before exec",
                c.id);
  if (c.state.restarting)
    return fail(ErrorKind::Conflict,
                "Container {} is restarting, wait until the container is running", c.id);
  if (!c.state.running) return fail(ErrorKind::Conflict, "Container {} is not running", c.id);
  return ok();
}

}  // namespace

Result<std::string> Daemon::exec_create(const std::string& ref, const json& config) {
  BERTH_ASSIGN(auto c, get(ref));
  BERTH_TRY(validate_exec_config(config));
  {
    std::lock_guard<std::mutex> l(c->mu);
    BERTH_TRY(check_running(*c));
  }
  auto e = std::make_shared<Exec>();
  e->id = random_id();
  e->container_id = c->id;
  e->config = config;
  {
    std::lock_guard<std::mutex> l(execs_mu_);
    execs_[e->id] = e;
  }
  emit(*c, "exec_create: " + e->command_line(), {{"execID", e->id}});
  return e->id;
}

Result<std::shared_ptr<Exec>> Daemon::exec_get(const std::string& id) {
  std::lock_guard<std::mutex> l(execs_mu_);
  auto it = execs_.find(id);
  if (it == execs_.end()) return fail(ErrorKind::NotFound, "No such exec instance: {}", id);
  return it->second;
}

Status Daemon::exec_check(const std::shared_ptr<Exec>& e) {
  {
    std::lock_guard<std::mutex> l(e->mu);
    if (e->running) return fail(ErrorKind::Conflict, "Exec command {} is already running", e->id);
    if (e->started) return fail(ErrorKind::Conflict, "exec command {} has already run", e->id);
  }
  BERTH_ASSIGN(auto c, get(e->container_id));
  std::lock_guard<std::mutex> l(c->mu);
  return check_running(*c);
}

Result<UniqueFd> Daemon::exec_start(const std::shared_ptr<Exec>& e, bool attach_stdin) {
  BERTH_TRY(exec_check(e));
  BERTH_ASSIGN(auto c, get(e->container_id));
  json group_add;
  {
    std::lock_guard<std::mutex> l(c->mu);
    group_add = c->host_config.value("GroupAdd", json::array());
  }
  {
    // claimed first, so two starts cannot both run it
    std::lock_guard<std::mutex> l(e->mu);
    if (e->started) return fail(ErrorKind::Conflict, "Exec command {} is already running", e->id);
    e->started = e->running = true;
  }
  // Anything that fails from here on is an exec that could not start: Docker's 126.
  auto failed = [&](const Error& err) -> Result<UniqueFd> {
    std::lock_guard<std::mutex> l(e->mu);
    e->running = false;
    e->exit_code = 126;
    return std::unexpected(err);
  };
  std::string dir = shim_dir(c->id);
  auto text = read_file(dir + "/config.json");
  if (!text) return failed(text.error());
  json spec = json::parse(*text, nullptr, false);
  if (spec.is_discarded() || !spec.contains("process"))
    return failed(Error(ErrorKind::Internal, "container " + c->id + ": unreadable runtime spec"));
  std::vector<std::string> groups;
  for (auto& g : group_add)
    if (g.is_string()) groups.push_back(g);
  auto process = exec_process(spec["process"], spec["root"].value("path", ""), e->config, groups);
  if (!process) return failed(process.error());
  auto conn = shim::connect(dir, {{"op", "exec"}, {"process", *process}, {"stdin", attach_stdin}});
  if (!conn) return failed(conn.error());
  emit(*c, "exec_start: " + e->command_line(), {{"execID", e->id}});
  return conn;
}

void Daemon::exec_control(const std::shared_ptr<Exec>& e, uint8_t frame,
                          const std::string& payload) {
  if (frame == shim::kStarted) {
    std::lock_guard<std::mutex> l(e->mu);
    e->pid = std::atoi(payload.c_str());
    return;
  }
  if (frame != shim::kExit) return;
  auto j = json::parse(payload, nullptr, false);
  int code = j.is_discarded() ? 126 : shim::ExitStatus::from_json(j).exit_code;
  {
    std::lock_guard<std::mutex> l(e->mu);
    if (!e->running) return;
    e->running = false;
    e->exit_code = code;
  }
  if (auto c = get(e->container_id))
    emit(**c, "exec_die", {{"execID", e->id}, {"exitCode", std::to_string(code)}});
}

void Daemon::exec_drain(std::shared_ptr<Exec> e, UniqueFd conn, shim::FrameReader frames) {
  std::thread([this, e, conn = std::move(conn), frames = std::move(frames)]() mutable {
    char buf[32768];
    for (;;) {
      uint8_t s;
      std::string payload;
      while (frames.next(s, payload)) exec_control(e, s, payload);
      ssize_t n = ::read(conn.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      frames.feed(buf, static_cast<size_t>(n));
    }
    // The shim went away without an exit frame: its processes went with the container.
    std::lock_guard<std::mutex> l(e->mu);
    if (e->running) {
      e->running = false;
      e->exit_code = 137;
    }
  }).detach();
}

Status Daemon::exec_resize(const std::string& id, int h, int w) {
  BERTH_ASSIGN(auto e, exec_get(id));
  int pid;
  {
    std::lock_guard<std::mutex> l(e->mu);
    if (!e->running || e->pid == 0)
      return fail(ErrorKind::Conflict, "Exec {} is not running", e->id);
    pid = e->pid;
  }
  BERTH_ASSIGN(auto conn, shim::connect(shim_dir(e->container_id),
                                        {{"op", "resize"}, {"exec_pid", pid}, {"h", h}, {"w", w}}));
  char b[8];
  [[maybe_unused]] auto n = ::read(conn.get(), b, sizeof b);
  return ok();
}

void Daemon::forget_execs(const std::string& container_id) {
  std::lock_guard<std::mutex> l(execs_mu_);
  std::erase_if(execs_, [&](auto& kv) { return kv.second->container_id == container_id; });
}

}  // namespace berth::daemon

// cgroup v1 / hybrid manager: creating, joining, freezing, listing and removing the cgroup.
#include "runtime/cgroup/v1.h"

#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup::internal {

namespace {
constexpr auto kFreezeTimeout = std::chrono::seconds(5);
}  // namespace

std::unique_ptr<Manager> make_v1_manager(Mode mode, std::vector<Hierarchy> hierarchies) {
  return std::make_unique<V1Manager>(mode, std::move(hierarchies));
}

V1Manager::V1Manager(Mode mode, std::vector<Hierarchy> hierarchies) : mode_(mode) {
  for (auto& h : hierarchies) {
    if (h.v2) {
      unified_ = std::move(h);
    } else {
      v1_.push_back(std::move(h));
    }
  }
}

std::string V1Manager::dir(const Hierarchy& h) {
  return path_join(h.mountpoint, h.path);
}

bool V1Manager::optional(const Hierarchy& h) {
  return h.v2 || h.options.starts_with("name=");
}

std::optional<std::string> V1Manager::dir_of(std::string_view controller) const {
  for (const auto& h : v1_) {
    if (contains(split(h.options, ','), controller)) return dir(h);
  }
  return std::nullopt;
}

Result<std::string> V1Manager::need(std::string_view controller, std::string_view field) const {
  if (auto d = dir_of(controller)) return *d;
  return fail(ErrorKind::Unavailable, "{}: cgroup controller {} is not mounted", field, controller);
}

std::vector<Hierarchy> V1Manager::hierarchies() const {
  std::vector<Hierarchy> out = v1_;
  if (unified_) out.push_back(*unified_);
  return out;
}

// A new v1 cpuset cgroup starts with empty cpuset.cpus/mems and refuses tasks (ENOSPC) until
// they are set, so each level copies its parent's values when its own are empty.
Status V1Manager::copy_cpuset_from_parents(const Hierarchy& h) {
  std::string parent = h.mountpoint;
  auto parts = split(h.path, '/');
  std::erase(parts, std::string());
  for (const auto& part : parts) {
    std::string cur = path_join(parent, part);
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      auto mine = read_control(path_join(cur, file));
      if (!mine) {
        if (mine.error().sys_errno() == ENOENT) continue;
        return std::unexpected(std::move(mine).error());
      }
      if (!mine->empty()) continue;
      BERTH_ASSIGN(std::string value, read_control(path_join(parent, file)));
      if (value.empty()) continue;
      BERTH_TRY(write_control(path_join(cur, file), value));
    }
    parent = cur;
  }
  return ok();
}

Status V1Manager::create() {
  std::vector<Hierarchy> all = hierarchies();
  for (const auto& h : all) {
    auto st = make_cgroup_dirs(h.mountpoint, h.path);
    if (!st && optional(h)) {
      log::debug("cgroup: {}", st.error().message());
      continue;
    }
    if (!st) return std::unexpected(std::move(st).error().context("create cgroup {}", h.path));
    if (contains(split(h.options, ','), "cpuset")) {
      auto cp = copy_cpuset_from_parents(h);
      if (!cp) return std::unexpected(std::move(cp).error().context("create cgroup {}", h.path));
    }
  }
  return ok();
}

Status V1Manager::add_pid(pid_t pid) {
  std::string value = std::to_string(pid);
  for (const auto& h : hierarchies()) {
    auto st = write_control(path_join(dir(h), "cgroup.procs"), value);
    if (!st && optional(h)) {
      log::debug("cgroup: {}", st.error().message());
      continue;
    }
    if (!st) return std::unexpected(std::move(st).error().context("add pid {} to cgroup", pid));
  }
  return ok();
}

Status V1Manager::freeze(bool frozen) {
  BERTH_ASSIGN(std::string d, need("freezer", frozen ? "freeze" : "thaw"));
  std::string state_file = path_join(d, "freezer.state");
  const char* want = frozen ? "FROZEN" : "THAWED";
  BERTH_TRY(write_field(frozen ? "freeze" : "thaw", state_file, want));
  // Freezing is asynchronous: the state reads FREEZING until every task has stopped. Tasks that
  // fork meanwhile can stall it, so the request is repeated now and then (as runc does).
  auto deadline = std::chrono::steady_clock::now() + kFreezeTimeout;
  std::string state;
  for (int i = 1;; ++i) {
    BERTH_ASSIGN(state, read_control(state_file));
    if (state == want) return ok();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 10 ? 1 : 10));
    if (frozen && i % 50 == 0) {
      BERTH_TRY(write_field("freeze", state_file, "THAWED"));
      BERTH_TRY(write_field("freeze", state_file, "FROZEN"));
    }
  }
  if (frozen) (void)write_control(state_file, "THAWED");
  return fail(ErrorKind::Unavailable, "{}: {} still reads {:?} after {}s",
              frozen ? "freeze" : "thaw", state_file, state, kFreezeTimeout.count());
}

Result<bool> V1Manager::frozen() {
  auto d = dir_of("freezer");
  if (!d) return false;
  auto state = read_control(path_join(*d, "freezer.state"));
  if (!state) {
    if (state.error().sys_errno() == ENOENT) return false;
    return std::unexpected(std::move(state).error());
  }
  return *state == "FROZEN";
}

Result<std::vector<pid_t>> V1Manager::pids() {
  std::optional<std::string> d = dir_of("pids");
  if (!d) d = dir_of("memory");
  for (const auto& h : v1_) {
    if (!d && !optional(h)) d = dir(h);
  }
  if (!d && !v1_.empty()) d = dir(v1_.front());
  if (!d) return fail(ErrorKind::NotFound, "no cgroup hierarchy to list pids from");
  return read_procs_tree(*d);
}

Result<nlohmann::json> V1Manager::stats() {
  auto of = [this](std::string_view c) { return dir_of(c).value_or(""); };
  return stats_v1(of, unified_ ? dir(*unified_) : std::string());
}

Status V1Manager::destroy() {
  std::optional<Error> first;
  for (const auto& h : hierarchies()) {
    auto st = remove_cgroup_dir(dir(h));
    if (!st && !first) first = std::move(st).error().context("destroy cgroup {}", h.path);
  }
  if (first) return std::unexpected(std::move(*first));
  return ok();
}

}  // namespace berth::cgroup::internal

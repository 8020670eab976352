// cgroup v2 manager: one unified hierarchy.
#include "base/file.h"
#include "base/log.h"
#include "runtime/cgroup/internal.h"

namespace berth::cgroup::internal {

namespace {

constexpr auto kFreezeTimeout = std::chrono::seconds(5);

class V2Manager final : public Manager {
 public:
  explicit V2Manager(Hierarchy h) : h_(std::move(h)), dir_(path_join(h_.mountpoint, h_.path)) {}

  Mode mode() const override { return Mode::V2; }

  Status create() override {
    auto st = make_cgroup_dirs(h_.mountpoint, h_.path);
    if (!st) return std::unexpected(std::move(st).error().context("create cgroup {}", h_.path));
    return enable_controllers(h_.mountpoint, h_.path);
  }

  Status apply(const oci::Resources& res) override { return apply_v2(dir_, res); }

  Status add_pid(pid_t pid) override {
    auto st = write_control(path_join(dir_, "cgroup.procs"), std::to_string(pid));
    if (!st) return std::unexpected(std::move(st).error().context("add pid {} to cgroup", pid));
    return ok();
  }

  Status freeze(bool frozen) override { return freeze_v2(dir_, frozen); }
  Result<bool> frozen() override { return frozen_v2(dir_); }
  Result<std::vector<pid_t>> pids() override { return read_procs_tree(dir_); }
  Result<nlohmann::json> stats() override { return stats_v2(dir_); }

  Status destroy() override {
    auto st = remove_cgroup_dir(dir_);
    if (!st) return std::unexpected(std::move(st).error().context("destroy cgroup {}", h_.path));
    return ok();
  }

  std::vector<Hierarchy> hierarchies() const override { return {h_}; }

 private:
  Hierarchy h_;
  std::string dir_;
};

}  // namespace

std::unique_ptr<Manager> make_v2_manager(Hierarchy hierarchy) {
  return std::make_unique<V2Manager>(std::move(hierarchy));
}

Status freeze_v2(const std::string& dir, bool frozen) {
  const char* what = frozen ? "freeze" : "thaw";
  std::string control = path_join(dir, "cgroup.freeze");
  if (!path_exists(control))
    return fail(ErrorKind::Unavailable, "{}: {} does not exist (cgroup v2 freezer needs Linux 5.2)",
                what, control);
  BERTH_TRY(write_field(what, control, frozen ? "1" : "0"));
  // The write returns at once; cgroup.events says "frozen 1" when every task has stopped.
  std::string events = path_join(dir, "cgroup.events");
  if (!path_exists(events)) return ok();
  uint64_t want = frozen ? 1 : 0;
  BERTH_ASSIGN(bool done, poll_until(
                              [&]() -> Result<bool> {
                                auto ev = read_keyed(events);
                                auto it = ev.find("frozen");
                                return it == ev.end() || it->second == want;
                              },
                              kFreezeTimeout));
  if (done) return ok();
  if (frozen) (void)write_control(control, "0");
  return fail(ErrorKind::Unavailable, "{}: {} did not report \"frozen {}\" within {}s", what,
              events, want, kFreezeTimeout.count());
}

Result<bool> frozen_v2(const std::string& dir) {
  auto requested = read_control(path_join(dir, "cgroup.freeze"));
  if (!requested) {
    if (requested.error().sys_errno() == ENOENT) return false;
    return std::unexpected(std::move(requested).error());
  }
  if (*requested != "1") return false;
  // Requested but not yet complete (still freezing) does not count as frozen.
  auto ev = read_keyed(path_join(dir, "cgroup.events"));
  auto it = ev.find("frozen");
  return it == ev.end() || it->second == 1;
}

}  // namespace berth::cgroup::internal

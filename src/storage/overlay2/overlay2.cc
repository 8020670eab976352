#include "storage/overlay2/overlay2.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "base/background_removal.h"
#include "base/file.h"
#include "base/unique_fd.h"
#include "storage/layer_id.h"
#include "storage/mounts.h"
#include "storage/overlay2/layout.h"
#include "storage/overlay2/mount.h"
#include "storage/usage.h"

namespace berth::storage::overlay2 {

namespace {

// A removed layer's dir while its files are deleted.
constexpr const char* kRemovingPrefix = ".removing-";

class Overlay2Driver final : public Driver {
 public:
  Overlay2Driver(const std::string& root, MountMode mode)
      : layout_(root), mode_(mode), options_(default_options()) {}

  std::string name() const override { return "overlay2"; }
  Status create(const std::string& id, const std::string& parent, bool rw) override;
  Status remove(const std::string& id) override;
  bool exists(const std::string& id) const override;
  Result<std::vector<std::string>> list() const override;
  Result<std::string> get(const std::string& id) override;
  Status put(const std::string& id) override;
  void set_disposable(const std::string& id) override {
    std::lock_guard lock(mu_);
    disposable_.insert(id);
  }
  bool is_disposable(const std::string& id) {
    std::lock_guard lock(mu_);
    return disposable_.contains(id);
  }
  Result<archive::ApplyResult> apply_diff(const std::string& id, int tar_fd) override;
  Result<archive::ApplyResult> apply_diff_unsynced(const std::string& id, int tar_fd) override;
  Status sync() override { return archive::sync_tree(layout_.root()); }
  bool independent_layers() const override { return true; }
  Result<std::vector<archive::Change>> changes(const std::string& id) override;
  Result<archive::TarResult> diff(const std::string& id, int out_fd) override;
  Result<uint64_t> size(const std::string& id) override;
  Status cleanup() override;

 private:
  Status require(const std::string& id) const;
  Status make_layer(const std::string& id, const std::string& parent, bool rw);
  Status mount_layer(const std::string& id);

  Layout layout_;
  MountMode mode_;
  std::vector<std::string> options_;
  // Users of each mounted layer; guards mounting and unmounting too.
  std::mutex mu_;
  std::map<std::string, int> refs_;
  std::set<std::string> disposable_;  // mounted with "volatile", made unsynced
};

bool Overlay2Driver::exists(const std::string& id) const {
  struct stat st;
  return id != "l" && validate_layer_id(id) && lstat(layout_.diff(id).c_str(), &st) == 0 &&
         S_ISDIR(st.st_mode);
}

Result<std::vector<std::string>> Overlay2Driver::list() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(layout_.root(), ec)) {
    std::string id = e.path().filename().string();
    if (id != "l" && !is_scratch_dir(id) && validate_layer_id(id) && e.is_directory(ec))
      out.push_back(id);
  }
  if (ec) return std::unexpected(Error(ErrorKind::Internal, "list " + layout_.root(), ec.value()));
  return out;
}

Status Overlay2Driver::require(const std::string& id) const {
  BERTH_TRY(validate_layer_id(id));
  if (!exists(id)) return fail(ErrorKind::NotFound, "overlay2: layer {} not found", id);
  return ok();
}

Status Overlay2Driver::create(const std::string& id, const std::string& parent, bool rw) {
  BERTH_TRY(validate_layer_id(id));
  if (id == "l") return fail(ErrorKind::InvalidArgument, "invalid layer id \"l\"");
  if (!parent.empty()) BERTH_TRY(require(parent));
  std::string dir = layout_.dir(id);
  if (mkdir(dir.c_str(), 0710) < 0) {
    if (errno == EEXIST) return fail(ErrorKind::Conflict, "overlay2: layer {} already exists", id);
    return sys_fail("mkdir {}", dir);
  }
  if (auto s = make_layer(id, parent, rw); !s) {
    if (auto lid = layout_.link(id)) unlink((layout_.links() + "/" + *lid).c_str());
    (void)remove_all(dir);
    return std::unexpected(std::move(s).error().context("overlay2: create layer {}", id));
  }
  return ok();
}

Status Overlay2Driver::make_layer(const std::string& id, const std::string& parent, bool rw) {
  std::string diff = layout_.diff(id);
  if (mkdir(diff.c_str(), 0755) < 0) return sys_fail("mkdir {}", diff);
  std::string lid;
  for (;;) {  // a clash of 128 random bits is unlikely, but costs nothing to handle
    BERTH_ASSIGN(lid, new_link_id());
    std::string l = layout_.links() + "/" + lid;
    if (symlink(("../" + id + "/diff").c_str(), l.c_str()) == 0) break;
    if (errno != EEXIST) return sys_fail("symlink {}", l);
  }
  // A disposable layer (run --rm) is removed after a crash: its files need no sync.
  const bool durable = !is_disposable(id);
  BERTH_TRY(write_file_atomic(layout_.dir(id) + "/link", lid, 0644, durable));
  if (!rw) BERTH_TRY(write_file_atomic(layout_.dir(id) + "/committed", "", 0600, false));
  if (parent.empty()) return ok();  // a base layer is never mounted: get() returns diff

  std::string work = layout_.work(id);
  if (mkdir(work.c_str(), 0700) < 0) return sys_fail("mkdir {}", work);
  // A layer with children must not change under them, so its own mounts go read-only.
  // (Marked once: rewriting it for every container made and deleted an inode each time.)
  if (std::string mark = layout_.dir(parent) + "/committed"; !path_exists(mark))
    BERTH_TRY(write_file_atomic(mark, "", 0600, false));
  BERTH_ASSIGN(std::string parent_link, layout_.link(parent));
  std::string lower = "l/" + parent_link;
  if (layout_.has_parent(parent)) {
    BERTH_ASSIGN(std::string parent_lower, read_file(layout_.dir(parent) + "/lower"));
    lower += ":" + parent_lower;
  }
  return write_file_atomic(layout_.dir(id) + "/lower", lower, 0644, durable);
}

Status Overlay2Driver::mount_layer(const std::string& id) {
  BERTH_ASSIGN(auto lowers, layout_.lowers(id));
  OverlaySpec spec{.base = layout_.root(),
                   .lowers = {},
                   .upper = "",
                   .work = "",
                   .options = options_,
                   .target = layout_.merged(id)};
  if (path_exists(layout_.dir(id) + "/committed")) {
    // Read-only: the layer's own diff is just the top lower; no upper, no copy-ups.
    BERTH_ASSIGN(std::string lid, layout_.link(id));
    spec.lowers.push_back("l/" + lid);
  } else {
    spec.upper = id + "/diff";
    spec.work = id + "/work";
  }
  spec.lowers.insert(spec.lowers.end(), lowers.begin(), lowers.end());
  auto mount = [&] {
    return mode_ == MountMode::Fsconfig ? mount_overlay_fsconfig(spec) : mount_overlay_data(spec);
  };
  if (!spec.upper.empty() && disposable_.contains(id)) {
    // Overlay marks a volatile upper (work/work/incompat/volatile) and refuses to mount it
    // again, for fear of a crash in between; a disposable layer is removed after a crash
    // (the daemon's restore), so a mark found here is from a clean unmount.
    (void)remove_all(layout_.work(id) + "/work/incompat");
    spec.options.push_back("volatile");
    auto st = mount();
    if (st || st.error().sys_errno() != EINVAL) return st;
    spec.options.pop_back();  // a kernel before 5.10 does not know the option
  }
  return mount();
}

Result<std::string> Overlay2Driver::get(const std::string& id) {
  BERTH_TRY(require(id));
  if (!layout_.has_parent(id)) return layout_.diff(id);
  std::lock_guard lock(mu_);
  std::string merged = layout_.merged(id);
  int& refs = refs_[id];
  if (refs > 0) {
    ++refs;
    return merged;
  }
  if (mkdir(merged.c_str(), 0700) < 0 && errno != EEXIST) {
    refs_.erase(id);
    return sys_fail("mkdir {}", merged);
  }
  // A mount left by an earlier process is adopted rather than stacked on.
  if (!is_mount_point(merged)) {
    if (auto s = mount_layer(id); !s) {
      refs_.erase(id);
      rmdir(merged.c_str());
      return std::unexpected(std::move(s).error().context("overlay2: mount layer {}", id));
    }
  }
  refs = 1;
  return merged;
}

Status Overlay2Driver::put(const std::string& id) {
  BERTH_TRY(require(id));
  if (!layout_.has_parent(id)) return ok();
  std::lock_guard lock(mu_);
  auto it = refs_.find(id);
  if (it != refs_.end() && --it->second > 0) return ok();
  if (it != refs_.end()) refs_.erase(it);
  std::string merged = layout_.merged(id);
  BERTH_TRY(unmount(merged));
  if (rmdir(merged.c_str()) < 0 && errno != ENOENT) return sys_fail("rmdir {}", merged);
  return ok();
}

Status Overlay2Driver::remove(const std::string& id) {
  BERTH_TRY(validate_layer_id(id));
  if (id == "l") return fail(ErrorKind::InvalidArgument, "invalid layer id \"l\"");
  std::lock_guard lock(mu_);
  std::string dir = layout_.dir(id);
  if (!path_exists(dir)) return ok();
  refs_.erase(id);
  disposable_.erase(id);
  BERTH_TRY(unmount(layout_.merged(id)));
  if (auto lid = layout_.link(id)) {
    std::string l = layout_.links() + "/" + *lid;
    if (unlink(l.c_str()) < 0 && errno != ENOENT) return sys_fail("remove {}", l);
  }
  // no layer ID starts with a dot: list() never sees it (background_removal.h)
  return remove_via(dir, layout_.root() + "/" + kRemovingPrefix + id);
}

Result<archive::ApplyResult> Overlay2Driver::apply_diff(const std::string& id, int tar_fd) {
  BERTH_ASSIGN(archive::ApplyResult r, apply_diff_unsynced(id, tar_fd));
  BERTH_TRY(archive::sync_tree(layout_.diff(id)));
  return r;
}

// Touches only <id>/diff: safe to run for several layers at once.
Result<archive::ApplyResult> Overlay2Driver::apply_diff_unsynced(const std::string& id,
                                                                 int tar_fd) {
  BERTH_TRY(require(id));
  archive::ApplyOptions opts;
  opts.whiteouts = archive::Whiteouts::Overlay;
  return archive::apply_layer(tar_fd, layout_.diff(id), opts);
}

Result<std::vector<archive::Change>> Overlay2Driver::changes(const std::string& id) {
  BERTH_TRY(require(id));
  BERTH_ASSIGN(auto lowers, layout_.lower_diffs(id));
  return archive::overlay_changes(layout_.diff(id), lowers);
}

Result<archive::TarResult> Overlay2Driver::diff(const std::string& id, int out_fd) {
  BERTH_ASSIGN(auto list, changes(id));
  // Contents come from the merged view: it has the real files behind copy-ups and no
  // overlay-private xattrs.
  BERTH_ASSIGN(std::string merged, get(id));
  auto r = archive::write_changes_tar(out_fd, merged, list);
  auto p = put(id);
  if (r && !p) return std::unexpected(std::move(p).error());
  return r;
}

Result<uint64_t> Overlay2Driver::size(const std::string& id) {
  BERTH_TRY(require(id));
  return dir_usage(layout_.diff(id));
}

Status Overlay2Driver::cleanup() {
  std::lock_guard lock(mu_);
  refs_.clear();
  BERTH_ASSIGN(auto points, mounts_under(layout_.root()));
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    if (*it == layout_.root()) continue;  // root may be a filesystem of its own
    BERTH_TRY(unmount(*it));
    if (it->ends_with("/merged")) rmdir(it->c_str());
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<Driver>> open_with_mode(const std::string& root, MountMode mode) {
  BERTH_TRY(mkdir_all(root, 0710));
  BERTH_TRY(mkdir_all(root + "/l", 0700));
  clear_renamed(root, kRemovingPrefix, "");  // removals a dead process had not finished
  return std::unique_ptr<Driver>(std::make_unique<Overlay2Driver>(clean_path(root), mode));
}

Result<std::unique_ptr<Driver>> open(const std::string& root) {
  BERTH_TRY(mkdir_all(root, 0710));
  BERTH_ASSIGN(MountMode mode, check_support(root));
  return open_with_mode(root, mode);
}

}  // namespace berth::storage::overlay2

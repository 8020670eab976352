// Changes between two full copies (vfs, btrfs): a parallel walk comparing metadata, the
// way Docker's ChangesDirs does (no content comparison: mtime and size stand for it).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include "archive/changes.h"
#include "archive/safe_path.h"
#include "archive/xattrs.h"

namespace berth::archive {

namespace {

// A tar round trip may drop the nanoseconds, so a zero nsec on either side matches.
bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && (a.tv_nsec == b.tv_nsec || a.tv_nsec == 0 || b.tv_nsec == 0);
}

Result<std::string> link_target(int pfd, const std::string& name) {
  std::string t(PATH_MAX + 1, '\0');
  ssize_t n = readlinkat(pfd, name.c_str(), t.data(), t.size());
  if (n < 0) return sys_fail("readlink \"{}\"", name);
  t.resize(static_cast<size_t>(n));
  return t;
}

class TreeDiff {
 public:
  explicit TreeDiff(std::vector<Change>& out) : out_(out) {}

  // ofd < 0: rel does not exist (as a directory) in the old tree.
  Status diff_dir(int ofd, int nfd, const std::string& rel) {
    BERTH_ASSIGN(auto now, list_dir(nfd));
    std::vector<std::string> before;
    if (ofd >= 0) {
      BERTH_ASSIGN(before, list_dir(ofd));
    }
    size_t i = 0;
    size_t j = 0;
    while (i < before.size() || j < now.size()) {
      if (j == now.size() || (i < before.size() && before[i] < now[j])) {
        push(Change::Kind::Deleted, join_rel(rel, before[i++]));  // a dir: only itself
      } else if (i == before.size() || now[j] < before[i]) {
        BERTH_TRY(entry(-1, nfd, rel, now[j++]));
      } else {
        BERTH_TRY(entry(ofd, nfd, rel, now[j]));
        ++i;
        ++j;
      }
    }
    return ok();
  }

 private:
  void push(Change::Kind k, const std::string& rel) { out_.push_back({k, "/" + rel}); }

  Result<bool> differs(int ofd, int nfd, const std::string& name, const struct stat& a,
                       const struct stat& b) {
    if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid ||
        a.st_rdev != b.st_rdev)
      return true;
    // A directory's size and mtime only say that its entries changed (Docker ignores them).
    if (!S_ISDIR(a.st_mode) && (a.st_size != b.st_size || !same_time(a.st_mtim, b.st_mtim)))
      return true;
    if (S_ISLNK(a.st_mode)) {
      BERTH_ASSIGN(auto ta, link_target(ofd, name));
      BERTH_ASSIGN(auto tb, link_target(nfd, name));
      if (ta != tb) return true;
    }
    BERTH_ASSIGN(auto xa, read_xattrs(ofd, name));
    BERTH_ASSIGN(auto xb, read_xattrs(nfd, name));
    return xa != xb;
  }

  // name in the new tree, compared with the old one (ofd < 0: not there).
  Status entry(int ofd, int nfd, const std::string& rel, const std::string& name) {
    std::string child = join_rel(rel, name);
    struct stat nst;
    if (fstatat(nfd, name.c_str(), &nst, AT_SYMLINK_NOFOLLOW) < 0)
      return sys_fail("stat \"{}\"", child);
    bool recorded = true;
    bool old_dir = false;
    if (ofd < 0) {
      push(Change::Kind::Added, child);
    } else {
      struct stat ost;
      if (fstatat(ofd, name.c_str(), &ost, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_fail("stat \"{}\"", child);
      old_dir = S_ISDIR(ost.st_mode);
      BERTH_ASSIGN(bool changed, differs(ofd, nfd, name, ost, nst));
      if (changed) push(Change::Kind::Modified, child);
      recorded = changed;
    }
    if (!S_ISDIR(nst.st_mode)) return ok();
    UniqueFd nsub(openat(nfd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!nsub) return sys_fail("open \"{}\"", child);
    UniqueFd osub;
    if (old_dir) {
      osub.reset(openat(ofd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!osub) return sys_fail("open \"{}\"", child);
    }
    size_t mark = out_.size();
    BERTH_TRY(diff_dir(osub ? osub.get() : -1, nsub.get(), child));
    // Changes inside make the directory part of the layer (its owner and mode travel).
    if (out_.size() > mark && !recorded) push(Change::Kind::Modified, child);
    return ok();
  }

  std::vector<Change>& out_;
};

}  // namespace

Result<std::vector<Change>> tree_changes(const std::string& parent, const std::string& dir) {
  UniqueFd old_root(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!old_root) return sys_fail("open {}", parent);
  UniqueFd new_root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!new_root) return sys_fail("open {}", dir);
  std::vector<Change> out;
  TreeDiff diff(out);
  BERTH_TRY(diff.diff_dir(old_root.get(), new_root.get(), ""));
  sort_changes(out);
  return out;
}

}  // namespace berth::archive

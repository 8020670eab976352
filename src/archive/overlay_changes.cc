// Changes in an overlayfs upper dir, judged against the merged lower layers: 0:0 character
// devices are deletions, an opaque directory hides everything below it.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <optional>
#include <set>

#include "archive/changes.h"
#include "archive/safe_path.h"

namespace berth::archive {

namespace {

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == 0;
}

// rel ("" = dirfd) carries trusted.overlay.opaque=y.
bool is_opaque(int dirfd, const std::string& rel) {
  char v[2];
  ssize_t n = lgetxattr(proc_path(dirfd, rel).c_str(), "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

// The lower layers as overlayfs merges them (top first), for lookups by path.
class LowerStack {
 public:
  static Result<LowerStack> open(const std::vector<std::string>& dirs) {
    LowerStack s;
    for (const auto& d : dirs) {
      UniqueFd fd(::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!fd) return sys_fail("open {}", d);
      s.fds_.push_back(std::move(fd));
    }
    return s;
  }

  struct Found {
    struct stat st;
    std::vector<size_t> dirs;  // a directory: the layers whose copies merge into it
  };

  // The entry at rel (not "") as the merged lowers show it, or nullopt.
  Result<std::optional<Found>> lookup(const std::string& rel) const {
    std::vector<size_t> layers(fds_.size());
    for (size_t i = 0; i < layers.size(); ++i) layers[i] = i;
    size_t pos = 0;
    for (;;) {
      size_t slash = rel.find('/', pos);
      std::string prefix = rel.substr(0, slash);
      std::optional<struct stat> top;
      std::vector<size_t> next;
      for (size_t idx : layers) {
        struct stat st;
        // Earlier components were directories in this layer, so nothing on the way is a
        // symlink.
        if (fstatat(fds_[idx].get(), prefix.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
          if (errno == ENOENT || errno == ENOTDIR) continue;
          return sys_fail("stat \"{}\" in a lower layer", prefix);
        }
        if (is_whiteout(st)) break;  // hides the name in every layer below
        if (!top) top = st;
        if (!S_ISDIR(top->st_mode) || !S_ISDIR(st.st_mode)) break;  // only dirs merge
        next.push_back(idx);
        if (is_opaque(fds_[idx].get(), prefix)) break;
      }
      if (!top) return std::nullopt;
      if (slash == std::string::npos) return Found{*top, std::move(next)};
      if (!S_ISDIR(top->st_mode)) return std::nullopt;
      layers = std::move(next);
      pos = slash + 1;
    }
  }

  // The names a merged lower directory shows.
  Result<std::vector<std::string>> children(const Found& dir, const std::string& rel) const {
    std::set<std::string> seen;
    std::vector<std::string> out;
    for (size_t idx : dir.dirs) {
      UniqueFd d(
          openat(fds_[idx].get(), rel.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!d) return sys_fail("open \"{}\" in a lower layer", rel);
      BERTH_ASSIGN(auto names, list_dir(d.get()));
      for (auto& n : names) {
        if (!seen.insert(n).second) continue;  // an upper layer's entry of that name wins
        struct stat st;
        if (fstatat(d.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout(st)) continue;
        out.push_back(std::move(n));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::vector<UniqueFd> fds_;
};

class OverlayDiff {
 public:
  OverlayDiff(const LowerStack& lowers, std::vector<Change>& out) : lowers_(lowers), out_(out) {}

  // opaque: an ancestor (or rel) is opaque, so nothing of the lowers shows below.
  // lower_dir: the lowers have a directory at rel (else no lookup can find anything).
  Status walk(int dfd, const std::string& rel, bool opaque, bool lower_dir) {
    BERTH_ASSIGN(auto names, list_dir(dfd));
    for (const auto& n : names) {
      std::string child = join_rel(rel, n);
      struct stat st;
      if (fstatat(dfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_fail("stat \"{}\"", child);
      if (is_whiteout(st)) {
        // Under an opaque dir the lower entry is reported by hide_lower already.
        if (!opaque) push(Change::Kind::Deleted, child);
        continue;
      }
      std::optional<LowerStack::Found> lower;
      if (lower_dir) {
        BERTH_ASSIGN(lower, lowers_.lookup(child));
      }
      push(lower && !opaque ? Change::Kind::Modified : Change::Kind::Added, child);
      if (!S_ISDIR(st.st_mode)) continue;
      UniqueFd sub(openat(dfd, n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return sys_fail("open \"{}\"", child);
      bool sub_opaque = opaque || is_opaque(dfd, n);
      bool sub_lower_dir = lower && S_ISDIR(lower->st.st_mode);
      if (sub_opaque && sub_lower_dir) BERTH_TRY(hide_lower(sub.get(), child, *lower));
      BERTH_TRY(walk(sub.get(), child, sub_opaque, sub_lower_dir));
    }
    return ok();
  }

 private:
  void push(Change::Kind k, const std::string& rel) { out_.push_back({k, "/" + rel}); }

  // An opaque upper dir hides its lower contents. The layer tar must say so with a
  // whiteout per hidden name (it has no opaque marker of its own), unless the upper dir
  // has an entry of that name, which then replaces it.
  Status hide_lower(int dfd, const std::string& rel, const LowerStack::Found& lower) {
    BERTH_ASSIGN(auto hidden, lowers_.children(lower, rel));
    for (const auto& h : hidden) {
      struct stat st;
      if (fstatat(dfd, h.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !is_whiteout(st)) continue;
      push(Change::Kind::Deleted, join_rel(rel, h));
    }
    return ok();
  }

  const LowerStack& lowers_;
  std::vector<Change>& out_;
};

}  // namespace

Result<std::vector<Change>> overlay_changes(const std::string& upper,
                                            const std::vector<std::string>& lower_dirs) {
  UniqueFd root(::open(upper.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return sys_fail("open {}", upper);
  BERTH_ASSIGN(LowerStack lowers, LowerStack::open(lower_dirs));
  std::vector<Change> out;
  OverlayDiff diff(lowers, out);
  BERTH_TRY(diff.walk(root.get(), "", false, !lower_dirs.empty()));
  sort_changes(out);
  return out;
}

}  // namespace berth::archive

#include "storage/usage.h"

#include <dirent.h>
#include <sys/stat.h>

#include <set>
#include <utility>

#include "base/file.h"

namespace berth::storage {

namespace {

using InodeSet = std::set<std::pair<dev_t, ino_t>>;

// Counts a non-directory once per inode.
uint64_t count_once(const struct stat& st, InodeSet& seen) {
  if (S_ISDIR(st.st_mode)) return 0;
  if (st.st_nlink > 1 && !seen.emplace(st.st_dev, st.st_ino).second) return 0;
  return static_cast<uint64_t>(st.st_size);
}

Status walk(const std::string& dir, dev_t dev, InodeSet& seen, uint64_t& total) {
  DIR* d = opendir(dir.c_str());
  if (!d) return sys_fail("open {}", dir);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  closedir(d);  // one open dir per level at most, however deep the tree
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (lstat(p.c_str(), &st) < 0) {
      if (errno == ENOENT) continue;  // removed while we walk
      return sys_fail("stat {}", p);
    }
    total += count_once(st, seen);
    if (S_ISDIR(st.st_mode) && st.st_dev == dev) BERTH_TRY(walk(p, dev, seen, total));
  }
  return ok();
}

}  // namespace

Result<uint64_t> dir_usage(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) < 0) return sys_fail("stat {}", dir);
  InodeSet seen;
  uint64_t total = 0;
  BERTH_TRY(walk(dir, st.st_dev, seen, total));
  return total;
}

Result<uint64_t> changes_size(const std::string& dir, const std::vector<archive::Change>& changes) {
  InodeSet seen;
  uint64_t total = 0;
  for (const auto& c : changes) {
    if (c.kind == archive::Change::Kind::Deleted) continue;
    std::string p = path_join(dir, c.path);
    struct stat st;
    if (lstat(p.c_str(), &st) < 0) {
      if (errno == ENOENT) continue;
      return sys_fail("stat {}", p);
    }
    total += count_once(st, seen);
  }
  return total;
}

}  // namespace berth::storage

// Layer tars out of a tree: all of it, or only the changes (with whiteouts for deletions).
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <unordered_set>

#include "archive/changes.h"
#include "archive/safe_path.h"
#include "archive/tar_writer.h"

namespace berth::archive {

namespace {

// Depth first, siblings sorted: the same order as path_less.
Status add_tree(TarWriter& w, int dfd, const std::string& rel) {
  BERTH_ASSIGN(auto names, list_dir(dfd));
  for (const auto& n : names) {
    std::string child = join_rel(rel, n);
    BERTH_TRY(w.add_at(dfd, n, child));
    struct stat st;
    if (fstatat(dfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      return sys_fail("stat \"{}\"", child);
    if (!S_ISDIR(st.st_mode)) continue;
    UniqueFd sub(openat(dfd, n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return sys_fail("open \"{}\"", child);
    BERTH_TRY(add_tree(w, sub.get(), child));
  }
  return ok();
}

struct Item {
  std::string name;  // in the tar: the path, or parent/.wh.base
  std::string rel;
  bool whiteout = false;
};

}  // namespace

Result<TarResult> write_entry_tar(int out_fd, int parent_fd, const std::string& name) {
  BERTH_ASSIGN(auto w, TarWriter::open(out_fd));
  BERTH_TRY(w->add_at(parent_fd, name, name));
  struct stat st;
  if (fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
    return sys_fail("stat \"{}\"", name);
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub(openat(parent_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return sys_fail("open \"{}\"", name);
    BERTH_TRY(add_tree(*w, sub.get(), name));
  }
  return w->finish();
}

Result<TarResult> write_tree_tar(int out_fd, const std::string& dir) {
  UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return sys_fail("open {}", dir);
  BERTH_ASSIGN(auto w, TarWriter::open(out_fd));
  BERTH_TRY(add_tree(*w, root.get(), ""));
  return w->finish();
}

Result<TarResult> write_changes_tar(int out_fd, const std::string& dir,
                                    const std::vector<Change>& changes) {
  UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return sys_fail("open {}", dir);
  std::vector<Item> items;
  std::unordered_set<std::string> parents;
  for (const auto& c : changes) {
    auto rel = clean_entry_path(c.path);
    if (!rel) return std::unexpected(std::move(rel).error().context("change \"{}\"", c.path));
    if (rel->empty()) continue;
    auto [parent, base] = split_parent(*rel);
    if (c.kind == Change::Kind::Deleted) {
      items.push_back({join_rel(parent, ".wh." + base), *rel, true});
    } else {
      items.push_back({*rel, *rel, false});
    }
    // Parent directories travel too, so an applied layer keeps their owner and mode.
    for (std::string p = parent; !p.empty() && parents.insert(p).second; p = split_parent(p).first)
      items.push_back({p, p, false});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return path_less(a.name, b.name); });
  items.erase(std::unique(items.begin(), items.end(),
                          [](const Item& a, const Item& b) { return a.name == b.name; }),
              items.end());
  BERTH_ASSIGN(auto w, TarWriter::open(out_fd));
  for (const auto& it : items) {
    if (it.whiteout) {
      auto [parent, base] = split_parent(it.rel);
      BERTH_TRY(w->add_whiteout(parent, base));
    } else {
      BERTH_TRY(w->add(root.get(), it.rel));
    }
  }
  return w->finish();
}

}  // namespace berth::archive

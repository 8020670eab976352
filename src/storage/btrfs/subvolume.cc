#include "storage/btrfs/subvolume.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cstring>
#include <vector>

#include "base/unique_fd.h"

namespace berth::storage::btrfs {

namespace {

Result<UniqueFd> open_dir(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  return fd;
}

Status check_name(const std::string& name) {
  if (name.empty() || name.size() > BTRFS_SUBVOL_NAME_MAX || name.find('/') != std::string::npos)
    return fail(ErrorKind::InvalidArgument, "invalid subvolume name \"{}\"", name);
  return ok();
}

// Every subvolume root has this inode number; a plain directory never does.
bool is_subvolume_root(const struct stat& st) {
  return S_ISDIR(st.st_mode) && st.st_ino == BTRFS_FIRST_FREE_OBJECTID;
}

// Subvolumes below path (not path itself), deepest first, as "dir", "name" pairs.
Status nested_subvolumes(const std::string& path, std::vector<std::string>& out) {
  DIR* d = opendir(path.c_str());
  if (!d) return sys_fail("open {}", path);
  std::vector<std::string> dirs;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN))
      dirs.push_back(path + "/" + n);
  }
  closedir(d);
  for (const auto& p : dirs) {
    struct stat st;
    if (lstat(p.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    BERTH_TRY(nested_subvolumes(p, out));
    if (is_subvolume_root(st)) out.push_back(p);
  }
  return ok();
}

Status destroy_one(const std::string& dir, const std::string& name) {
  BERTH_ASSIGN(UniqueFd sub, open_dir(dir + "/" + name));
  // A read-only subvolume (a received or ro snapshot) must be made writable to be deleted.
  uint64_t flags = 0;
  if (ioctl(sub.get(), BTRFS_IOC_SUBVOL_GETFLAGS, &flags) == 0 && (flags & BTRFS_SUBVOL_RDONLY)) {
    flags &= ~uint64_t{BTRFS_SUBVOL_RDONLY};
    if (ioctl(sub.get(), BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0)
      return sys_fail("make subvolume {}/{} writable", dir, name);
  }
  sub.reset();
  BERTH_ASSIGN(UniqueFd parent, open_dir(dir));
  btrfs_ioctl_vol_args args{};
  std::memcpy(args.name, name.data(), name.size());
  if (ioctl(parent.get(), BTRFS_IOC_SNAP_DESTROY, &args) < 0)
    return sys_fail("delete subvolume {}/{}", dir, name);
  return ok();
}

}  // namespace

bool on_btrfs(const std::string& path) {
  struct statfs sf;
  return statfs(path.c_str(), &sf) == 0 &&
         sf.f_type == static_cast<decltype(sf.f_type)>(BTRFS_SUPER_MAGIC);
}

bool is_subvolume(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && is_subvolume_root(st) && on_btrfs(path);
}

Status create_subvolume(const std::string& dir, const std::string& name) {
  BERTH_TRY(check_name(name));
  BERTH_ASSIGN(UniqueFd parent, open_dir(dir));
  btrfs_ioctl_vol_args args{};
  std::memcpy(args.name, name.data(), name.size());
  if (ioctl(parent.get(), BTRFS_IOC_SUBVOL_CREATE, &args) < 0)
    return sys_fail("create subvolume {}/{}", dir, name);
  return ok();
}

Status snapshot_subvolume(const std::string& src, const std::string& dir, const std::string& name) {
  BERTH_TRY(check_name(name));
  BERTH_ASSIGN(UniqueFd source, open_dir(src));
  BERTH_ASSIGN(UniqueFd parent, open_dir(dir));
  btrfs_ioctl_vol_args_v2 args{};
  args.fd = source.get();
  std::memcpy(args.name, name.data(), name.size());
  if (ioctl(parent.get(), BTRFS_IOC_SNAP_CREATE_V2, &args) < 0)
    return sys_fail("snapshot {} to {}/{}", src, dir, name);
  return ok();
}

Status delete_subvolume(const std::string& dir, const std::string& name) {
  BERTH_TRY(check_name(name));
  std::vector<std::string> nested;
  BERTH_TRY(nested_subvolumes(dir + "/" + name, nested));
  for (const auto& p : nested) {
    auto slash = p.find_last_of('/');
    BERTH_TRY(destroy_one(p.substr(0, slash), p.substr(slash + 1)));
  }
  return destroy_one(dir, name);
}

}  // namespace berth::storage::btrfs

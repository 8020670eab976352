#include "storage/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <sstream>

#include "base/file.h"

namespace berth::storage {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        octal = octal && c >= '0' && c <= '7';
        v = v * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

bool is_mount_point(const std::string& path) {
  struct statx stx;
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0) return false;
  if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
    return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  // Kernels before 5.8: a mount root sits on another device than its parent.
  struct stat parent;
  if (stat((path + "/..").c_str(), &parent) < 0) return false;
  return makedev(stx.stx_dev_major, stx.stx_dev_minor) != parent.st_dev;
}

Status unmount(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return ok();
  if (errno == EINVAL || errno == ENOENT) return ok();  // not a mount point / gone
  return sys_fail("unmount {}", path);
}

Result<std::vector<std::string>> mounts_under(const std::string& prefix) {
  BERTH_ASSIGN(std::string text, read_file("/proc/self/mountinfo"));
  std::string base = clean_path(prefix);
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    if (!(fields >> id >> parent >> devno >> root >> point)) continue;
    point = unescape(point);
    if (point == base || point.starts_with(base + "/")) out.push_back(point);
  }
  return out;
}

}  // namespace berth::storage

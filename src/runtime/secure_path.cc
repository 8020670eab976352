#include "runtime/secure_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"
#include "base/strings.h"

namespace berth::runtime {

namespace {
int openat2_in_root(int rootfd, const std::string& rel, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, rootfd, rel.c_str(), &how, sizeof how));
}
}  // namespace

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

Result<UniqueFd> open_in_root(int rootfd, const std::string& path, Create create, int mode) {
  std::string rel = clean_path("/" + path).substr(1);
  if (rel.empty()) {
    int fd = openat2_in_root(rootfd, ".", O_PATH);
    if (fd < 0) return sys_fail("open rootfs");
    return UniqueFd(fd);
  }
  int fd = openat2_in_root(rootfd, rel, O_PATH);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT || create == Create::None) return sys_fail("open {} in rootfs", path);

  // Walk from the root, creating each missing component; each step re-resolves in root.
  auto parts = split(rel, '/');
  std::string prefix;
  UniqueFd parent(openat2_in_root(rootfd, ".", O_PATH | O_DIRECTORY));
  if (!parent) return sys_fail("open rootfs");
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    prefix += (prefix.empty() ? "" : "/") + parts[i];
    int next = openat2_in_root(rootfd, prefix, O_PATH);
    if (next < 0 && errno == ENOENT) {
      if (!last || create == Create::Dir) {
        if (mkdirat(parent.get(), parts[i].c_str(), static_cast<mode_t>(mode)) < 0 &&
            errno != EEXIST)
          return sys_fail("mkdir {} in rootfs", prefix);
      } else {
        // O_PATH parents can't be used for O_CREAT, so reopen the parent as a real dir.
        UniqueFd dir(openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) return sys_fail("open {} in rootfs", prefix);
        int f =
            openat(dir.get(), parts[i].c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (f < 0 && errno != EEXIST) return sys_fail("create {} in rootfs", prefix);
        if (f >= 0) close(f);
      }
      next = openat2_in_root(rootfd, prefix, O_PATH);
    }
    if (next < 0) return sys_fail("open {} in rootfs", prefix);
    parent.reset(next);
  }
  return parent;
}

}  // namespace berth::runtime

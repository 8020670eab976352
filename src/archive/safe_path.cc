#include "archive/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "base/file.h"

namespace berth::archive {

namespace {

Result<UniqueFd> openat2_rel(int rootfd, const std::string& rel, int flags, uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = resolve;
  const char* p = rel.empty() ? "." : rel.c_str();
  int fd = static_cast<int>(syscall(SYS_openat2, rootfd, p, &how, sizeof how));
  if (fd < 0) return sys_fail("open \"{}\"", rel);
  return UniqueFd(fd);
}

}  // namespace

Result<std::string> clean_entry_path(std::string_view name) {
  // Tar names are relative to the layer even with a leading '/'.
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  std::string out = clean_path(name);
  if (out == "..") return fail(ErrorKind::InvalidArgument, "path escapes the layer");
  if (out.starts_with("../")) return fail(ErrorKind::InvalidArgument, "path escapes the layer");
  return out == "." ? std::string() : out;
}

std::pair<std::string, std::string> split_parent(std::string_view rel) {
  auto slash = rel.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(rel)};
  return {std::string(rel.substr(0, slash)), std::string(rel.substr(slash + 1))};
}

std::string join_rel(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  std::string out(parent);
  out += '/';
  out += name;
  return out;
}

Result<UniqueFd> open_beneath(int rootfd, const std::string& rel, int flags) {
  return openat2_rel(rootfd, rel, flags,
                     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

Result<UniqueFd> open_in_root(int rootfd, const std::string& rel, int flags) {
  return openat2_rel(rootfd, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

std::string proc_path(int dirfd, std::string_view name) {
  std::string p = "/proc/self/fd/" + std::to_string(dirfd);
  if (!name.empty()) {
    p += '/';
    p += name;
  }
  return p;
}

Result<std::vector<std::string>> list_dir(int dirfd) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_fail("open directory");
  DIR* d = fdopendir(fd);
  if (!d) {
    ::close(fd);
    return sys_fail("open directory");
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* de = readdir(d)) {
    std::string_view n = de->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
    errno = 0;
  }
  int err = errno;
  closedir(d);
  if (err != 0) {
    errno = err;
    return sys_fail("read directory");
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status remove_tree_at(int dirfd, const std::string& name) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return ok();
    return sys_fail("stat \"{}\"", name);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd sub(openat(dirfd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return sys_fail("open \"{}\"", name);
    BERTH_ASSIGN(auto names, list_dir(sub.get()));
    for (const auto& n : names) {
      auto r = remove_tree_at(sub.get(), n);
      if (!r) return std::unexpected(std::move(r).error().context("{}", name));
    }
    if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
      return sys_fail("remove \"{}\"", name);
    return ok();
  }
  if (unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT)
    return sys_fail("remove \"{}\"", name);
  return ok();
}

bool path_less(std::string_view a, std::string_view b) {
  // '/' ranks below every other byte, so a directory's subtree sorts right after it.
  auto rank = [](char c) { return c == '/' ? 0 : static_cast<unsigned char>(c) + 1; };
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int ra = rank(a[i]);
    int rb = rank(b[i]);
    if (ra != rb) return ra < rb;
  }
  return a.size() < b.size();
}

}  // namespace berth::archive

#include "archive/xattrs.h"

#include <sys/xattr.h>

#include <algorithm>

#include "archive/safe_path.h"

namespace berth::archive {

namespace {

// lgetxattr & co. on "/proc/self/fd/N/name" act on name itself; on the bare magic link
// "/proc/self/fd/N" only the following variants reach the directory.
bool follow(std::string_view name) {
  return name.empty();
}

ssize_t list_attrs(const std::string& p, bool f, char* buf, size_t n) {
  return f ? listxattr(p.c_str(), buf, n) : llistxattr(p.c_str(), buf, n);
}

ssize_t get_attr(const std::string& p, bool f, const char* key, void* buf, size_t n) {
  return f ? getxattr(p.c_str(), key, buf, n) : lgetxattr(p.c_str(), key, buf, n);
}

}  // namespace

bool xattr_portable(std::string_view name) {
  return !name.starts_with("trusted.overlay.") && !name.starts_with("user.overlay.") &&
         name != "security.selinux";
}

Result<Xattrs> read_xattrs(int dirfd, std::string_view name) {
  std::string p = proc_path(dirfd, name);
  bool f = follow(name);
  std::string names;
  for (;;) {
    ssize_t n = list_attrs(p, f, nullptr, 0);
    if (n < 0) {
      if (errno == ENOTSUP) return Xattrs{};
      return sys_fail("list xattrs of \"{}\"", name);
    }
    if (n == 0) return Xattrs{};
    names.resize(static_cast<size_t>(n));
    n = list_attrs(p, f, names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<size_t>(n));
      break;
    }
    if (errno != ERANGE) return sys_fail("list xattrs of \"{}\"", name);
  }
  Xattrs out;
  for (size_t i = 0; i < names.size();) {
    std::string key(names.c_str() + i);
    i += key.size() + 1;
    if (key.empty() || !xattr_portable(key)) continue;
    std::string value;
    for (;;) {
      ssize_t n = get_attr(p, f, key.c_str(), nullptr, 0);
      if (n < 0) break;  // removed meanwhile
      value.resize(static_cast<size_t>(n));
      n = get_attr(p, f, key.c_str(), value.data(), value.size());
      if (n >= 0) {
        value.resize(static_cast<size_t>(n));
        out.emplace_back(std::move(key), std::move(value));
        break;
      }
      if (errno != ERANGE) return sys_fail("read xattr {} of \"{}\"", key, name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status set_xattr(int dirfd, std::string_view name, const std::string& key, std::string_view value) {
  if (!xattr_portable(key)) return ok();
  std::string p = proc_path(dirfd, name);
  int r = follow(name) ? setxattr(p.c_str(), key.c_str(), value.data(), value.size(), 0)
                       : lsetxattr(p.c_str(), key.c_str(), value.data(), value.size(), 0);
  if (r < 0 && errno != ENOTSUP && errno != EPERM)
    return sys_fail("set xattr {} on \"{}\"", key, name);
  return ok();
}

}  // namespace berth::archive

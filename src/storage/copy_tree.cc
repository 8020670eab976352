#include "storage/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <utility>
#include <vector>

#include "base/io.h"
#include "base/unique_fd.h"

namespace berth::storage {

namespace {

bool unsupported(int e) {
  return e == EOPNOTSUPP || e == ENOTSUP || e == EXDEV || e == EINVAL || e == ENOSYS || e == ENOTTY;
}

class Copier {
 public:
  Status copy_dir(const std::string& src, const std::string& dst);
  Status copy_attrs(const std::string& src, const std::string& dst, const struct stat& st);

 private:
  Status copy_entry(const std::string& src, const std::string& dst, const struct stat& st);
  Status copy_data(const std::string& src, const std::string& dst);
  Status copy_xattrs(const std::string& src, const std::string& dst, bool symlink);

  // First copy of each multiply-linked inode; later names become hardlinks to it.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  // FICLONE fails the same way for every file of a filesystem: stop asking after one no.
  bool try_reflink_ = true;
  bool try_copy_range_ = true;
};

Status Copier::copy_dir(const std::string& src, const std::string& dst) {
  DIR* d = opendir(src.c_str());
  if (!d) return sys_fail("open {}", src);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  closedir(d);  // bounded fd use on deep trees
  for (const auto& n : names) {
    std::string s = src + "/" + n;
    std::string t = dst + "/" + n;
    struct stat st;
    if (lstat(s.c_str(), &st) < 0) return sys_fail("stat {}", s);
    BERTH_TRY(copy_entry(s, t, st));
  }
  return ok();
}

Status Copier::copy_entry(const std::string& src, const std::string& dst, const struct stat& st) {
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (auto it = links_.find(key); it != links_.end()) {
      if (link(it->second.c_str(), dst.c_str()) < 0) return sys_fail("link {}", dst);
      return ok();
    }
    links_.emplace(key, dst);
  }
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
      if (mkdir(dst.c_str(), 0700) < 0) return sys_fail("mkdir {}", dst);
      BERTH_TRY(copy_dir(src, dst));
      break;
    case S_IFREG:
      BERTH_TRY(copy_data(src, dst));
      break;
    case S_IFLNK: {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlink(src.c_str(), target.data(), target.size());
      if (n < 0) return sys_fail("readlink {}", src);
      target.resize(static_cast<size_t>(n));
      if (symlink(target.c_str(), dst.c_str()) < 0) return sys_fail("symlink {}", dst);
      break;
    }
    default:  // devices, fifos, sockets
      if (mknod(dst.c_str(), st.st_mode, st.st_rdev) < 0) return sys_fail("mknod {}", dst);
      break;
  }
  return copy_attrs(src, dst, st);
}

Status Copier::copy_data(const std::string& src, const std::string& dst) {
  UniqueFd in(open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) return sys_fail("open {}", src);
  UniqueFd out(open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) return sys_fail("create {}", dst);
  if (try_reflink_) {
    if (ioctl(out.get(), FICLONE, in.get()) == 0) return ok();
    if (!unsupported(errno)) return sys_fail("clone {}", src);
    try_reflink_ = false;
  }
  bool started = false;
  while (try_copy_range_) {
    ssize_t n = copy_file_range(in.get(), nullptr, out.get(), nullptr, size_t{1} << 30, 0);
    if (n == 0) return ok();
    if (n > 0) {
      started = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (started || !unsupported(errno)) return sys_fail("copy {}", src);
    try_copy_range_ = false;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(in.get(), buf, sizeof buf);
    if (n == 0) return ok();
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_fail("read {}", src);
    }
    if (!write_all(out.get(), std::string_view(buf, static_cast<size_t>(n))))
      return sys_fail("write {}", dst);
  }
}

Status Copier::copy_xattrs(const std::string& src, const std::string& dst, bool symlink) {
  ssize_t len = llistxattr(src.c_str(), nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP || errno == EOPNOTSUPP) return ok();
    return sys_fail("list xattrs of {}", src);
  }
  if (len == 0) return ok();
  std::string names(static_cast<size_t>(len), '\0');
  len = llistxattr(src.c_str(), names.data(), names.size());
  if (len < 0) return sys_fail("list xattrs of {}", src);
  names.resize(static_cast<size_t>(len));
  for (size_t i = 0; i < names.size();) {
    std::string name = names.c_str() + i;
    i += name.size() + 1;
    ssize_t vlen = lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) {
      if (errno == ENODATA) continue;
      return sys_fail("get xattr {} of {}", name, src);
    }
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = lgetxattr(src.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) return sys_fail("get xattr {} of {}", name, src);
    value.resize(static_cast<size_t>(vlen));
    if (lsetxattr(dst.c_str(), name.c_str(), value.data(), value.size(), 0) < 0) {
      // The target filesystem may lack a namespace; symlinks can't carry user.* xattrs.
      if (errno == ENOTSUP || errno == EOPNOTSUPP || (symlink && errno == EPERM)) continue;
      return sys_fail("set xattr {} on {}", name, dst);
    }
  }
  return ok();
}

// Owner before mode (chown clears setuid) and before xattrs (it drops capabilities); times
// last, since every other change touches ctime and a dir's contents touch its mtime.
Status Copier::copy_attrs(const std::string& src, const std::string& dst, const struct stat& st) {
  bool symlink = S_ISLNK(st.st_mode);
  if (lchown(dst.c_str(), st.st_uid, st.st_gid) < 0) return sys_fail("chown {}", dst);
  if (!symlink && chmod(dst.c_str(), st.st_mode & 07777) < 0) return sys_fail("chmod {}", dst);
  BERTH_TRY(copy_xattrs(src, dst, symlink));
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(AT_FDCWD, dst.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
    return sys_fail("set times of {}", dst);
  return ok();
}

}  // namespace

Status copy_tree(const std::string& src, const std::string& dst) {
  struct stat st;
  if (lstat(src.c_str(), &st) < 0) return sys_fail("stat {}", src);
  if (!S_ISDIR(st.st_mode)) return fail(ErrorKind::InvalidArgument, "{} is not a directory", src);
  Copier c;
  if (auto s = c.copy_dir(src, dst); !s)
    return std::unexpected(std::move(s).error().context("copy {} to {}", src, dst));
  return c.copy_attrs(src, dst, st);
}

}  // namespace berth::storage

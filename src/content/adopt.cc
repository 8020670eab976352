// Store::adopt: a blob by hard link rather than by copy, for files the engine just wrote
// itself (the layers of a loaded archive), which saves writing every layer twice.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "content/layout.h"
#include "content/store.h"

namespace berth::content {

namespace {

Result<Digest> hash_fd(int fd, const std::string& path, std::string_view algorithm) {
  Hasher h(algorithm);
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_fail("read {}", path);
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  return h.finish();
}

}  // namespace

Result<Digest> Store::adopt(const std::string& path, const Digest& expected) const {
  BERTH_ASSIGN(Digest got, hash_file(path, expected));
  std::string_view alg = got.algorithm();
  // The name itself is linked below: it must be the file, not a symlink to one.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  std::string target = layout::blob_path(root_, got);
  if (path_exists(target)) return got;
  // As for a Writer: read-only, and the data on disk before the name is.
  if (::fchmod(fd.get(), 0444) < 0) return sys_fail("chmod {}", path);
  if (::fsync(fd.get()) < 0) return sys_fail("fsync {}", path);
  if (::link(path.c_str(), target.c_str()) < 0) {
    if (errno == EEXIST) return got;  // stored meanwhile by someone else
    if (errno != EXDEV) return sys_fail("link {} to {}", path, target);
    // Another filesystem: copy through a writer (which verifies and fsyncs on its own).
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) return sys_fail("seek {}", path);
    BERTH_ASSIGN(Writer w, writer(alg));
    std::string buf(1 << 20, '\0');
    for (;;) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_fail("read {}", path);
      if (n == 0) break;
      BERTH_TRY(w.write(buf.data(), static_cast<size_t>(n)));
    }
    return w.commit(got);
  }
  BERTH_TRY(layout::fsync_dir(layout::blob_dir(root_, alg)));
  return got;
}

Result<Digest> Store::hash_file(const std::string& path, const Digest& expected) const {
  std::string_view alg = expected.empty() ? "sha256" : expected.algorithm();
  if (!Digest::supported(alg))
    return fail(ErrorKind::InvalidArgument, "unsupported digest algorithm \"{}\"", alg);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return sys_fail("stat {}", path);
  if (!S_ISREG(st.st_mode)) return fail(ErrorKind::InvalidArgument, "{}: not a regular file", path);
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  BERTH_ASSIGN(Digest got, hash_fd(fd.get(), path, alg));
  if (!expected.empty() && got != expected)
    return fail(ErrorKind::InvalidArgument, "digest mismatch: expected {}, got {}", expected.str(),
                got.str());
  return got;
}

Status Store::publish_synced(const std::string& path, const Digest& d) const {
  std::string target = layout::blob_path(root_, d);
  if (path_exists(target)) return ok();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  if (::fchmod(fd.get(), 0444) < 0) return sys_fail("chmod {}", path);
  if (::syncfs(fd.get()) < 0) return sys_fail("syncfs {}", path);
  if (::link(path.c_str(), target.c_str()) < 0) {
    if (errno == EEXIST) return ok();
    if (errno != EXDEV) return sys_fail("link {} to {}", path, target);
    BERTH_TRY(adopt(path, d));  // another filesystem: copied (and fsynced) by a writer
    return ok();
  }
  return layout::fsync_dir(layout::blob_dir(root_, d.algorithm()));
}

}  // namespace berth::content

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "base/file.h"
#include "content/layout.h"
#include "content/store.h"

namespace berth::content {

Writer::Writer(std::string root, UniqueFd lock, UniqueFd fd, std::string tmp,
               std::string_view algorithm)
    : root_(std::move(root)),
      lock_(std::move(lock)),
      fd_(std::move(fd)),
      tmp_(std::move(tmp)),
      hasher_(algorithm) {}

Writer::Writer(Writer&& o) noexcept
    : root_(std::move(o.root_)),
      lock_(std::move(o.lock_)),
      fd_(std::move(o.fd_)),
      tmp_(std::exchange(o.tmp_, {})),
      hasher_(std::move(o.hasher_)),
      size_(o.size_),
      committed_(o.committed_) {}

Writer::~Writer() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

uint64_t Writer::size() const {
  return size_;
}

Status Writer::write(const void* data, size_t n) {
  if (committed_ || !fd_) return fail(ErrorKind::Internal, "write to a finished blob writer");
  hasher_.update(data, n);
  const char* p = static_cast<const char*>(data);
  size_t left = n;
  while (left > 0) {
    ssize_t w = ::write(fd_.get(), p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      return sys_fail("write {}", tmp_);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  size_ += n;
  return ok();
}

Result<Digest> Writer::commit(const Digest& expected, int64_t expected_size) {
  if (committed_ || !fd_) return fail(ErrorKind::Internal, "blob writer already committed");
  committed_ = true;
  // Whatever happens below, the temp file must not outlive this call unless it was renamed.
  Defer drop([this] {
    fd_.reset();
    if (!tmp_.empty()) ::unlink(std::exchange(tmp_, {}).c_str());
    lock_.reset();
  });
  Digest got = hasher_.finish();
  if (expected_size >= 0 && size_ != static_cast<uint64_t>(expected_size)) {
    return fail(ErrorKind::InvalidArgument, "size mismatch: expected {}, got {}", expected_size,
                size_);
  }
  if (!expected.empty() && got != expected) {
    return fail(ErrorKind::InvalidArgument, "digest mismatch: expected {}, got {}", expected.str(),
                got.str());
  }
  // Blobs are immutable; read-only mode guards against tools writing into them in place.
  if (::fchmod(fd_.get(), 0444) < 0) return sys_fail("chmod {}", tmp_);
  // Data must be on disk before the name is, or a crash could publish a short blob.
  if (::fsync(fd_.get()) < 0) return sys_fail("fsync {}", tmp_);
  fd_.reset();
  std::string target = layout::blob_path(root_, got);
  if (path_exists(target)) return got;  // same content already there; drop our copy
  if (::rename(tmp_.c_str(), target.c_str()) < 0) return sys_fail("rename {} to {}", tmp_, target);
  tmp_.clear();
  BERTH_TRY(layout::fsync_dir(layout::blob_dir(root_, got.algorithm())));
  return got;
}

}  // namespace berth::content

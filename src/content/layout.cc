#include "content/layout.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/file.h"
#include "base/unique_fd.h"

namespace berth::content::layout {

std::string blob_dir(const std::string& root, std::string_view algorithm) {
  return path_join(path_join(root, "blobs"), algorithm);
}

std::string blob_path(const std::string& root, const Digest& d) {
  return path_join(blob_dir(root, d.algorithm()), d.hex());
}

std::string ingest_dir(const std::string& root) {
  return path_join(root, "ingest");
}

std::string ingest_lock(const std::string& root) {
  return path_join(root, "ingest.lock");
}

Status fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", dir);
  if (::fsync(fd.get()) < 0) return sys_fail("fsync {}", dir);
  return ok();
}

}  // namespace berth::content::layout

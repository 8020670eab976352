#include "archive/apply.h"

#include <fcntl.h>
#include <unistd.h>

#include "archive/decompress.h"
#include "archive/extractor.h"
#include "archive/tar_reader.h"

namespace berth::archive {

Result<ApplyResult> apply_layer(int fd, const std::string& dir, const ApplyOptions& opts) {
  // O_RDONLY rather than O_PATH: the root itself may get chown/chmod/xattrs from a "./" entry.
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return sys_fail("open {}", dir);
  Decompressor src(fd);
  BERTH_ASSIGN(auto reader, TarReader::open(src));
  Extractor ex(root.get(), opts);
  for (;;) {
    BERTH_ASSIGN(archive_entry * e, reader->next());
    if (!e) break;
    BERTH_TRY(ex.apply(*reader, e));
  }
  BERTH_TRY(ex.finish());
  // What follows the end-of-archive blocks is part of the diff_id too (as for Docker).
  if (auto r = src.drain(); !r)
    return std::unexpected(std::move(r).error().context("reading layer"));
  ApplyResult res;
  res.diff_id = src.digest();
  res.size = ex.bytes_written();
  return res;
}

Status sync_tree(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", dir);
  if (syncfs(fd.get()) < 0) return sys_fail("syncfs {}", dir);
  return ok();
}

}  // namespace berth::archive

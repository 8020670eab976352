// Creating each kind of entry and restoring its metadata (part of Extractor).
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "archive/extractor.h"
#include "archive/safe_path.h"

namespace berth::archive {

namespace {

Status pwrite_all(int fd, const void* data, size_t n, int64_t off) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return sys_fail("write");
    }
    p += w;
    n -= static_cast<size_t>(w);
    off += w;
  }
  return ok();
}

}  // namespace

Status Extractor::set_meta_fd(int fd, const EntryMeta& m) {
  if (fchown(fd, m.uid, m.gid) < 0) return sys_fail("chown");
  // After chown, which drops security.capability; before chmod, so setuid bits survive.
  for (const auto& [k, v] : m.xattrs) BERTH_TRY(set_xattr(fd, "", k, v));
  if (fchmod(fd, m.perm) < 0) return sys_fail("chmod");
  return ok();
}

Status Extractor::set_meta_at(int pfd, const std::string& base, const EntryMeta& m, bool chmod) {
  if (fchownat(pfd, base.c_str(), m.uid, m.gid, AT_SYMLINK_NOFOLLOW) < 0) return sys_fail("chown");
  for (const auto& [k, v] : m.xattrs) BERTH_TRY(set_xattr(pfd, base, k, v));
  // The node was just created by us (a device or fifo, never a symlink), so plain
  // fchmodat, which would follow a symlink, reaches that node.
  if (chmod && fchmodat(pfd, base.c_str(), m.perm, 0) < 0) return sys_fail("chmod");
  timespec ts[2] = {m.atime, m.mtime};
  if (utimensat(pfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) return sys_fail("set times");
  return ok();
}

Status Extractor::make_file(TarReader& reader, int pfd, const std::string& rel,
                            const std::string& base, const EntryMeta& m) {
  BERTH_TRY(make_room(pfd, rel, base, false));
  UniqueFd f(openat(pfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!f) return sys_fail("create");
  int64_t end = 0;
  for (;;) {
    BERTH_ASSIGN(auto block, reader.read_block());
    if (!block) break;
    written_ += block->size;
    if (opts_.max_total_size != 0 && written_ > opts_.max_total_size)
      return fail(ErrorKind::InvalidArgument, "layer exceeds the limit of {} bytes of file data",
                  opts_.max_total_size);
    if (block->offset + static_cast<int64_t>(block->size) > m.size)
      return fail(ErrorKind::InvalidArgument, "data beyond the entry size");
    BERTH_TRY(pwrite_all(f.get(), block->data, block->size, block->offset));
    end = std::max(end, block->offset + static_cast<int64_t>(block->size));
  }
  // A sparse file's trailing hole.
  if (end < m.size && ftruncate(f.get(), m.size) < 0) return sys_fail("truncate");
  BERTH_TRY(set_meta_fd(f.get(), m));
  timespec ts[2] = {m.atime, m.mtime};
  if (futimens(f.get(), ts) < 0) return sys_fail("set times");
  return ok();
}

Status Extractor::make_dir(int pfd, const std::string& rel, const std::string& base,
                           const EntryMeta& m) {
  BERTH_ASSIGN(bool kept, make_room(pfd, rel, base, true));
  if (!kept && mkdirat(pfd, base.c_str(), 0700) < 0) return sys_fail("mkdir");
  UniqueFd d(openat(pfd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!d) return sys_fail("open");
  BERTH_TRY(set_meta_fd(d.get(), m));
  dir_times_.push_back({rel, {m.atime, m.mtime}});
  return ok();
}

Status Extractor::restore_root(const EntryMeta& m) {
  BERTH_TRY(set_meta_fd(root_, m));
  dir_times_.push_back({"", {m.atime, m.mtime}});
  return ok();
}

Status Extractor::make_symlink(int pfd, const std::string& rel, const std::string& base,
                               const char* target, const EntryMeta& m) {
  // The target is only data here: nothing is ever resolved through it.
  if (!target || !*target) return fail(ErrorKind::InvalidArgument, "symlink without a target");
  BERTH_TRY(make_room(pfd, rel, base, false));
  if (symlinkat(target, pfd, base.c_str()) < 0) return sys_fail("symlink");
  planted_.insert(rel);
  return set_meta_at(pfd, base, m, false);
}

Status Extractor::make_node(int pfd, const std::string& rel, const std::string& base, mode_t type,
                            const EntryMeta& m) {
  BERTH_TRY(make_room(pfd, rel, base, false));
  dev_t dev = type == AE_IFIFO ? 0 : m.rdev;
  if (mknodat(pfd, base.c_str(), type | 0600, dev) < 0) return sys_fail("mknod");
  return set_meta_at(pfd, base, m, true);
}

Status Extractor::make_hardlink(int pfd, const std::string& rel, const std::string& base,
                                const char* target) {
  std::string raw = target ? target : "";
  // An absolute target names a path inside the layer (Docker joins it to the root).
  auto t = clean_entry_path(raw);
  if (!t) return fail(ErrorKind::InvalidArgument, "hardlink target \"{}\" escapes the layer", raw);
  if (t->empty()) return fail(ErrorKind::InvalidArgument, "hardlink to the layer root");
  if (*t == rel) return ok();  // a link to itself
  auto [tparent, tbase] = split_parent(*t);
  auto tpfd = resolve_dir(tparent, false);
  if (!tpfd && tpfd.error().kind() == ErrorKind::NotFound)
    return fail(ErrorKind::InvalidArgument, "hardlink target \"{}\" not found in the layer", raw);
  if (!tpfd) return std::unexpected(std::move(tpfd).error().context("hardlink target \"{}\"", raw));
  struct stat ts;
  if (fstatat(tpfd->get(), tbase.c_str(), &ts, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return fail(ErrorKind::InvalidArgument, "hardlink target \"{}\" not found in the layer", raw);
    return sys_fail("stat hardlink target \"{}\"", raw);
  }
  if (S_ISDIR(ts.st_mode))
    return fail(ErrorKind::InvalidArgument, "hardlink target \"{}\" is a directory", raw);
  struct stat cur;
  if (fstatat(pfd, base.c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_ino == ts.st_ino &&
      cur.st_dev == ts.st_dev)
    return ok();  // already that file
  BERTH_TRY(make_room(pfd, rel, base, false));
  // Flags 0: a symlink target is linked itself, never followed.
  if (linkat(tpfd->get(), tbase.c_str(), pfd, base.c_str(), 0) < 0)
    return sys_fail("link to \"{}\"", raw);
  return ok();
}

}  // namespace berth::archive

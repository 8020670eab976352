#include "archive/extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "archive/safe_path.h"

namespace berth::archive {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kAufsMetaPrefix = ".wh..wh.";

Result<EntryMeta> meta_of(archive_entry* e) {
  EntryMeta m;
  m.perm = archive_entry_perm(e) & 07777;
  la_int64_t uid = archive_entry_uid(e);
  la_int64_t gid = archive_entry_gid(e);
  // (uid_t)-1 would mean "leave unchanged" to chown.
  if (uid < 0 || uid >= 0xffffffffLL || gid < 0 || gid >= 0xffffffffLL)
    return fail(ErrorKind::InvalidArgument, "owner {}:{} out of range", uid, gid);
  m.uid = static_cast<uid_t>(uid);
  m.gid = static_cast<gid_t>(gid);
  m.mtime = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  // Docker: an access time before the mtime (or none) becomes the mtime.
  m.atime = m.mtime;
  if (archive_entry_atime_is_set(e) && archive_entry_atime(e) > m.mtime.tv_sec)
    m.atime = {archive_entry_atime(e), archive_entry_atime_nsec(e)};
  m.rdev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
  m.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
  if (m.size < 0) return fail(ErrorKind::InvalidArgument, "negative size");
  archive_entry_xattr_reset(e);
  const char* key;
  const void* value;
  size_t len;
  while (archive_entry_xattr_next(e, &key, &value, &len) == ARCHIVE_OK) {
    if (key && *key) m.xattrs.emplace_back(key, std::string(static_cast<const char*>(value), len));
  }
  return m;
}

}  // namespace

Status Extractor::apply(TarReader& reader, archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  std::string name = raw ? raw : "";
  auto r = apply_entry(reader, e, name);
  if (!r) return std::unexpected(std::move(r).error().context("layer entry \"{}\"", name));
  return ok();
}

Status Extractor::apply_entry(TarReader& reader, archive_entry* e, const std::string& name) {
  if (name.empty()) return fail(ErrorKind::InvalidArgument, "entry without a name");
  BERTH_ASSIGN(std::string rel, clean_entry_path(name));
  // Docker skips aufs bookkeeping (".wh..wh.plnk", ".wh..wh.aufs") at the top level.
  if (rel.starts_with(kAufsMetaPrefix)) return ok();
  BERTH_ASSIGN(EntryMeta m, meta_of(e));
  auto [parent, base] = split_parent(rel);
  if (base.starts_with(kWhiteoutPrefix)) return whiteout(parent, base, m);
  if (static_cast<uint64_t>(m.size) > opts_.max_entry_size)
    return fail(ErrorKind::InvalidArgument, "size {} exceeds the limit of {} bytes", m.size,
                opts_.max_entry_size);

  mode_t type = archive_entry_filetype(e);
  const char* link = archive_entry_hardlink(e);
  if (rel.empty()) {
    if (link || type != AE_IFDIR)
      return fail(ErrorKind::InvalidArgument, "the layer root can only be a directory");
    return restore_root(m);
  }
  BERTH_ASSIGN(int pfd, parent_fd(parent, true));
  if (link) {
    BERTH_TRY(make_hardlink(pfd, rel, base, link));
  } else {
    switch (type) {
      case AE_IFREG:
        BERTH_TRY(make_file(reader, pfd, rel, base, m));
        break;
      case AE_IFDIR:
        BERTH_TRY(make_dir(pfd, rel, base, m));
        break;
      case AE_IFLNK:
        BERTH_TRY(make_symlink(pfd, rel, base, archive_entry_symlink(e), m));
        break;
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        BERTH_TRY(make_node(pfd, rel, base, type, m));
        break;
      default:
        return fail(ErrorKind::InvalidArgument, "unsupported entry type {:o}", type);
    }
  }
  if (type != AE_IFLNK || link) planted_.erase(rel);
  mark_unpacked(rel);
  return ok();
}

void Extractor::mark_unpacked(const std::string& rel) {
  if (opts_.whiteouts != Whiteouts::Delete) return;
  std::string p = rel;
  // Parents too: a directory created implicitly for an entry is this layer's as well.
  while (!p.empty() && unpacked_.insert(p).second) p = split_parent(p).first;
}

Result<int> Extractor::parent_fd(const std::string& rel, bool create) {
  if (rel.empty()) return root_;
  if (cache_fd_ && cache_path_ == rel) return cache_fd_.get();
  BERTH_ASSIGN(UniqueFd fd, resolve_dir(rel, create));
  cache_path_ = rel;
  cache_fd_ = std::move(fd);
  return cache_fd_.get();
}

void Extractor::invalidate(const std::string& rel) {
  if (!cache_fd_) return;
  if (cache_path_ == rel || rel.empty() ||
      (cache_path_.starts_with(rel) && cache_path_[rel.size()] == '/')) {
    cache_fd_.reset();
    cache_path_.clear();
  }
}

Result<UniqueFd> Extractor::resolve_dir(const std::string& rel, bool create) {
  // Fast path: the directory exists and nothing on the way is a symlink.
  auto direct = open_beneath(root_, rel, O_PATH | O_DIRECTORY);
  if (direct) return direct;
  // One component at a time, creating what is missing (0755, like Docker's MkdirAll).
  UniqueFd cur(fcntl(root_, F_DUPFD_CLOEXEC, 0));
  if (!cur) return sys_fail("dup");
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    std::string comp = rel.substr(pos, slash - pos);
    std::string prefix = rel.substr(0, slash);
    constexpr int kFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(cur.get(), comp.c_str(), kFlags);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(cur.get(), comp.c_str(), 0755) < 0 && errno != EEXIST)
        return sys_fail("mkdir \"{}\"", prefix);
      fd = openat(cur.get(), comp.c_str(), kFlags);
    }
    if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
      struct stat st;
      if (fstatat(cur.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
        return fail(ErrorKind::InvalidArgument, "parent \"{}\" is not a directory", prefix);
      // Never through a symlink of this tar (the classic "l -> /etc", then "l/passwd"). In
      // an overlay upper everything is this layer's. A full copy may hold lower layers'
      // symlinks (bin -> usr/bin): those resolve as in a chroot, as Docker does.
      if (opts_.whiteouts == Whiteouts::Overlay || planted_.contains(prefix))
        return fail(ErrorKind::InvalidArgument, "parent \"{}\" is a symlink", prefix);
      BERTH_ASSIGN(UniqueFd in_root, open_in_root(root_, prefix, O_PATH | O_DIRECTORY));
      fd = in_root.release();
    }
    if (fd < 0) return sys_fail("open \"{}\"", prefix);
    cur.reset(fd);
    pos = slash + 1;
  }
  return cur;
}

Result<bool> Extractor::make_room(int pfd, const std::string& rel, const std::string& base,
                                  bool dir) {
  struct stat st;
  if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return false;
    return sys_fail("stat");
  }
  if (dir && S_ISDIR(st.st_mode)) return true;
  if (S_ISDIR(st.st_mode)) {
    BERTH_TRY(remove_tree_at(pfd, base));
    invalidate(rel);
  } else if (unlinkat(pfd, base.c_str(), 0) < 0) {
    return sys_fail("remove existing entry");
  }
  return false;
}

Status Extractor::finish() {
  for (const auto& d : dir_times_) {
    if (d.rel.empty()) {
      if (futimens(root_, d.times) < 0) return sys_fail("set times of the layer root");
      continue;
    }
    auto [parent, base] = split_parent(d.rel);
    // A later entry may have replaced or removed the directory: then there is nothing to do.
    auto pfd = parent_fd(parent, false);
    if (!pfd) continue;
    if (utimensat(*pfd, base.c_str(), d.times, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
      return sys_fail("set times of \"{}\"", d.rel);
  }
  return ok();
}

}  // namespace berth::archive

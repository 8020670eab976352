#include "archive/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>

#include "archive/safe_path.h"
#include "archive/xattrs.h"

namespace berth::archive {

namespace {

constexpr size_t kFlushAt = 1 << 20;
constexpr size_t kReadSize = 256 * 1024;

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

}  // namespace

Result<std::unique_ptr<TarWriter>> TarWriter::open(int out_fd) {
  std::unique_ptr<TarWriter> w(new TarWriter(out_fd));
  w->a_ = archive_write_new();
  if (!w->a_) return fail(ErrorKind::Internal, "cannot allocate a tar writer");
  // pax_restricted: plain ustar headers unless a field needs an extension (long names,
  // xattrs), as Docker's tars look.
  if (archive_write_set_format_pax_restricted(w->a_) != ARCHIVE_OK)
    return std::unexpected(w->error("set tar format"));
  // SCHILY.xattr.* only (what Docker and Go read), not libarchive's duplicate records.
  archive_write_set_format_option(w->a_, "pax", "xattrheader", "SCHILY");
  archive_write_add_filter_none(w->a_);
  // We buffer ourselves; no padding after the end-of-archive blocks.
  archive_write_set_bytes_per_block(w->a_, 10240);
  archive_write_set_bytes_in_last_block(w->a_, 1);
  if (archive_write_open(w->a_, w.get(), nullptr, &TarWriter::write_cb, nullptr) != ARCHIVE_OK)
    return std::unexpected(w->error("open tar writer"));
  return w;
}

TarWriter::~TarWriter() {
  if (a_) archive_write_free(a_);
}

Error TarWriter::error(std::string_view what) const {
  if (write_error_) return *write_error_;
  const char* msg = archive_error_string(a_);
  return Error(ErrorKind::Internal, fmt::format("{}: {}", what, msg ? msg : "tar writer failed"));
}

ssize_t TarWriter::write_cb(struct archive* a, void* ctx, const void* buf, size_t n) {
  auto* self = static_cast<TarWriter*>(ctx);
  const char* p = static_cast<const char*>(buf);
  self->hasher_.update(p, n);
  self->size_ += n;
  self->buf_.insert(self->buf_.end(), p, p + n);
  if (self->buf_.size() >= kFlushAt) {
    auto r = self->flush();
    if (!r) {
      archive_set_error(a, EIO, "%s", r.error().message().c_str());
      self->write_error_ = std::move(r).error();
      return -1;
    }
  }
  return static_cast<ssize_t>(n);
}

Status TarWriter::flush() {
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t w = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return sys_fail("write tar");
    }
    off += static_cast<size_t>(w);
  }
  buf_.clear();
  return ok();
}

Status TarWriter::add(int rootfd, const std::string& rel) {
  auto [parent, base] = split_parent(rel);
  BERTH_ASSIGN(UniqueFd pfd, open_beneath(rootfd, parent, O_PATH | O_DIRECTORY));
  return add_at(pfd.get(), base, rel);
}

Status TarWriter::add_at(int pfd, const std::string& base, const std::string& rel) {
  struct stat st;
  if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return sys_fail("stat \"{}\"", rel);
  if (S_ISSOCK(st.st_mode)) return ok();  // meaningless outside the running container
  EntryPtr e(archive_entry_new());
  archive_entry_set_pathname(e.get(), rel.c_str());
  archive_entry_set_mode(e.get(), st.st_mode);
  archive_entry_set_uid(e.get(), st.st_uid);
  archive_entry_set_gid(e.get(), st.st_gid);
  archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);  // whole seconds, as Docker writes
  UniqueFd file;
  if (S_ISREG(st.st_mode)) {
    if (st.st_nlink > 1) {
      auto [it, fresh] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!fresh) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        if (archive_write_header(a_, e.get()) < ARCHIVE_WARN)
          return std::unexpected(error(fmt::format("write \"{}\"", rel)));
        return ok();
      }
    }
    file.reset(openat(pfd, base.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!file) return sys_fail("open \"{}\"", rel);
    archive_entry_set_size(e.get(), st.st_size);
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(PATH_MAX + 1, '\0');
    ssize_t n = readlinkat(pfd, base.c_str(), target.data(), target.size());
    if (n < 0) return sys_fail("readlink \"{}\"", rel);
    target.resize(static_cast<size_t>(n));
    archive_entry_set_symlink(e.get(), target.c_str());
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
    archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
  }
  BERTH_ASSIGN(Xattrs xattrs, read_xattrs(pfd, base));
  for (const auto& [k, v] : xattrs)
    archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
  if (archive_write_header(a_, e.get()) < ARCHIVE_WARN)
    return std::unexpected(error(fmt::format("write \"{}\"", rel)));
  if (file) {
    // Exactly st_size bytes: a file that grows meanwhile is cut, one that shrinks is padded
    // with zeros by libarchive, so the header stays true.
    std::vector<char> buf(kReadSize);
    int64_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(file.get(), buf.data(), std::min<int64_t>(left, buf.size()));
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_fail("read \"{}\"", rel);
      }
      if (n == 0) break;
      if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) < 0)
        return std::unexpected(error(fmt::format("write \"{}\"", rel)));
      left -= n;
    }
  }
  if (archive_write_finish_entry(a_) < ARCHIVE_WARN)
    return std::unexpected(error(fmt::format("write \"{}\"", rel)));
  return ok();
}

Status TarWriter::add_whiteout(const std::string& parent, const std::string& name) {
  EntryPtr e(archive_entry_new());
  std::string path = join_rel(parent, ".wh." + name);
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_set_mode(e.get(), AE_IFREG);  // mode 0, epoch mtime: fixed, unlike Docker's now
  archive_entry_set_size(e.get(), 0);
  archive_entry_set_mtime(e.get(), 0, 0);
  if (archive_write_header(a_, e.get()) < ARCHIVE_WARN)
    return std::unexpected(error(fmt::format("write \"{}\"", path)));
  return ok();
}

Result<TarResult> TarWriter::finish() {
  if (archive_write_close(a_) != ARCHIVE_OK) return std::unexpected(error("finish tar"));
  BERTH_TRY(flush());
  TarResult r;
  r.diff_id = hasher_.finish();
  r.size = size_;
  return r;
}

}  // namespace berth::archive

#include "archive/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

namespace berth::archive {

ssize_t TarReader::read_cb(struct archive* a, void* ctx, const void** buf) {
  auto* self = static_cast<TarReader*>(ctx);
  auto chunk = self->src_.read();
  if (!chunk) {
    archive_set_error(a, EIO, "%s", chunk.error().message().c_str());
    self->src_error_ = std::move(chunk).error();
    return -1;
  }
  *buf = chunk->data();
  return static_cast<ssize_t>(chunk->size());
}

Result<std::unique_ptr<TarReader>> TarReader::open(Decompressor& src) {
  std::unique_ptr<TarReader> r(new TarReader(src));
  r->a_ = archive_read_new();
  if (!r->a_) return fail(ErrorKind::Internal, "cannot allocate a tar reader");
  // Decompression is ours (to hash the plain stream): libarchive sees an uncompressed tar.
  archive_read_support_filter_none(r->a_);
  archive_read_support_format_tar(r->a_);  // ustar, pax, gnu, v7
  archive_read_support_format_empty(r->a_);
  if (archive_read_open(r->a_, r.get(), nullptr, &TarReader::read_cb, nullptr) != ARCHIVE_OK)
    return std::unexpected(r->error().context("reading layer"));
  return r;
}

TarReader::~TarReader() {
  if (a_) archive_read_free(a_);
}

Error TarReader::error() const {
  if (src_error_) return *src_error_;
  const char* msg = archive_error_string(a_);
  std::string m = msg ? msg : "malformed tar stream";
  // libarchive says "Truncated tar archive" & co.; name it the way Docker users know it.
  if (m.find("runcated") != std::string::npos) m = "unexpected EOF (" + m + ")";
  return Error(ErrorKind::InvalidArgument, m);
}

Result<archive_entry*> TarReader::next() {
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a_, &e);
  if (r == ARCHIVE_EOF) return nullptr;
  // WARN: e.g. a name not convertible to the locale; the raw name is still there.
  if (r == ARCHIVE_OK || r == ARCHIVE_WARN) return e;
  // RETRY (a bad header checksum) is corruption for us, not something to skip over.
  return std::unexpected(error().context("reading layer"));
}

Result<std::optional<TarReader::Block>> TarReader::read_block() {
  const void* buf = nullptr;
  size_t len = 0;
  la_int64_t off = 0;
  int r = archive_read_data_block(a_, &buf, &len, &off);
  if (r == ARCHIVE_EOF) return std::nullopt;
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return std::unexpected(error());
  if (off < 0) return fail(ErrorKind::InvalidArgument, "negative data offset");
  return Block{buf, len, off};
}

}  // namespace berth::archive

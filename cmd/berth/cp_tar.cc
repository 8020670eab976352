// berth-cp.so: the tar side of `berth cp` (see cp_tar.h), on libarchive and the archive layer.
#include "cp_tar.h"

#include <archive.h>
#include <archive_entry.h>

#include "archive/apply.h"
#include "archive/changes.h"

namespace berth::cli {

namespace {

Status extract(int in, const std::string& dest) {
  BERTH_TRY(archive::apply_layer(in, dest, {}));
  return ok();
}

Status write_entry(int out, int parent_fd, const std::string& name) {
  BERTH_TRY(archive::write_entry_tar(out, parent_fd, name));
  return ok();
}

// What a copy to a new name in the container needs: the rest of each path is kept.
Status rebase(int in, int out, const std::string& root) {
  struct archive* r = archive_read_new();
  struct archive* w = archive_write_new();
  archive_read_support_format_tar(r);
  archive_write_set_format_pax_restricted(w);
  auto done = [&] {
    archive_read_free(r);
    archive_write_free(w);
  };
  if (archive_read_open_fd(r, in, 65536) != ARCHIVE_OK ||
      archive_write_open_fd(w, out) != ARCHIVE_OK) {
    Status st = fail(ErrorKind::Internal, "tar: {}", archive_error_string(r));
    done();
    return st;
  }
  struct archive_entry* e;
  std::string first;
  while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e);
    std::string head = name.substr(0, name.find('/'));
    if (first.empty()) first = head;
    if (head == first) archive_entry_set_pathname(e, (root + name.substr(head.size())).c_str());
    if (archive_write_header(w, e) != ARCHIVE_OK) break;
    const void* buf;
    size_t size;
    la_int64_t offset;
    while (archive_read_data_block(r, &buf, &size, &offset) == ARCHIVE_OK)
      archive_write_data(w, buf, size);
  }
  done();
  return ok();
}

}  // namespace

}  // namespace berth::cli

extern "C" const berth::cli::CpTar berth_cp_tar = {berth::cli::extract, berth::cli::write_entry,
                                                   berth::cli::rebase};

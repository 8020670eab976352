// `docker commit`: a container's RW layer as a new image on top of the container's image.
#include <fcntl.h>
#include <unistd.h>

#include "base/file.h"
#include "image/config_changes.h"
#include "image/media_types.h"
#include "image/store.h"

namespace berth::image {

namespace {

// Streams an open file from its start into the content store.
Result<content::Digest> ingest_fd(content::Store& blobs, int fd) {
  if (lseek(fd, 0, SEEK_SET) < 0) return sys_fail("rewind layer tar");
  BERTH_ASSIGN(content::Writer w, blobs.writer());
  char buf[1 << 17];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_fail("read layer tar");
    if (n == 0) break;
    BERTH_TRY(w.write(buf, static_cast<size_t>(n)));
  }
  return w.commit();
}

}  // namespace

Result<std::string> Store::commit(const CommitOptions& opts) {
  BERTH_ASSIGN(auto rec, md_->container_layer(opts.container_id));
  if (!rec) return fail(ErrorKind::NotFound, "No such container layer: {}", opts.container_id);
  BERTH_ASSIGN(Image parent, get(rec->image_id));
  // Reject a bad reference before doing the work.
  if (!opts.reference.empty()) {
    BERTH_ASSIGN(Reference ref, parse_reference(opts.reference));
    if (!ref.digest.empty())
      return fail(ErrorKind::InvalidArgument, "refusing to create a tag with a digest reference");
  }
  nlohmann::json config = opts.config.is_object() ? opts.config : parent.config.container_config();
  for (const auto& c : opts.changes) BERTH_TRY(apply_change(config, c));

  // The driver's diff carries deletions as whiteouts, so removals, renames and mode changes
  // all survive into the image.
  std::string tmp = root_ + "/tmp";
  BERTH_TRY(mkdir_all(tmp, 0700));
  tmp += "/commit-XXXXXX";
  UniqueFd fd(mkstemp(tmp.data()));
  if (!fd) return sys_fail("mkstemp");
  Defer rm([&] { unlink(tmp.c_str()); });
  auto tar = driver_->diff(opts.container_id, fd.get());
  if (!tar) return std::unexpected(std::move(tar).error().context("commit {}", opts.container_id));
  BERTH_ASSIGN(content::Digest blob, ingest_fd(*blobs_, fd.get()));

  BERTH_ASSIGN(std::string id, create_image(parent.record.id, blob, std::string(media::kOciLayer),
                                            config, opts.created_by, opts.message, opts.author));
  if (!opts.reference.empty()) BERTH_TRY(tag(id, opts.reference));
  return id;
}

}  // namespace berth::image

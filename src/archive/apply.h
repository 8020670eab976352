// Applying a layer tar (gzip, zstd or plain) to a directory, safely: nothing is ever written
// outside the target, whatever the tar says.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "content/digest.h"

namespace berth::archive {

// How whiteouts (".wh.<name>" and ".wh..wh..opq") become the driver's own form.
enum class Whiteouts {
  // overlayfs: a 0:0 character device for a deleted entry, xattr trusted.overlay.opaque=y on
  // an opaque dir. The target is an empty upper dir.
  Overlay,
  // Full copies (vfs, btrfs snapshots): delete the named entry / the dir's existing contents.
  Delete,
};

struct ApplyOptions {
  Whiteouts whiteouts = Whiteouts::Delete;
  // Refuse more than this many bytes of file data in total (0 = no limit), and entries whose
  // header claims more than max_entry_size.
  uint64_t max_total_size = 0;
  uint64_t max_entry_size = uint64_t{1} << 40;
};

struct ApplyResult {
  content::Digest diff_id;  // sha256 of the uncompressed tar stream
  uint64_t size = 0;        // bytes of file data written
};

// Reads the tar from fd (compression detected from the magic bytes) and extracts it into
// dir. Rejects, with an error naming the entry: absolute or ".." paths that leave dir,
// symlink/hardlink tricks that would make a later entry land outside dir, hardlinks to
// targets outside dir, and truncated or malformed streams. A later entry never goes through
// a symlink of the same tar; in Delete mode a lower layer's symlink (bin -> usr/bin) is
// followed as in a chroot (RESOLVE_IN_ROOT), as Docker does. trusted.overlay.* xattrs in the
// tar are dropped. Device nodes are created (we run
// as root); ownership, modes, mtimes and xattrs are restored. No fsync per file; call
// sync_tree (or syncfs) before recording the layer.
Result<ApplyResult> apply_layer(int fd, const std::string& dir, const ApplyOptions& opts);

// Durability before the layer is recorded: one syncfs on the filesystem holding dir.
Status sync_tree(const std::string& dir);

}  // namespace berth::archive

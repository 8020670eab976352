// What changed in a layer, as `docker diff` shows it, and the tar that carries the change.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "content/digest.h"

namespace berth::archive {

struct Change {
  enum class Kind { Modified = 0, Added = 1, Deleted = 2 };  // Docker's numbering
  Kind kind;
  std::string path;  // absolute inside the container: "/etc/passwd"
};

// overlayfs upper dir against its merged lower layers (lower_dirs top first): whiteout
// devices are deletions, opaque dirs replace their lower contents.
Result<std::vector<Change>> overlay_changes(const std::string& upper,
                                            const std::vector<std::string>& lower_dirs);
// A full copy against its parent's full copy (vfs/btrfs): compares type, mode, owner,
// size, mtime, symlink target, xattrs.
Result<std::vector<Change>> tree_changes(const std::string& parent, const std::string& dir);

// Sorts by path in walk order (a directory right before its contents).
void sort_changes(std::vector<Change>& changes);

struct TarResult {
  content::Digest diff_id;  // sha256 of the tar written
  uint64_t size = 0;
};

// Writes a layer tar of the changes, read from `dir` (the merged or full view), with
// ".wh." entries for deletions. Sorted, deterministic (PAX, no atime/ctime).
Result<TarResult> write_changes_tar(int out_fd, const std::string& dir,
                                    const std::vector<Change>& changes);
// A whole tree as one tar (export, import of a rootfs, layers of a new image).
Result<TarResult> write_tree_tar(int out_fd, const std::string& dir);
// `name` in the open directory `parent_fd` (a file, or a directory and everything below it),
// with paths starting at name: what `docker cp` sends out of a container.
Result<TarResult> write_entry_tar(int out_fd, int parent_fd, const std::string& name);

}  // namespace berth::archive

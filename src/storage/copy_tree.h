// A faithful copy of a directory tree, for drivers that keep full copies (vfs).
#pragma once

#include <string>

#include "base/error.h"

namespace berth::storage {

// Copies everything below src into the existing directory dst, then gives dst src's
// attributes. Preserves type, owner, mode (setuid included), xattrs (capabilities too),
// mtimes, symlinks, device nodes, fifos, sockets and hardlinks within the tree. File data is
// reflinked (FICLONE) where the filesystem can share extents, else copied.
Status copy_tree(const std::string& src, const std::string& dst);

}  // namespace berth::storage

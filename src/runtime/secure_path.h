// Path resolution confined to the container's rootfs: symlinks and ".." can never lead out,
// so a hostile image cannot make a mount land on the host (openat2 RESOLVE_IN_ROOT).
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

enum class Create { None, Dir, File };

// Opens `path` (relative to rootfd, absolute paths are taken as inside the root) as O_PATH,
// creating missing parent dirs and, per `create`, the final component.
Result<UniqueFd> open_in_root(int rootfd, const std::string& path, Create create, int mode = 0755);

// "/proc/self/fd/N": a path that mount(2) and friends can use to reach an O_PATH fd.
std::string fd_path(int fd);

}  // namespace berth::runtime

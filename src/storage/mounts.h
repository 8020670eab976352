// Mount-table helpers shared by the drivers and their tests.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::storage {

// True if path is the root of a mount (statx STATX_ATTR_MOUNT_ROOT).
bool is_mount_point(const std::string& path);
// Lazy unmount, as Docker's Put does: the mount leaves the table at once even if a process
// still has a file open in it. A path that is not mounted is not an error.
Status unmount(const std::string& path);
// Mount points at or below prefix, deepest last, from /proc/self/mountinfo.
Result<std::vector<std::string>> mounts_under(const std::string& prefix);

}  // namespace berth::storage

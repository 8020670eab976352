// Extended attributes of tree entries, read and written without following the entry.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::archive {

using Xattrs = std::vector<std::pair<std::string, std::string>>;  // sorted by name

// overlayfs keeps its own bookkeeping in trusted.overlay.* (opaque, redirect, origin...):
// it must never travel in a layer, nor be planted by one.
bool xattr_portable(std::string_view name);

// The portable attributes of `name` in dirfd ("" = dirfd itself), sorted.
Result<Xattrs> read_xattrs(int dirfd, std::string_view name);

// Sets one attribute on `name` in dirfd ("" = dirfd itself). Like Docker, a filesystem
// that does not support it (ENOTSUP) or refuses it (EPERM) is not an error.
Status set_xattr(int dirfd, std::string_view name, const std::string& key, std::string_view value);

}  // namespace berth::archive

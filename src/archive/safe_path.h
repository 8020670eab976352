// Path handling for untrusted layer entries: lexical cleaning, and lookups relative to a
// directory fd that never follow a symlink, so a tar can never steer a write outside.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::archive {

// Cleans a tar entry name into a path relative to the layer root ("" is the root): leading
// "/" are dropped (Docker reads "/a" as "a"), empty and "." components vanish, ".." pops
// one. Fails with "path escapes the layer" if ".." would climb above the root.
Result<std::string> clean_entry_path(std::string_view name);

// "a/b/c" → {"a/b", "c"}; "c" → {"", "c"}.
std::pair<std::string, std::string> split_parent(std::string_view rel);
std::string join_rel(std::string_view parent, std::string_view name);

// Opens rel ("" = rootfd itself) beneath rootfd with no symlink anywhere on the way
// (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS). The error keeps errno (ELOOP, ENOTDIR...).
Result<UniqueFd> open_beneath(int rootfd, const std::string& rel, int flags);
// Opens rel as if rootfd were "/" (RESOLVE_IN_ROOT): symlinks are followed but stay inside.
Result<UniqueFd> open_in_root(int rootfd, const std::string& rel, int flags);

// "/proc/self/fd/N/name": reaches an entry of an open directory; l* calls on it do not
// follow the entry itself.
std::string proc_path(int dirfd, std::string_view name = {});

// Removes name under dirfd, recursively if it is a directory; a missing entry is fine.
Status remove_tree_at(int dirfd, const std::string& name);

// Entry names of a directory (without "." and ".."), sorted bytewise.
Result<std::vector<std::string>> list_dir(int dirfd);

// The order of a depth-first walk with sorted siblings: "a" < "a/b" < "a b".
bool path_less(std::string_view a, std::string_view b);

}  // namespace berth::archive

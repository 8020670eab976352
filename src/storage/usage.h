// Disk usage as Docker reports it: file sizes, directories not counted, hardlinks once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archive/changes.h"
#include "base/error.h"

namespace berth::storage {

// Sum of st_size of every non-directory below dir (same filesystem only).
Result<uint64_t> dir_usage(const std::string& dir);
// Sum of st_size of the added or modified non-directories of a full-copy layer, which is
// all that layer owns (the rest is its parent's copy).
Result<uint64_t> changes_size(const std::string& dir, const std::vector<archive::Change>& changes);

}  // namespace berth::storage

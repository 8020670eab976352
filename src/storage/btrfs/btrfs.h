// btrfs: each layer a subvolume in <root>/subvolumes/<id>, a child a writable snapshot of
// its parent, so layers share extents and creating one costs no copying.
#pragma once

#include <memory>
#include <string>

#include "storage/driver.h"

namespace berth::storage::btrfs {

// Fails with "btrfs: <root> is not on a btrfs filesystem" elsewhere.
Result<std::unique_ptr<Driver>> open(const std::string& root);

}  // namespace berth::storage::btrfs

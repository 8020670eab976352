// vfs: every layer a full copy of its parent in <root>/dir/<id>. Slow and large, but works
// on any filesystem; the fallback when overlayfs is missing.
#pragma once

#include <memory>
#include <string>

#include "storage/driver.h"

namespace berth::storage::vfs {

Result<std::unique_ptr<Driver>> open(const std::string& root);

}  // namespace berth::storage::vfs

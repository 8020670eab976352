// overlay2: Docker's layout (see layout.h), layers stacked by overlayfs at get().
#pragma once

#include <memory>
#include <string>

#include "storage/driver.h"
#include "storage/overlay2/support.h"

namespace berth::storage::overlay2 {

// Creates root if needed and checks that overlay mounts work there.
Result<std::unique_ptr<Driver>> open(const std::string& root);
// Skips the check and forces a mount mode (tests of the fallback path).
Result<std::unique_ptr<Driver>> open_with_mode(const std::string& root, MountMode mode);

}  // namespace berth::storage::overlay2

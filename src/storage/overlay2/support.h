// Whether overlay2 can work in a root, found out as Docker does: by trying.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::storage::overlay2 {

enum class MountMode {
  Fsconfig,  // new mount API, one "lowerdir+" per layer
  Data,      // mount(2) data string with short relative links
};

// Checks that the kernel has overlayfs, that root's filesystem gives readdir types (d_type)
// and can be an upper dir, by mounting a two-lower overlay in a scratch dir under root; and
// picks the mount mode this kernel takes. root must exist.
Result<MountMode> check_support(const std::string& root);

// Names of the support check's scratch dirs ("check-overlayfs-support-<pid>-XXXXXX"): not
// layers.
inline constexpr std::string_view kScratchPrefix = "check-overlayfs-support-";
bool is_scratch_dir(std::string_view name);

}  // namespace berth::storage::overlay2

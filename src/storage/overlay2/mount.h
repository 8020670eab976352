// Mounting an overlay of many layers. The mount(2) data string is limited to a page, which
// ~70 absolute layer paths exhaust; the new mount API's "lowerdir+" (Linux 6.8) takes one
// layer per call with no limit, and the data string with short relative links is the
// fallback for older kernels (the way Docker does it).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::storage::overlay2 {

struct OverlaySpec {
  std::string base;                 // absolute dir the paths below are relative to
  std::vector<std::string> lowers;  // top first, e.g. "l/ABC..."
  std::string upper;                // e.g. "<id>/diff"; empty: a read-only overlay
  std::string work;
  std::vector<std::string> options;  // extra "key=value" options such as "index=off"
  std::string target;                // absolute mount point
};

// fsopen/fsconfig/fsmount/move_mount with one "lowerdir+" per layer. Fails with EINVAL
// (sys_errno) on the "lowerdir+" option itself if the kernel lacks it.
Status mount_overlay_fsconfig(const OverlaySpec& spec);
// mount(2) with one data string: absolute paths when they fit in a page, else paths
// relative to base, resolved by a helper thread that has its own working directory.
Status mount_overlay_data(const OverlaySpec& spec);

// The options Berth always sets, as far as this kernel knows them: index=off (Docker's
// choice: an index ties upper dirs to their lowers' file handles), redirect_dir=off and
// metacopy=off (so a renamed dir or chmodded file is fully copied up and the upper dir alone
// describes the change, which changes() and diff() rely on).
std::vector<std::string> default_options();

}  // namespace berth::storage::overlay2

// The container's filesystem view: mounts, /dev, pivot_root, masked and read-only paths.
// Runs in the container init, inside its new mount namespace.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/cgroup/manager.h"

namespace berth::runtime {

struct RootfsContext {
  const oci::Spec* spec = nullptr;
  std::string rootfs;  // absolute host path of root.path
  bool new_userns = false;
  bool new_cgroupns = false;
  bool no_pivot = false;
  cgroup::Mode cgroup_mode = cgroup::Mode::V1;
  std::vector<cgroup::Hierarchy> hierarchies;
};

// Propagation of /, the rootfs bind, every config mount, /dev nodes and links.
Status prepare_rootfs(const RootfsContext& ctx);
// pivot_root (or MS_MOVE + chroot with no_pivot) into the rootfs.
Status enter_rootfs(const RootfsContext& ctx);
// After the pivot: sysctl, maskedPaths, readonlyPaths, root.readonly.
Status finalize_rootfs(const RootfsContext& ctx);

}  // namespace berth::runtime

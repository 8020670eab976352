// Device nodes in the container's /dev and the device cgroup rules that go with them.
#pragma once

#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace berth::runtime {

// The nodes every container gets (null, zero, full, random, urandom, tty), as runc creates them.
const std::vector<oci::Device>& default_devices();

// The rules the cgroup enforces: the config's rules, then allow rules for the default devices,
// /dev/pts, /dev/ptmx and /dev/console, then one for each linux.devices entry (so a device the
// config creates is usable, as crun does).
std::vector<oci::DeviceRule> effective_device_rules(const oci::Spec& spec);

// Creates the nodes under the (not yet pivoted) rootfs; bind-mounts host nodes instead of
// mknod when in a user namespace. `rootfd` is an O_PATH fd of the rootfs.
Status create_devices(int rootfd, const oci::Spec& spec, bool in_userns);
// /dev/fd, /dev/stdin..., /dev/ptmx -> pts/ptmx, /dev/core.
Status create_dev_symlinks(int rootfd);

}  // namespace berth::runtime

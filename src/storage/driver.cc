#include "storage/driver.h"

#include <array>
#include <string_view>

#include "base/log.h"
#include "storage/btrfs/btrfs.h"
#include "storage/overlay2/overlay2.h"
#include "storage/vfs/vfs.h"

namespace berth::storage {

namespace {

// Drivers Docker has (or had) that Berth deliberately leaves out.
constexpr std::array<std::string_view, 7> kUnsupported = {
    "aufs", "devicemapper", "zfs", "fuse-overlayfs", "overlay", "windowsfilter", "lcow"};

}  // namespace

Result<std::unique_ptr<Driver>> open_driver(const std::string& name, const std::string& root) {
  if (name == "overlay2") return overlay2::open(root);
  if (name == "vfs") return vfs::open(root);
  if (name == "btrfs") return btrfs::open(root);
  if (name.empty()) {
    auto d = overlay2::open(root);
    if (d) return d;
    log::warn("storage: overlay2 unusable, falling back to vfs: {}", d.error().message());
    return vfs::open(root);
  }
  for (auto u : kUnsupported) {
    if (name == u)
      return fail(ErrorKind::InvalidArgument,
                  "storage driver \"{}\" is not supported by berth (available: overlay2, vfs, "
                  "btrfs)",
                  name);
  }
  return fail(ErrorKind::InvalidArgument, "unknown storage driver \"{}\"", name);
}

}  // namespace berth::storage

// Storage drivers: where layers and container RW layers live, behind one interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "archive/apply.h"
#include "archive/changes.h"
#include "base/error.h"

namespace berth::storage {

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;  // "overlay2", "vfs", "btrfs"

  // A new layer `id` on top of `parent` ("" for a base layer). Read-only image layers and
  // containers' read-write layers are both layers; rw only matters to drivers that care.
  virtual Status create(const std::string& id, const std::string& parent, bool rw) = 0;
  virtual Status remove(const std::string& id) = 0;
  virtual bool exists(const std::string& id) const = 0;
  // Ids of every layer dir the driver holds, half-made ones included (consistency checks).
  virtual Result<std::vector<std::string>> list() const = 0;
  // Mounts (refcounted: concurrent users share one mount) and returns the merged view's path.
  virtual Result<std::string> get(const std::string& id) = 0;
  virtual Status put(const std::string& id) = 0;
  // `id` is used once and then removed (a `run --rm` container's layer): its writes need not
  // survive a crash. overlay2 mounts it volatile (no syncs, at unmount either), and, when set
  // before create(), writes its own files (link, lower) unsynced.
  virtual void set_disposable(const std::string& id) { (void)id; }
  // Extracts a layer tar into layer `id` (created by create(id, parent)), durably.
  virtual Result<archive::ApplyResult> apply_diff(const std::string& id, int tar_fd) = 0;
  // apply_diff without its sync: the layer is durable only after sync(). Lets a caller that
  // applies several layers pay for one syncfs instead of one per layer.
  virtual Result<archive::ApplyResult> apply_diff_unsynced(const std::string& id, int tar_fd) {
    return apply_diff(id, tar_fd);
  }
  // Makes every layer applied so far durable (one syncfs of the driver's filesystem).
  virtual Status sync() { return ok(); }
  // True when a layer's own files do not depend on its parent's (overlay2 applies into an
  // empty upper dir), so the layers of a stack can be extracted concurrently. Full-copy
  // drivers start a layer as a copy of its parent: they must go in order.
  virtual bool independent_layers() const { return false; }
  virtual Result<std::vector<archive::Change>> changes(const std::string& id) = 0;
  // Writes the tar of `id`'s changes against its parent.
  virtual Result<archive::TarResult> diff(const std::string& id, int out_fd) = 0;
  // Bytes used by this layer alone.
  virtual Result<uint64_t> size(const std::string& id) = 0;
  // Unmounts everything (daemon shutdown).
  virtual Status cleanup() = 0;
};

// "overlay2", "vfs", "btrfs"; aufs, devicemapper and zfs get a clear "not supported"
// error; "" picks overlay2 where the kernel has it, else vfs. root is the driver's home,
// e.g. /var/lib/berth/overlay2.
Result<std::unique_ptr<Driver>> open_driver(const std::string& name, const std::string& root);

}  // namespace berth::storage

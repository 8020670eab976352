#include "storage/btrfs/btrfs.h"

#include <algorithm>

#include "base/file.h"
#include "storage/btrfs/subvolume.h"
#include "storage/full_copy.h"

namespace berth::storage::btrfs {

namespace {

class BtrfsDriver final : public FullCopyDriver {
 public:
  explicit BtrfsDriver(std::string root) : FullCopyDriver(std::move(root), "subvolumes") {}
  std::string name() const override { return "btrfs"; }
  using FullCopyDriver::init;

 protected:
  Status make_layer(const std::string& id, const std::string& parent) override {
    if (parent.empty()) return create_subvolume(layers(), id);
    return snapshot_subvolume(layer_dir(parent), layers(), id);
  }

  Status destroy_layer(const std::string& id) override {
    // A failed create may have left a plain directory rather than a subvolume.
    if (!is_subvolume(layer_dir(id))) return remove_all(layer_dir(id));
    return delete_subvolume(layers(), id);
  }
};

}  // namespace

Result<std::unique_ptr<Driver>> open(const std::string& root) {
  // Judge by the nearest existing ancestor so a refused root is not left created.
  std::string probe = clean_path(root);
  while (!path_exists(probe) && probe != "/" && probe.find('/') != std::string::npos)
    probe = probe.substr(0, std::max<size_t>(probe.find_last_of('/'), 1));
  if (!on_btrfs(probe))
    return fail(ErrorKind::Unavailable, "btrfs: {} is not on a btrfs filesystem", root);
  BERTH_TRY(mkdir_all(root, 0700));
  auto d = std::make_unique<BtrfsDriver>(root);
  BERTH_TRY(d->init());
  return std::unique_ptr<Driver>(std::move(d));
}

}  // namespace berth::storage::btrfs

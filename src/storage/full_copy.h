// Drivers whose layers are complete trees (vfs copies, btrfs snapshots): nothing to mount,
// changes found by comparing a layer with its parent's tree.
#pragma once

#include <string>

#include "storage/driver.h"

namespace berth::storage {

class FullCopyDriver : public Driver {
 public:
  Status create(const std::string& id, const std::string& parent, bool rw) override;
  Status remove(const std::string& id) override;
  bool exists(const std::string& id) const override;
  Result<std::vector<std::string>> list() const override;
  Result<std::string> get(const std::string& id) override;
  Status put(const std::string& id) override;
  Result<archive::ApplyResult> apply_diff(const std::string& id, int tar_fd) override;
  Result<archive::ApplyResult> apply_diff_unsynced(const std::string& id, int tar_fd) override;
  Status sync() override { return archive::sync_tree(layers_); }
  Result<std::vector<archive::Change>> changes(const std::string& id) override;
  Result<archive::TarResult> diff(const std::string& id, int out_fd) override;
  Result<uint64_t> size(const std::string& id) override;
  Status cleanup() override { return ok(); }

 protected:
  // Layers live in root/<layers>/<id>; parents are recorded in root/parents/<id> since a
  // tree itself can't say what it was copied from.
  FullCopyDriver(std::string root, const std::string& layers);
  // Creates the layer's tree, empty or as a copy of parent's.
  virtual Status make_layer(const std::string& id, const std::string& parent) = 0;
  virtual Status destroy_layer(const std::string& id) = 0;
  // Creates the driver's directories; called by the drivers' open functions.
  Status init();

  std::string layer_dir(const std::string& id) const { return layers_ + "/" + id; }
  const std::string& layers() const { return layers_; }

 private:
  Result<std::string> parent_of(const std::string& id) const;
  Status require(const std::string& id) const;

  std::string root_;
  std::string layers_;
};

}  // namespace berth::storage

#include "storage/vfs/vfs.h"

#include <sys/stat.h>

#include "base/file.h"
#include "storage/copy_tree.h"
#include "storage/full_copy.h"

namespace berth::storage::vfs {

namespace {

class VfsDriver final : public FullCopyDriver {
 public:
  explicit VfsDriver(std::string root) : FullCopyDriver(std::move(root), "dir") {}
  std::string name() const override { return "vfs"; }
  using FullCopyDriver::init;

 protected:
  Status make_layer(const std::string& id, const std::string& parent) override {
    std::string dir = layer_dir(id);
    if (mkdir(dir.c_str(), 0755) < 0) return sys_fail("mkdir {}", dir);
    if (parent.empty()) return ok();
    return copy_tree(layer_dir(parent), dir);
  }

  Status destroy_layer(const std::string& id) override { return remove_all(layer_dir(id)); }
};

}  // namespace

Result<std::unique_ptr<Driver>> open(const std::string& root) {
  auto d = std::make_unique<VfsDriver>(root);
  BERTH_TRY(d->init());
  return std::unique_ptr<Driver>(std::move(d));
}

}  // namespace berth::storage::vfs

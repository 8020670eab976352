#include "storage/full_copy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/file.h"
#include "base/unique_fd.h"
#include "storage/layer_id.h"
#include "storage/usage.h"

namespace berth::storage {

FullCopyDriver::FullCopyDriver(std::string root, const std::string& layers)
    : root_(std::move(root)), layers_(root_ + "/" + layers) {}

Status FullCopyDriver::init() {
  BERTH_TRY(mkdir_all(root_, 0700));
  BERTH_TRY(mkdir_all(layers_, 0700));
  BERTH_TRY(mkdir_all(root_ + "/parents", 0700));
  // The stand-in parent of base layers: everything in them is an addition.
  return mkdir_all(root_ + "/empty", 0755);
}

bool FullCopyDriver::exists(const std::string& id) const {
  struct stat st;
  return validate_layer_id(id) && lstat(layer_dir(id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status FullCopyDriver::require(const std::string& id) const {
  BERTH_TRY(validate_layer_id(id));
  if (!exists(id)) return fail(ErrorKind::NotFound, "{}: layer {} not found", name(), id);
  return ok();
}

Result<std::string> FullCopyDriver::parent_of(const std::string& id) const {
  BERTH_ASSIGN(std::string parent, read_file(root_ + "/parents/" + id));
  if (!parent.empty()) BERTH_TRY(validate_layer_id(parent));
  return parent;
}

Status FullCopyDriver::create(const std::string& id, const std::string& parent, bool) {
  BERTH_TRY(validate_layer_id(id));
  if (!parent.empty()) BERTH_TRY(require(parent));
  if (exists(id)) return fail(ErrorKind::Conflict, "{}: layer {} already exists", name(), id);
  std::string record = root_ + "/parents/" + id;
  BERTH_TRY(write_file_atomic(record, parent, 0600));
  if (auto s = make_layer(id, parent); !s) {
    (void)destroy_layer(id);
    unlink(record.c_str());
    return std::unexpected(std::move(s).error().context("{}: create layer {}", name(), id));
  }
  return ok();
}

Result<std::vector<std::string>> FullCopyDriver::list() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(layers_, ec)) {
    std::string id = e.path().filename().string();
    if (validate_layer_id(id)) out.push_back(id);
  }
  if (ec) return std::unexpected(Error(ErrorKind::Internal, "list " + layers_, ec.value()));
  return out;
}

Status FullCopyDriver::remove(const std::string& id) {
  BERTH_TRY(validate_layer_id(id));
  if (exists(id)) BERTH_TRY(destroy_layer(id));
  std::string record = root_ + "/parents/" + id;
  if (unlink(record.c_str()) < 0 && errno != ENOENT) return sys_fail("remove {}", record);
  return ok();
}

Result<std::string> FullCopyDriver::get(const std::string& id) {
  BERTH_TRY(require(id));
  return layer_dir(id);
}

Status FullCopyDriver::put(const std::string& id) {
  return require(id);
}

Result<archive::ApplyResult> FullCopyDriver::apply_diff(const std::string& id, int tar_fd) {
  BERTH_ASSIGN(archive::ApplyResult r, apply_diff_unsynced(id, tar_fd));
  BERTH_TRY(archive::sync_tree(layer_dir(id)));
  return r;
}

Result<archive::ApplyResult> FullCopyDriver::apply_diff_unsynced(const std::string& id,
                                                                 int tar_fd) {
  BERTH_TRY(require(id));
  archive::ApplyOptions opts;
  opts.whiteouts = archive::Whiteouts::Delete;
  return archive::apply_layer(tar_fd, layer_dir(id), opts);
}

Result<std::vector<archive::Change>> FullCopyDriver::changes(const std::string& id) {
  BERTH_TRY(require(id));
  BERTH_ASSIGN(std::string parent, parent_of(id));
  std::string base = parent.empty() ? root_ + "/empty" : layer_dir(parent);
  return archive::tree_changes(base, layer_dir(id));
}

Result<archive::TarResult> FullCopyDriver::diff(const std::string& id, int out_fd) {
  BERTH_ASSIGN(auto list, changes(id));
  return archive::write_changes_tar(out_fd, layer_dir(id), list);
}

Result<uint64_t> FullCopyDriver::size(const std::string& id) {
  BERTH_ASSIGN(auto list, changes(id));
  return changes_size(layer_dir(id), list);
}

}  // namespace berth::storage

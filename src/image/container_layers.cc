// Containers' read-write layers: create on an image, mount, diff, export, remove.
#include <sys/stat.h>

#include "base/background_removal.h"
#include "base/file.h"
#include "base/log.h"
#include "image/store.h"

namespace berth::image {

namespace {

Result<ContainerLayerRecord> need(Metadata& md, const std::string& id) {
  BERTH_ASSIGN(auto rec, md.container_layer(id));
  if (!rec) return fail(ErrorKind::NotFound, "No such container layer: {}", id);
  return *rec;
}

}  // namespace

Status Store::create_container_layer(const std::string& id, const std::string& image,
                                     bool disposable) {
  BERTH_ASSIGN(Image img, get(image));
  BERTH_ASSIGN(auto existing, md_->container_layer(id));
  if (existing || driver_->exists(id))
    return fail(ErrorKind::Conflict, "container layer {} already exists", id);
  if (disposable) driver_->set_disposable(id);  // the driver writes its files unsynced too
  return layers_->create_rw(
      id, img.record.top_chain,
      [&] {
        return md_->put_container_layer(
            ContainerLayerRecord{id, img.record.id, img.record.top_chain});
      },
      !disposable);
}

Result<std::string> Store::mount_container_layer(const std::string& id, bool disposable) {
  BERTH_TRY(need(*md_, id));
  if (disposable) driver_->set_disposable(id);
  return driver_->get(id);
}

Status Store::unmount_container_layer(const std::string& id) {
  BERTH_TRY(need(*md_, id));
  return driver_->put(id);
}

Status Store::remove_container_layer(const std::string& id) {
  BERTH_ASSIGN(ContainerLayerRecord rec, need(*md_, id));
  return layers_->remove_rw(id, rec.parent_chain, [&] { return md_->delete_container_layer(id); });
}

void Store::remove_container_layer_later(const std::string& id) {
  run_in_background([this, id] {
    if (auto st = remove_container_layer(id); !st && st.error().kind() != ErrorKind::NotFound)
      log::warn("remove layer {}: {}", id, st.error().message());
  });
}

Status Store::remove_orphan_container_layers(const std::function<bool(const std::string&)>& known) {
  BERTH_ASSIGN(auto layers, md_->container_layers());
  for (const auto& l : layers) {
    if (known(l.id)) continue;
    // one that cannot go (still busy) does not keep the others
    if (auto st = remove_container_layer(l.id); !st)
      log::warn("container layer {} has no container, and cannot be removed: {}", l.id,
                st.error().message());
    else
      log::warn("container layer {} had no container: removed", l.id);
  }
  return ok();
}

Result<std::vector<archive::Change>> Store::container_changes(const std::string& id) {
  BERTH_TRY(need(*md_, id));
  return driver_->changes(id);
}

Result<Store::ContainerSize> Store::container_size(const std::string& id,
                                                   const std::string& image_id) {
  BERTH_TRY(need(*md_, id));
  ContainerSize s;
  if (driver_->independent_layers()) {
    // overlay2: the upper dir holds exactly the container's own files
    BERTH_ASSIGN(uint64_t n, driver_->size(id));
    s.rw = static_cast<int64_t>(n);
  } else {
    // full-copy drivers (vfs): the files the container added or changed, as Docker counts
    BERTH_ASSIGN(auto changes, driver_->changes(id));
    BERTH_ASSIGN(std::string merged, driver_->get(id));
    for (auto& c : changes) {
      if (c.kind == archive::Change::Kind::Deleted) continue;
      struct stat st;
      if (lstat((merged + c.path).c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) s.rw += st.st_size;
    }
    BERTH_TRY(driver_->put(id));
  }
  s.root_fs = s.rw;
  if (auto img = get(image_id)) s.root_fs += img->record.size;
  return s;
}

Status Store::export_container(const std::string& id, int out_fd) {
  BERTH_TRY(need(*md_, id));
  BERTH_ASSIGN(std::string merged, driver_->get(id));
  auto r = archive::write_tree_tar(out_fd, merged);
  auto p = driver_->put(id);
  if (!r) return std::unexpected(std::move(r).error().context("export {}", id));
  return p;
}

}  // namespace berth::image

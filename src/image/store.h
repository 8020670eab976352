// The image store: images (config + layer chain), names, and the operations Docker offers on
// them: load, save, import, tag, remove, inspect, history, prune, disk usage.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "content/store.h"
#include "image/layer_store.h"
#include "image/manifest.h"
#include "image/metadata.h"
#include "image/reference.h"
#include "image/store_types.h"
#include "storage/driver.h"

namespace berth::image {

struct Image {
  ImageRecord record;
  ImageConfig config;
  std::vector<std::string> tags;          // full names: docker.io/library/busybox:latest
  std::vector<std::string> repo_digests;  // docker.io/library/busybox@sha256:...
};

// What `rmi` did, line by line as Docker prints it.
struct RemoveReport {
  std::vector<std::string> untagged;  // familiar names
  std::vector<std::string> deleted;   // image ids
};

class Store {
 public:
  // root: the data root (/var/lib/berth); driver: "" for the default.
  static Result<std::unique_ptr<Store>> open(const std::string& root, const std::string& driver);
  // Waits for the removals queued by remove_container_layer_later(): they use this store.
  ~Store();

  // An image by full id, unique id prefix, or name (normalised, ":latest" added).
  Result<Image> get(const std::string& name_or_id);
  Result<std::vector<Image>> list();

  // docker-archive (manifest.json) or OCI layout (index.json), possibly several images.
  // Returns the names (or ids of untagged images) loaded, for "Loaded image: ..." lines.
  Result<std::vector<std::string>> load(int tar_fd);
  // Writes one tar that is both a docker-archive (manifest.json, repositories) and an OCI
  // image layout (oci-layout, index.json, blobs/), as Docker 25+ does.
  Status save(const std::vector<std::string>& names, int out_fd);
  // A rootfs tar as a one-layer image. `changes` are Dockerfile-style lines (CMD, ENV, ...).
  Result<std::string> import(int tar_fd, const std::vector<std::string>& changes,
                             const std::string& message, const std::string& tag);
  // Makes an image from a layer tar already in the content store on top of a parent image.
  Result<std::string> create_image(const std::string& parent_id, const content::Digest& layer,
                                   const std::string& media_type, nlohmann::json config_patch,
                                   const std::string& history_by, const std::string& comment,
                                   const std::string& author);

  Status tag(const std::string& source, const std::string& target);
  // in_use(image_id) tells whether a container uses the image (a conflict unless force).
  Result<RemoveReport> remove(const std::string& name_or_id, bool force,
                              const std::function<bool(const std::string&)>& in_use);

  // Docker's image inspect JSON, and history rows.
  Result<nlohmann::json> inspect(const std::string& name_or_id);
  Result<nlohmann::json> history(const std::string& name_or_id);

  // Containers' read-write layers (driver id = container id) on an image's top layer
  // (container_layers.cc); the image's layers stay while one exists.
  // `disposable` (run --rm): nothing is synced to disk; such a container does not outlive a
  // crash (the daemon's restore removes it), so a crash may leave no trace of it, or a partial
  // one, but never a damaged record of anything else.
  Status create_container_layer(const std::string& id, const std::string& image,
                                bool disposable = false);
  // The merged view. `disposable`: the container is removed when it exits (run --rm).
  Result<std::string> mount_container_layer(const std::string& id, bool disposable = false);
  Status unmount_container_layer(const std::string& id);
  Status remove_container_layer(const std::string& id);
  // The same after the caller's answer (base/background_removal: a SQLite commit and the
  // dir's files). Image removal and prune wait for what is queued. If the process dies first,
  // the layer is an orphan: remove_orphan_container_layers() at the next start removes it.
  void remove_container_layer_later(const std::string& id);
  // Removes the container layers whose id `known` does not know (the owner's record is gone).
  Status remove_orphan_container_layers(const std::function<bool(const std::string&)>& known);
  // `docker ps -s`: bytes of the RW layer alone (SizeRw) and with its image's (SizeRootFs).
  struct ContainerSize {
    int64_t rw = 0, root_fs = 0;
  };
  Result<ContainerSize> container_size(const std::string& id, const std::string& image_id);
  // `docker diff`, and `docker export` (the merged view as one flat tar).
  Result<std::vector<archive::Change>> container_changes(const std::string& id);
  Status export_container(const std::string& id, int out_fd);
  // `docker commit`: the RW layer's changes as a new layer on the container's image (commit.cc).
  Result<std::string> commit(const CommitOptions& opts);

  // `docker image prune`: untagged images, or with `all` every image no container uses.
  Result<PruneReport> prune(bool all, const std::function<bool(const std::string&)>& in_use);
  // The images part of `docker system df`; containers(image_id) counts users (null: counts
  // the container layers made here).
  Result<DiskUsage> disk_usage(const std::function<int64_t(const std::string&)>& containers);
  // Removes content blobs no image or present layer refers to; returns bytes freed (gc.cc).
  Result<uint64_t> gc_content();

  LayerStore& layers() { return *layers_; }
  content::Store& blobs() { return *blobs_; }
  storage::Driver& driver() { return *driver_; }

 private:
  Store() = default;
  Result<std::string> resolve_id(const std::string& name_or_id);
  // At open, after unfinished layers are removed: sets each layer's refcount to its holders
  // (child layers, images, container layers) and removes layers nobody holds, so a crash
  // between steps of an import or commit leaks nothing (reconcile.cc).
  Status reconcile_layers();
  Result<Image> load_image(const ImageRecord& rec);
  // Registers config + layers (blobs already in the content store) and names.
  // `sources`, when given, are files holding the layers' blobs that are not in the content
  // store yet: layers are read from them and the blobs published after the layers' sync.
  Result<std::string> add_image(const std::string& config_bytes,
                                const std::vector<std::pair<content::Digest, std::string>>& layers,
                                const std::vector<std::string>& names,
                                const std::vector<std::string>& sources = {});
  // The blob holding layer `diff_id` (generating it from the driver when none is kept).
  Result<LayerBlob> layer_blob(const std::string& diff_id, const std::string& chain_id);

  std::string root_;
  std::unique_ptr<content::Store> blobs_;
  std::unique_ptr<Metadata> md_;
  std::unique_ptr<storage::Driver> driver_;
  std::unique_ptr<LayerStore> layers_;
};

}  // namespace berth::image

// Image and layer metadata in SQLite (WAL, synchronous=FULL). Every change is one
// transaction, so a kill -9 leaves either the old or the new state; layers being created are
// marked so the next start can remove what a crash left half-made.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/sqlite.h"

namespace berth::image {

struct LayerRecord {
  std::string cache_id;  // the storage driver's id
  std::string chain_id;  // "" while creating
  std::string parent;    // parent chain id, "" for a base layer
  std::string diff_id;
  int64_t size = 0;
  bool ready = false;
  int64_t refcount = 0;  // images whose top layer this is + child layers + containers
};

struct LayerBlob {  // a compressed form of a layer we hold in the content store
  std::string diff_id, digest, media_type;
  int64_t size = 0;
};

struct ImageRecord {
  std::string id;         // config digest
  std::string top_chain;  // "" for an image without layers
  std::string created;
  int64_t size = 0;   // sum of its layers
  int64_t added = 0;  // unix seconds when this engine got it
};

struct ContainerLayerRecord {  // a container's read-write layer (driver id = container id)
  std::string id;
  std::string image_id;
  std::string parent_chain;  // the image's top layer, which the RW layer holds a reference on
};

class Metadata {
 public:
  static Result<Metadata> open(const std::string& path);

  // Layers.
  Status begin_layer(const std::string& cache_id, const std::string& parent);
  // Marks the layer ready under its chain id and takes a reference on the parent.
  Status finish_layer(const std::string& cache_id, const std::string& chain_id,
                      const std::string& diff_id, int64_t size);
  // finish_layer's updates without a transaction of their own (metadata_batch.cc), for
  // callers that record several layers and their image in one.
  Status mark_layer_ready(const std::string& cache_id, const std::string& chain_id,
                          const std::string& diff_id, int64_t size);
  Result<std::optional<LayerRecord>> layer_by_chain(const std::string& chain_id);
  Result<std::vector<LayerRecord>> unfinished_layers();
  Status drop_layer_row(const std::string& cache_id);
  Status set_layer_refcount(const std::string& chain_id, int64_t refcount);
  // Adds delta to a layer's refcount; returns the new count.
  Result<int64_t> ref_layer(const std::string& chain_id, int64_t delta);
  Status add_layer_blob(const LayerBlob& b);
  Result<std::vector<LayerBlob>> layer_blobs(const std::string& diff_id);

  // Images and names.
  Status put_image(const ImageRecord& img);
  Result<std::optional<ImageRecord>> image(const std::string& id);
  Result<std::vector<ImageRecord>> images();
  Status delete_image(const std::string& id);
  // Points `name` ("docker.io/library/busybox:latest") at `id`; returns the image it was on.
  Result<std::string> set_tag(const std::string& name, const std::string& id);
  Result<bool> remove_tag(const std::string& name);
  Result<std::optional<std::string>> tag_target(const std::string& name);
  Result<std::vector<std::string>> tags_of(const std::string& id);
  Status set_repo_digest(const std::string& name, const std::string& id);
  Result<std::vector<std::string>> repo_digests_of(const std::string& id);
  Result<std::optional<std::string>> repo_digest_target(const std::string& name);
  Status remove_repo_digests_of(const std::string& id);

  // Containers' read-write layers.
  Status put_container_layer(const ContainerLayerRecord& r);
  Result<std::optional<ContainerLayerRecord>> container_layer(const std::string& id);
  Result<std::vector<ContainerLayerRecord>> container_layers();
  Status delete_container_layer(const std::string& id);

  // Inventories for prune, disk usage and content GC.
  Result<std::vector<LayerRecord>> ready_layers();
  Result<std::vector<LayerBlob>> all_layer_blobs();
  Status drop_layer_blob(const std::string& diff_id, const std::string& digest);

  Db& db() { return db_; }

 private:
  explicit Metadata(Db db) : db_(std::move(db)) {}
  Db db_;
};

}  // namespace berth::image

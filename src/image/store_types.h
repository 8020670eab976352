// What the container-layer, commit, prune and disk-usage operations of the image store take
// and return.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::image {

struct CommitOptions {
  std::string container_id;
  std::string reference;  // REPO[:TAG], "" for an untagged image
  std::string author;
  std::string message;               // the history entry's comment
  std::vector<std::string> changes;  // Dockerfile-style --change lines
  // The container's config to start from; null: the image's own config.
  nlohmann::json config;
  // History "created_by": Docker records the container's command here.
  std::string created_by;
};

// `docker image prune`: per image, the references untagged and what was deleted (the image
// id, then the chain ids of the layers that went with it), and the layer bytes freed.
struct PruneReport {
  struct Item {
    std::string untagged;  // one of the two is set
    std::string deleted;
  };
  std::vector<Item> items;
  uint64_t space_reclaimed = 0;
  nlohmann::json to_json() const;  // Docker's {"ImagesDeleted": [...], "SpaceReclaimed": N}
};

struct ImageUsage {
  std::string id;
  std::vector<std::string> repo_tags, repo_digests;  // familiar forms
  int64_t created = 0;                               // unix seconds
  int64_t size = 0;
  int64_t shared_size = 0;  // bytes of layers other images use too
  int64_t unique_size = 0;
  int64_t containers = 0;
};

// The images part of `docker system df`.
struct DiskUsage {
  int64_t layers_size = 0;  // every distinct layer once
  std::vector<ImageUsage> images;
  nlohmann::json to_json() const;  // {"LayersSize": N, "Images": [ImageSummary...]}
};

}  // namespace berth::image

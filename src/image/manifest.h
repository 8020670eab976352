// Image index, manifest and config documents (OCI and Docker schema 2), with JSON mapping.
// Configs are kept as their exact bytes: the image ID is the digest of those bytes.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "content/digest.h"

namespace berth::image {

struct Platform {
  std::string architecture, os, variant;
};

struct Descriptor {
  std::string media_type;
  content::Digest digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;

  nlohmann::json to_json() const;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;

  std::string to_json() const;  // canonical bytes we write
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;

  std::string to_json() const;
};

Result<Descriptor> parse_descriptor(const nlohmann::json& j, const std::string& where);
Result<Manifest> parse_manifest(std::string_view bytes);
Result<Index> parse_index(std::string_view bytes);

// The parts of an image config the engine reads; `raw` keeps everything.
struct HistoryEntry {
  std::string created, created_by, author, comment;
  bool empty_layer = false;
};

struct ImageConfig {
  nlohmann::json raw;
  std::vector<content::Digest> diff_ids;
  std::vector<HistoryEntry> history;
  std::string architecture, os, created, author;

  // raw["config"], or an empty object.
  const nlohmann::json& container_config() const;
};

Result<ImageConfig> parse_config(std::string_view bytes);

// chain ID of layer n: diff_ids[0], then sha256(chain(n-1) + " " + diff_ids[n]).
content::Digest chain_id(const content::Digest& parent_chain, const content::Digest& diff_id);
std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids);

}  // namespace berth::image

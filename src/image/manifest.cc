#include "image/manifest.h"

#include "image/media_types.h"

namespace berth::image {

namespace {

std::unexpected<Error> bad(const std::string& where, const char* what) {
  return fail(ErrorKind::InvalidArgument, "{}: {}", where, what);
}

Result<nlohmann::json> parse_object(std::string_view bytes, const char* what) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::InvalidArgument, "{}: invalid JSON", what);
  return j;
}

std::map<std::string, std::string> string_map(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

}  // namespace

nlohmann::json Descriptor::to_json() const {
  nlohmann::json j = {{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
  if (!annotations.empty()) j["annotations"] = annotations;
  if (platform) {
    j["platform"] = {{"architecture", platform->architecture}, {"os", platform->os}};
    if (!platform->variant.empty()) j["platform"]["variant"] = platform->variant;
  }
  return j;
}

Result<Descriptor> parse_descriptor(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return bad(where, "expected an object");
  Descriptor d;
  if (!j.contains("digest") || !j["digest"].is_string()) return bad(where + ".digest", "required");
  auto dg = content::Digest::parse(j["digest"].get<std::string>());
  if (!dg) return std::unexpected(std::move(dg.error()).context("{}.digest", where));
  d.digest = *dg;
  if (j.contains("mediaType") && j["mediaType"].is_string())
    d.media_type = j["mediaType"].get<std::string>();
  if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0)
    return bad(where + ".size", "required non-negative integer");
  d.size = j["size"].get<int64_t>();
  if (j.contains("annotations")) d.annotations = string_map(j["annotations"]);
  if (j.contains("platform") && j["platform"].is_object()) {
    const auto& p = j["platform"];
    d.platform = Platform{p.value("architecture", ""), p.value("os", ""), p.value("variant", "")};
  }
  return d;
}

std::string Manifest::to_json() const {
  nlohmann::json j = {
      {"schemaVersion", 2}, {"mediaType", media_type}, {"config", config.to_json()}};
  j["layers"] = nlohmann::json::array();
  for (const auto& l : layers) j["layers"].push_back(l.to_json());
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump();
}

std::string Index::to_json() const {
  nlohmann::json j = {{"schemaVersion", 2}, {"mediaType", media_type}};
  j["manifests"] = nlohmann::json::array();
  for (const auto& m : manifests) j["manifests"].push_back(m.to_json());
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump();
}

Result<Manifest> parse_manifest(std::string_view bytes) {
  BERTH_ASSIGN(nlohmann::json j, parse_object(bytes, "manifest"));
  if (j.value("schemaVersion", 0) != 2)
    return fail(ErrorKind::InvalidArgument, "manifest: unsupported schemaVersion");
  Manifest m;
  m.media_type = j.value("mediaType", std::string(media::kOciManifest));
  if (!media::is_manifest(m.media_type))
    return fail(ErrorKind::InvalidArgument, "manifest: unexpected media type {:?}", m.media_type);
  BERTH_ASSIGN(m.config, parse_descriptor(j.value("config", nlohmann::json()), "manifest.config"));
  if (!j.contains("layers") || !j["layers"].is_array())
    return fail(ErrorKind::InvalidArgument, "manifest.layers: required");
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    BERTH_ASSIGN(Descriptor d,
                 parse_descriptor(j["layers"][i], fmt::format("manifest.layers[{}]", i)));
    m.layers.push_back(std::move(d));
  }
  if (j.contains("annotations")) m.annotations = string_map(j["annotations"]);
  return m;
}

Result<Index> parse_index(std::string_view bytes) {
  BERTH_ASSIGN(nlohmann::json j, parse_object(bytes, "index"));
  if (j.value("schemaVersion", 0) != 2)
    return fail(ErrorKind::InvalidArgument, "index: unsupported schemaVersion");
  Index x;
  x.media_type = j.value("mediaType", std::string(media::kOciIndex));
  if (!j.contains("manifests") || !j["manifests"].is_array())
    return fail(ErrorKind::InvalidArgument, "index.manifests: required");
  for (size_t i = 0; i < j["manifests"].size(); ++i) {
    BERTH_ASSIGN(Descriptor d,
                 parse_descriptor(j["manifests"][i], fmt::format("index.manifests[{}]", i)));
    x.manifests.push_back(std::move(d));
  }
  if (j.contains("annotations")) x.annotations = string_map(j["annotations"]);
  return x;
}

const nlohmann::json& ImageConfig::container_config() const {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto it = raw.find("config");
  return it != raw.end() && it->is_object() ? *it : kEmpty;
}

Result<ImageConfig> parse_config(std::string_view bytes) {
  BERTH_ASSIGN(nlohmann::json j, parse_object(bytes, "image config"));
  ImageConfig c;
  c.raw = j;
  c.architecture = j.value("architecture", "");
  c.os = j.value("os", "");
  c.created = j.value("created", "");
  c.author = j.value("author", "");
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object() || !rootfs->contains("diff_ids") ||
      !(*rootfs)["diff_ids"].is_array())
    return fail(ErrorKind::InvalidArgument, "image config: rootfs.diff_ids: required");
  for (size_t i = 0; i < (*rootfs)["diff_ids"].size(); ++i) {
    const auto& d = (*rootfs)["diff_ids"][i];
    if (!d.is_string())
      return fail(ErrorKind::InvalidArgument,
                  "image config: rootfs.diff_ids[{}]: expected a string", i);
    auto dg = content::Digest::parse(d.get<std::string>());
    if (!dg)
      return std::unexpected(std::move(dg.error()).context("image config: rootfs.diff_ids[{}]", i));
    c.diff_ids.push_back(*dg);
  }
  if (j.contains("history") && j["history"].is_array()) {
    for (const auto& h : j["history"]) {
      if (!h.is_object()) continue;
      c.history.push_back(HistoryEntry{h.value("created", ""), h.value("created_by", ""),
                                       h.value("author", ""), h.value("comment", ""),
                                       h.value("empty_layer", false)});
    }
  }
  return c;
}

content::Digest chain_id(const content::Digest& parent_chain, const content::Digest& diff_id) {
  if (parent_chain.empty()) return diff_id;
  return content::Digest::sha256_of(parent_chain.str() + " " + diff_id.str());
}

std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids) {
  std::vector<content::Digest> out;
  content::Digest parent;
  for (const auto& d : diff_ids) {
    parent = chain_id(parent, d);
    out.push_back(parent);
  }
  return out;
}

}  // namespace berth::image

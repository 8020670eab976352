// `docker image inspect` and `docker history` shapes.
#include "image/store.h"

#include "base/time.h"

namespace berth::image {

Result<nlohmann::json> Store::inspect(const std::string& name_or_id) {
  BERTH_ASSIGN(Image img, get(name_or_id));
  const auto& raw = img.config.raw;
  nlohmann::json tags = nlohmann::json::array(), digests = nlohmann::json::array();
  for (const auto& t : img.tags)
    if (auto r = parse_reference(t)) tags.push_back(r->familiar());
  for (const auto& d : img.repo_digests)
    if (auto r = parse_reference(d, false)) digests.push_back(r->familiar_name() + "@" + r->digest);
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& d : img.config.diff_ids) layers.push_back(d.str());
  nlohmann::json graph = {{"Name", driver_->name()}, {"Data", nlohmann::json::object()}};
  if (!img.record.top_chain.empty()) {
    if (auto rec = layers_->get(img.record.top_chain); rec && *rec)
      graph["Data"]["Id"] = (*rec)->cache_id;
  }
  return nlohmann::json{
      {"Id", img.record.id},
      {"RepoTags", tags},
      {"RepoDigests", digests},
      {"Parent", raw.value("parent", "")},
      {"Comment", img.config.history.empty() ? "" : img.config.history.back().comment},
      {"Created", img.config.created},
      {"Container", raw.value("container", "")},
      {"ContainerConfig", raw.value("container_config", nlohmann::json::object())},
      {"DockerVersion", raw.value("docker_version", "")},
      {"Author", img.config.author},
      {"Config", img.config.container_config()},
      {"Architecture", img.config.architecture},
      {"Os", img.config.os},
      {"Size", img.record.size},
      {"VirtualSize", img.record.size},
      {"GraphDriver", graph},
      {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
      {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
}

Result<nlohmann::json> Store::history(const std::string& name_or_id) {
  BERTH_ASSIGN(Image img, get(name_or_id));
  // Sizes belong to the history entries that made a layer, in order.
  std::vector<int64_t> sizes;
  auto chains = chain_ids(img.config.diff_ids);
  for (const auto& c : chains) {
    auto rec = layers_->get(c.str());
    sizes.push_back(rec && *rec ? (*rec)->size : 0);
  }
  nlohmann::json out = nlohmann::json::array();
  size_t layer = 0;
  const auto& hist = img.config.history;
  for (size_t i = 0; i < hist.size(); ++i) {
    int64_t size = 0;
    if (!hist[i].empty_layer && layer < sizes.size()) size = sizes[layer++];
    out.push_back({{"Id", "<missing>"},
                   // the Engine API's Created is unix seconds
                   {"Created", parse_rfc3339_ns(hist[i].created).value_or(0) / 1000000000},
                   {"CreatedBy", hist[i].created_by},
                   {"Tags", nullptr},
                   {"Size", size},
                   {"Comment", hist[i].comment}});
  }
  // Newest first, the top one carrying the image id and tags.
  std::reverse(out.begin(), out.end());
  if (!out.empty()) {
    out[0]["Id"] = img.record.id;
    nlohmann::json tags = nlohmann::json::array();
    for (const auto& t : img.tags)
      if (auto r = parse_reference(t)) tags.push_back(r->familiar());
    if (!tags.empty()) out[0]["Tags"] = tags;
  }
  return out;
}

}  // namespace berth::image

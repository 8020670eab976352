// The images part of `docker system df`: per image size, the part shared with other images,
// and the total of distinct layers.
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>

#include "image/store.h"

namespace berth::image {

namespace {

// "2024-01-02T03:04:05.123Z" or with a "+01:00" offset → unix seconds; 0 if unparsable.
int64_t unix_seconds_of(const std::string& rfc3339) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t t = timegm(&tm);
  size_t p = static_cast<size_t>(consumed);
  while (p < rfc3339.size() &&
         (rfc3339[p] == '.' || std::isdigit(static_cast<unsigned char>(rfc3339[p]))))
    ++p;
  int oh = 0, om = 0;
  if (p < rfc3339.size() && (rfc3339[p] == '+' || rfc3339[p] == '-') &&
      std::sscanf(rfc3339.c_str() + p + 1, "%2d:%2d", &oh, &om) == 2)
    t -= (rfc3339[p] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  return t;
}

}  // namespace

nlohmann::json DiskUsage::to_json() const {
  nlohmann::json imgs = nlohmann::json::array();
  for (const auto& i : images) {
    imgs.push_back({{"Id", i.id},
                    {"ParentId", ""},
                    {"RepoTags", i.repo_tags},
                    {"RepoDigests", i.repo_digests},
                    {"Created", i.created},
                    {"Size", i.size},
                    {"SharedSize", i.shared_size},
                    {"VirtualSize", i.size},
                    {"Labels", nlohmann::json::object()},
                    {"Containers", i.containers}});
  }
  return {{"LayersSize", layers_size}, {"Images", imgs}};
}

Result<DiskUsage> Store::disk_usage(const std::function<int64_t(const std::string&)>& containers) {
  DiskUsage du;
  BERTH_ASSIGN(auto layers, md_->ready_layers());
  std::map<std::string, int64_t> layer_size;
  for (const auto& l : layers) {
    layer_size[l.chain_id] = l.size;
    du.layers_size += l.size;
  }
  std::map<std::string, int64_t> rw_users;
  if (!containers) {
    BERTH_ASSIGN(auto rws, md_->container_layers());
    for (const auto& rw : rws) ++rw_users[rw.image_id];
  }
  BERTH_ASSIGN(auto images, list());
  // How many images each layer is part of: a layer in more than one is shared.
  std::vector<std::vector<content::Digest>> chains;
  std::map<std::string, int> image_refs;
  for (const auto& img : images) {
    chains.push_back(chain_ids(img.config.diff_ids));
    for (const auto& c : chains.back()) ++image_refs[c.str()];
  }
  for (size_t i = 0; i < images.size(); ++i) {
    const Image& img = images[i];
    ImageUsage u;
    u.id = img.record.id;
    for (const auto& t : img.tags)
      if (auto r = parse_reference(t)) u.repo_tags.push_back(r->familiar());
    for (const auto& d : img.repo_digests)
      if (auto r = parse_reference(d, false))
        u.repo_digests.push_back(r->familiar_name() + "@" + r->digest);
    u.created = unix_seconds_of(img.config.created);
    u.size = img.record.size;
    for (const auto& c : chains[i]) {
      auto it = layer_size.find(c.str());
      if (it != layer_size.end() && image_refs[c.str()] > 1) u.shared_size += it->second;
    }
    u.unique_size = u.size - u.shared_size;
    u.containers = containers ? containers(u.id) : rw_users[u.id];
    du.images.push_back(std::move(u));
  }
  return du;
}

}  // namespace berth::image

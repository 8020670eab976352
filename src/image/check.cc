#include "image/check.h"

#include <map>
#include <set>

namespace berth::image {

Result<std::vector<std::string>> check(Store& store) {
  std::vector<std::string> problems;
  Metadata& md = store.layers().metadata();
  storage::Driver& driver = store.driver();

  BERTH_ASSIGN(auto unfinished, md.unfinished_layers());
  for (const auto& l : unfinished) problems.push_back("unfinished layer row " + l.cache_id);

  BERTH_ASSIGN(auto ready, md.ready_layers());
  std::map<std::string, const LayerRecord*> by_chain;
  std::set<std::string> known_dirs;
  for (const auto& l : ready) {
    by_chain[l.chain_id] = &l;
    known_dirs.insert(l.cache_id);
  }
  for (const auto& l : unfinished) known_dirs.insert(l.cache_id);
  // Who should hold each layer: its children, the images on top, containers.
  std::map<std::string, int64_t> holders;
  for (const auto& l : ready) {
    if (!driver.exists(l.cache_id))
      problems.push_back(fmt::format("layer {} has no driver dir {}", l.chain_id, l.cache_id));
    if (!l.parent.empty()) {
      if (!by_chain.contains(l.parent))
        problems.push_back(fmt::format("layer {}: parent {} missing", l.chain_id, l.parent));
      ++holders[l.parent];
    }
  }
  BERTH_ASSIGN(auto containers, md.container_layers());
  for (const auto& c : containers) {
    known_dirs.insert(c.id);
    if (!c.parent_chain.empty()) ++holders[c.parent_chain];
  }

  BERTH_ASSIGN(auto images, md.images());
  for (const auto& rec : images) {
    if (!rec.top_chain.empty()) ++holders[rec.top_chain];
    auto img = store.get(rec.id);
    if (!img) {
      problems.push_back(fmt::format("image {}: {}", rec.id, img.error().message()));
      continue;
    }
    auto want = chain_ids(img->config.diff_ids);
    // Walk down from the top: the chain must be exactly what the config names.
    std::vector<std::string> have;
    for (std::string c = rec.top_chain; !c.empty();) {
      auto it = by_chain.find(c);
      if (it == by_chain.end()) {
        problems.push_back(fmt::format("image {}: layer {} missing", rec.id, c));
        break;
      }
      have.insert(have.begin(), c);
      c = it->second->parent;
    }
    bool same = have.size() == want.size();
    for (size_t i = 0; same && i < want.size(); ++i) same = have[i] == want[i].str();
    if (!same)
      problems.push_back(fmt::format("image {}: {} layers present, config names {}", rec.id,
                                     have.size(), want.size()));
  }

  for (const auto& l : ready) {
    int64_t want = holders.contains(l.chain_id) ? holders[l.chain_id] : 0;
    if (l.refcount != want)
      problems.push_back(
          fmt::format("layer {}: refcount {}, held {} times", l.chain_id, l.refcount, want));
  }

  BERTH_ASSIGN(auto dirs, driver.list());
  for (const auto& d : dirs)
    if (!known_dirs.contains(d)) problems.push_back("driver dir without a layer: " + d);

  BERTH_ASSIGN(auto blobs, md.all_layer_blobs());
  for (const auto& b : blobs) {
    auto d = content::Digest::parse(b.digest);
    if (!d || !store.blobs().exists(*d))
      problems.push_back(fmt::format("layer {}: blob {} missing", b.diff_id, b.digest));
  }
  return problems;
}

}  // namespace berth::image

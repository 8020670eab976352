// Store::reconcile_layers: refcounts recomputed from what really holds each layer.
#include <map>

#include "base/log.h"
#include "image/store.h"

namespace berth::image {

Status Store::reconcile_layers() {
  BERTH_ASSIGN(auto ready, md_->ready_layers());
  std::map<std::string, const LayerRecord*> by_chain;
  std::map<std::string, int64_t> holders;
  for (const auto& l : ready) {
    by_chain[l.chain_id] = &l;
    holders.try_emplace(l.chain_id, 0);
  }
  for (const auto& l : ready)
    if (!l.parent.empty()) ++holders[l.parent];
  BERTH_ASSIGN(auto containers, md_->container_layers());
  for (const auto& c : containers)
    if (!c.parent_chain.empty()) ++holders[c.parent_chain];
  BERTH_ASSIGN(auto images, md_->images());
  for (const auto& img : images)
    if (!img.top_chain.empty()) ++holders[img.top_chain];

  return md_->db().transaction([&]() -> Status {
    for (const auto& l : ready) {
      if (l.refcount != holders[l.chain_id]) {
        log::warn("layer {}: refcount {} but held {} times; corrected", l.chain_id, l.refcount,
                  holders[l.chain_id]);
        BERTH_TRY(md_->set_layer_refcount(l.chain_id, holders[l.chain_id]));
      }
    }
    // Layers nobody holds (left by a crash between making a layer and recording its image):
    // removed from the top down, each removal freeing its parent.
    bool removed = true;
    while (removed) {
      removed = false;
      for (auto& [chain, count] : holders) {
        if (count != 0 || !by_chain.contains(chain)) continue;
        const LayerRecord* l = by_chain[chain];
        log::warn("removing layer {}, which nothing holds", chain);
        if (driver_->exists(l->cache_id)) BERTH_TRY(driver_->remove(l->cache_id));
        BERTH_TRY(md_->drop_layer_row(l->cache_id));
        by_chain.erase(chain);
        count = -1;
        if (!l->parent.empty() && holders[l->parent] > 0) {
          --holders[l->parent];
          BERTH_TRY(md_->set_layer_refcount(l->parent, holders[l->parent]));
        }
        removed = true;
      }
    }
    return ok();
  });
}

}  // namespace berth::image

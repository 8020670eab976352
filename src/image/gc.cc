// Content GC: blobs that no image (config) and no present layer (layer_blobs of its diff id)
// refers to are garbage.
#include <set>

#include "base/log.h"
#include "image/store.h"

namespace berth::image {

Result<uint64_t> Store::gc_content() {
  std::set<content::Digest> keep;
  BERTH_ASSIGN(auto images, md_->images());
  for (const auto& img : images) {
    BERTH_ASSIGN(content::Digest d, content::Digest::parse(img.id));
    keep.insert(d);
  }
  // Layers, not images: a layer outlives its images while a child layer or a container's RW
  // layer holds it, and its blob is what save/commit send out for it.
  BERTH_ASSIGN(auto layers, md_->ready_layers());
  std::set<std::string> live_diffs;
  for (const auto& l : layers) live_diffs.insert(l.diff_id);
  BERTH_ASSIGN(auto kept, md_->all_layer_blobs());
  for (const auto& b : kept) {
    if (!live_diffs.contains(b.diff_id)) continue;
    BERTH_ASSIGN(content::Digest d, content::Digest::parse(b.digest));
    keep.insert(d);
  }
  BERTH_ASSIGN(uint64_t freed, blobs_->gc(keep));
  // Rows for layers that are gone would name blobs we just removed.
  for (const auto& b : kept)
    if (!live_diffs.contains(b.diff_id)) BERTH_TRY(md_->drop_layer_blob(b.diff_id, b.digest));
  if (freed) log::debug("content gc freed {} bytes", freed);
  return freed;
}

}  // namespace berth::image

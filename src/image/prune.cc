// `docker image prune`: removes untagged images (or, with -a, every image no container uses)
// and reports the layers that went with them.
#include <map>
#include <set>

#include "base/background_removal.h"
#include "image/store.h"

namespace berth::image {

nlohmann::json PruneReport::to_json() const {
  nlohmann::json deleted = nlohmann::json::array();
  for (const auto& i : items) {
    if (!i.untagged.empty())
      deleted.push_back({{"Untagged", i.untagged}});
    else
      deleted.push_back({{"Deleted", i.deleted}});
  }
  return {{"ImagesDeleted", items.empty() ? nlohmann::json(nullptr) : deleted},
          {"SpaceReclaimed", space_reclaimed}};
}

Result<PruneReport> Store::prune(bool all, const std::function<bool(const std::string&)>& in_use) {
  PruneReport report;
  drain_background_removals();  // layers of removed containers still queued go first
  BERTH_ASSIGN(auto images, md_->images());
  // Images under our own container layers are in use whatever the caller knows.
  std::set<std::string> used;
  BERTH_ASSIGN(auto rws, md_->container_layers());
  for (const auto& rw : rws) used.insert(rw.image_id);

  for (const auto& img : images) {
    if (used.contains(img.id) || (in_use && in_use(img.id))) continue;
    // Docker's "dangling": no tag. An image known only by digest goes too.
    BERTH_ASSIGN(auto tags, md_->tags_of(img.id));
    if (!all && !tags.empty()) continue;

    // Which layers this removal frees: those present before and gone after.
    BERTH_ASSIGN(auto before, md_->ready_layers());
    auto removed = remove(img.id, true, nullptr);
    if (!removed) return std::unexpected(std::move(removed).error());
    for (const auto& u : removed->untagged) report.items.push_back({u, ""});
    for (const auto& d : removed->deleted) report.items.push_back({"", d});
    for (const auto& l : before) {
      BERTH_ASSIGN(auto still, md_->layer_by_chain(l.chain_id));
      if (still) continue;
      report.items.push_back({"", l.chain_id});
      report.space_reclaimed += static_cast<uint64_t>(l.size);
    }
  }
  if (!report.items.empty()) BERTH_TRY(gc_content());
  return report;
}

}  // namespace berth::image

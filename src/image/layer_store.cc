#include "image/layer_store.h"

#include <fcntl.h>

#include <random>

#include "base/log.h"
#include "image/manifest.h"

namespace berth::image {

namespace {
std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kHex[rng() % 16];
  return s;
}
}  // namespace

Status LayerStore::recover() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN(auto unfinished, md_.unfinished_layers());
  for (const auto& l : unfinished) {
    log::warn("removing layer {} left unfinished by a crash", l.cache_id);
    if (driver_.exists(l.cache_id)) BERTH_TRY(driver_.remove(l.cache_id));
    BERTH_TRY(md_.drop_layer_row(l.cache_id));
  }
  return ok();
}

Result<std::string> LayerStore::cache_id_of(const std::string& chain_id) {
  if (chain_id.empty()) return std::string();
  BERTH_ASSIGN(auto rec, md_.layer_by_chain(chain_id));
  if (!rec || !rec->ready) return fail(ErrorKind::NotFound, "layer {} does not exist", chain_id);
  return rec->cache_id;
}

Result<LayerRecord> LayerStore::register_blob(const content::Digest& blob,
                                              const std::string& media_type,
                                              const std::string& parent_chain,
                                              const std::string& expected_diff_id) {
  std::string parent_cache;
  {
    std::lock_guard lock(mu_);
    if (!expected_diff_id.empty()) {
      BERTH_ASSIGN(auto want, content::Digest::parse(expected_diff_id));
      content::Digest parent;
      if (!parent_chain.empty()) {
        BERTH_ASSIGN(parent, content::Digest::parse(parent_chain));
      }
      std::string chain = chain_id(parent, want).str();
      BERTH_ASSIGN(auto existing, md_.layer_by_chain(chain));
      if (existing && existing->ready) {
        BERTH_ASSIGN(existing->refcount, md_.ref_layer(chain, 1));
        return *existing;
      }
    }
    BERTH_ASSIGN(parent_cache, cache_id_of(parent_chain));
  }
  // The row exists before the driver dir: after a crash, recover() finds and removes both.
  const std::string cache_id = random_hex(64);
  BERTH_TRY(md_.begin_layer(cache_id, parent_chain));
  bool done = false;
  Defer undo([&] {
    if (done) return;
    if (driver_.exists(cache_id)) (void)driver_.remove(cache_id);
    (void)md_.drop_layer_row(cache_id);
  });
  BERTH_TRY(driver_.create(cache_id, parent_cache, false));
  BERTH_ASSIGN(UniqueFd fd, blobs_.open_blob(blob));
  auto applied = driver_.apply_diff(cache_id, fd.get());
  if (!applied)
    return std::unexpected(std::move(applied.error()).context("apply layer {}", blob.short_id()));
  const std::string diff_id = applied->diff_id.str();
  if (!expected_diff_id.empty() && diff_id != expected_diff_id)
    return fail(ErrorKind::InvalidArgument, "layer {}: diff id mismatch: expected {}, got {}",
                blob.str(), expected_diff_id, diff_id);
  content::Digest parent;
  if (!parent_chain.empty()) {
    BERTH_ASSIGN(parent, content::Digest::parse(parent_chain));
  }
  const std::string chain = chain_id(parent, applied->diff_id).str();

  std::lock_guard lock(mu_);
  BERTH_ASSIGN(auto existing, md_.layer_by_chain(chain));
  if (existing && existing->ready) {
    // Someone registered the same layer meanwhile: keep theirs.
    BERTH_ASSIGN(existing->refcount, md_.ref_layer(chain, 1));
    return *existing;
  }
  BERTH_TRY(md_.finish_layer(cache_id, chain, diff_id, static_cast<int64_t>(applied->size)));
  BERTH_ASSIGN(int64_t refs, md_.ref_layer(chain, 1));
  BERTH_ASSIGN(uint64_t blob_size, blobs_.size(blob));
  BERTH_TRY(md_.add_layer_blob(
      LayerBlob{diff_id, blob.str(), media_type, static_cast<int64_t>(blob_size)}));
  done = true;
  return LayerRecord{cache_id, chain, parent_chain, diff_id, static_cast<int64_t>(applied->size),
                     true,     refs};
}

Result<std::optional<LayerRecord>> LayerStore::get(const std::string& chain_id) {
  std::lock_guard lock(mu_);
  return md_.layer_by_chain(chain_id);
}

Status LayerStore::retain(const std::string& chain_id) {
  std::lock_guard lock(mu_);
  BERTH_TRY(md_.ref_layer(chain_id, 1));
  return ok();
}

Status LayerStore::release(const std::string& chain_id) {
  std::lock_guard lock(mu_);
  std::string chain = chain_id;
  while (!chain.empty()) {
    BERTH_ASSIGN(int64_t refs, md_.ref_layer(chain, -1));
    if (refs > 0) break;
    BERTH_ASSIGN(auto rec, md_.layer_by_chain(chain));
    if (!rec) break;
    BERTH_TRY(driver_.remove(rec->cache_id));
    BERTH_TRY(md_.drop_layer_row(rec->cache_id));
    chain = rec->parent;  // the removed layer held a reference on its parent
  }
  return ok();
}

Status LayerStore::create_rw(const std::string& rw_id, const std::string& parent_chain) {
  std::string parent_cache;
  {
    std::lock_guard lock(mu_);
    BERTH_ASSIGN(parent_cache, cache_id_of(parent_chain));
    if (!parent_chain.empty()) BERTH_TRY(md_.ref_layer(parent_chain, 1));
  }
  auto st = driver_.create(rw_id, parent_cache, true);
  if (!st && !parent_chain.empty()) (void)release(parent_chain);
  return st;
}

Status LayerStore::remove_rw(const std::string& rw_id, const std::string& parent_chain) {
  if (driver_.exists(rw_id)) BERTH_TRY(driver_.remove(rw_id));
  if (!parent_chain.empty()) return release(parent_chain);
  return ok();
}

}  // namespace berth::image

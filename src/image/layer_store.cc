#include "image/layer_store.h"

#include <fcntl.h>

#include <random>

#include "base/log.h"
#include "image/manifest.h"
#include "image/parallel.h"

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
    // Unconditionally: a dir cut short before its diff/ was made does not count as exists().
    BERTH_TRY(driver_.remove(l.cache_id));
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

Status LayerStore::register_stack(const std::vector<StackLayer>& layers, const RecordFn& record) {
  const size_t n = layers.size();
  std::vector<content::Digest> diffs;
  for (const auto& l : layers) {
    BERTH_ASSIGN(content::Digest d, content::Digest::parse(l.diff_id));
    diffs.push_back(std::move(d));
  }
  const std::vector<content::Digest> chains = chain_ids(diffs);
  std::vector<LayerRecord> recs(n);
  size_t first = 0;  // the lowest layer not present yet; all above it are missing too
  {
    std::unique_lock lock(mu_);
    for (;;) {
      for (first = 0; first < n; ++first) {
        BERTH_ASSIGN(auto rec, md_.layer_by_chain(chains[first].str()));
        if (!rec || !rec->ready) break;
        recs[first] = *rec;
      }
      bool busy = false;
      for (size_t i = first; i < n; ++i) busy = busy || building_.contains(chains[i].str());
      if (!busy) break;
      // Another load in this process is making some of these layers: reuse what it makes.
      building_cv_.wait(lock);
    }
    if (first == n) return md_.db().transaction([&] { return record(recs); });
    for (size_t i = first; i < n; ++i) building_.insert(chains[i].str());
  }
  Defer unmark([&] {
    std::lock_guard lock(mu_);
    for (size_t i = first; i < n; ++i) building_.erase(chains[i].str());
    building_cv_.notify_all();
  });
  std::vector<std::string> cache(n);
  bool done = false;
  Defer undo([&] {
    if (done) return;
    // Children first: a full-copy driver's layer is the parent of the next one.
    for (size_t i = n; i-- > first;)
      if (!cache[i].empty()) (void)driver_.remove(cache[i]);
    {
      std::lock_guard lock(mu_);
      for (size_t i = first; i < n; ++i)
        if (!cache[i].empty()) (void)md_.drop_layer_row(cache[i]);
    }
  });
  {
    // The rows exist before the driver dirs: after a crash, recover() finds and removes both.
    std::lock_guard lock(mu_);
    BERTH_TRY(md_.db().transaction([&]() -> Status {
      for (size_t i = first; i < n; ++i) {
        cache[i] = random_hex(64);
        BERTH_TRY(md_.begin_layer(cache[i], i > 0 ? chains[i - 1].str() : ""));
      }
      return ok();
    }));
  }

  std::vector<std::optional<Result<archive::ApplyResult>>> applied(n);
  auto apply = [&](size_t i) {
    Result<UniqueFd> fd = std::unexpected(Error(ErrorKind::Internal, "unset"));
    if (layers[i].source.empty()) {
      fd = blobs_.open_blob(layers[i].blob);
    } else {
      UniqueFd f(::open(layers[i].source.c_str(), O_RDONLY | O_CLOEXEC));
      fd = f ? Result<UniqueFd>(std::move(f)) : sys_fail("open {}", layers[i].source);
    }
    if (!fd) {
      applied[i] = std::unexpected(std::move(fd).error());
      return false;
    }
    // Synced once for the whole stack below.
    applied[i] = driver_.apply_diff_unsynced(cache[i], fd->get());
    return applied[i]->has_value();
  };
  auto create = [&](size_t i) {
    std::string parent = i == 0 ? "" : i == first ? recs[i - 1].cache_id : cache[i - 1];
    return driver_.create(cache[i], parent, false);
  };
  if (driver_.independent_layers()) {
    // A child's create only needs its parent's dir to exist, not its contents.
    for (size_t i = first; i < n; ++i) BERTH_TRY(create(i));
    const size_t count = n - first;
    parallel_for(count, worker_count(count), [&](size_t k) { return apply(first + k); });
  } else {
    for (size_t i = first; i < n; ++i) {
      BERTH_TRY(create(i));
      if (!apply(i)) break;
    }
  }
  for (size_t i = first; i < n; ++i) {
    if (!applied[i]) continue;  // not started: a failure elsewhere stopped the others
    if (!*applied[i])
      return std::unexpected(
          std::move(*applied[i]).error().context("apply layer {}", layers[i].blob.short_id()));
    if ((*applied[i])->diff_id != diffs[i])
      return fail(ErrorKind::InvalidArgument, "layer {}: diff id mismatch: expected {}, got {}",
                  layers[i].blob.str(), diffs[i].str(), (*applied[i])->diff_id.str());
  }
  BERTH_TRY(driver_.sync());

  std::lock_guard lock(mu_);
  BERTH_TRY(md_.db().transaction([&]() -> Status {
    // The layers are synced by now, and their source files with them (same filesystem; else
    // publish_synced syncs theirs): only now may those blobs appear under their digests.
    for (size_t i = 0; i < n; ++i) {
      if (layers[i].source.empty()) continue;
      // An unverified digest is never published: only layers applied here proved theirs.
      if (layers[i].digest_from_diff_id && i < first) continue;
      BERTH_TRY(blobs_.publish_synced(layers[i].source, layers[i].blob));
    }
    // The layer we built on is not held while we worked (a hold would leak if we crashed):
    // if it went meanwhile, give up rather than record children of a missing parent.
    if (first > 0) {
      BERTH_ASSIGN(auto base, md_.layer_by_chain(chains[first - 1].str()));
      if (!base || !base->ready)
        return fail(ErrorKind::Conflict, "layer {} was removed during the load",
                    chains[first - 1].str());
    }
    for (size_t i = first; i < n; ++i) {
      const auto size = static_cast<int64_t>((*applied[i])->size);
      BERTH_TRY(md_.mark_layer_ready(cache[i], chains[i].str(), diffs[i].str(), size));
      BERTH_ASSIGN(uint64_t blob_size, blobs_.size(layers[i].blob));
      BERTH_TRY(
          md_.add_layer_blob(LayerBlob{diffs[i].str(), layers[i].blob.str(), layers[i].media_type,
                                       static_cast<int64_t>(blob_size)}));
      recs[i] = LayerRecord{
          cache[i], chains[i].str(),  i > 0 ? chains[i - 1].str() : "", diffs[i].str(), size,
          true,     i + 1 < n ? 1 : 0};
    }
    return record(recs);
  }));
  done = true;
  return ok();
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
  return release_locked(chain_id);
}

Status LayerStore::release_locked(const std::string& chain_id) {
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

Status LayerStore::create_rw(const std::string& rw_id, const std::string& parent_chain,
                             const std::function<Status()>& record, bool durable) {
  // The lock keeps the parent from being released between the dir and the reference; a
  // crash between them leaves only an unreferenced dir.
  std::lock_guard lock(mu_);
  BERTH_ASSIGN(std::string parent_cache, cache_id_of(parent_chain));
  BERTH_TRY(driver_.create(rw_id, parent_cache, true));
  auto st = md_.db().transaction(
      [&]() -> Status {
        if (!parent_chain.empty()) BERTH_TRY(md_.ref_layer(parent_chain, 1));
        return record();
      },
      durable);
  if (!st) (void)driver_.remove(rw_id);
  return st;
}

Status LayerStore::remove_rw(const std::string& rw_id, const std::string& parent_chain,
                             const std::function<Status()>& forget) {
  std::lock_guard lock(mu_);
  if (driver_.exists(rw_id)) BERTH_TRY(driver_.remove(rw_id));
  return md_.db().transaction([&]() -> Status {
    BERTH_TRY(forget());
    return parent_chain.empty() ? ok() : release_locked(parent_chain);
  });
}

}  // namespace berth::image

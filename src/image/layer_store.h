// Layers by chain ID on top of a storage driver, with their metadata and original blobs.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "base/error.h"
#include "content/store.h"
#include "image/metadata.h"
#include "storage/driver.h"

namespace berth::image {

class LayerStore {
 public:
  LayerStore(Metadata& md, storage::Driver& driver, content::Store& blobs)
      : md_(md), driver_(driver), blobs_(blobs) {}

  // Removes layers a crash left half-made (rows not marked ready, and their driver dirs).
  Status recover();

  // Registers the layer held in content blob `blob` (a layer tar, any compression) on top of
  // `parent_chain` ("" for a base layer). When expected_diff_id is set and the resulting layer
  // already exists, nothing is applied. The diff id is verified against expected_diff_id.
  // Returns the layer with one reference taken for the caller.
  Result<LayerRecord> register_blob(const content::Digest& blob, const std::string& media_type,
                                    const std::string& parent_chain,
                                    const std::string& expected_diff_id);
  Result<std::optional<LayerRecord>> get(const std::string& chain_id);
  Status retain(const std::string& chain_id);
  // Drops one reference; a layer nobody holds is removed, then its parent is released.
  Status release(const std::string& chain_id);

  // A container's read-write layer on top of an image's top layer ("" for none).
  Status create_rw(const std::string& rw_id, const std::string& parent_chain);
  Status remove_rw(const std::string& rw_id, const std::string& parent_chain);

  storage::Driver& driver() { return driver_; }
  content::Store& blobs() { return blobs_; }
  Metadata& metadata() { return md_; }

 private:
  Result<std::string> cache_id_of(const std::string& chain_id);
  Metadata& md_;
  storage::Driver& driver_;
  content::Store& blobs_;
  std::mutex mu_;
};

}  // namespace berth::image

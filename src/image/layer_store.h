// Layers by chain ID on top of a storage driver, with their metadata and original blobs.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
  // One layer of an image: its blob and the diff id the image config names.
  struct StackLayer {
    content::Digest blob;
    std::string media_type;
    std::string diff_id;
    // Read the layer from this file instead of the content store (a load publishes its
    // blobs only after the layers are synced, see Store::load).
    std::string source;
    // The blob digest was taken from the diff id, not computed: it is only known to be true
    // once this layer has been applied (an uncompressed tar's digest is its diff id).
    bool digest_from_diff_id = false;
  };
  // Runs inside the transaction that records the new layers, with every layer of the stack
  // (bottom first): the caller records what holds the top layer (an image row and its
  // reference), so a crash leaves both or neither.
  using RecordFn = std::function<Status(const std::vector<LayerRecord>&)>;
  // Registers an image's layers, bottom first. Layers already present are reused; the missing
  // ones are extracted (concurrently when the driver's layers are independent), made durable
  // with one sync, then recorded in order together with `record`. No reference is taken for
  // the caller beyond what `record` takes. On failure nothing new is left behind.
  Status register_stack(const std::vector<StackLayer>& layers, const RecordFn& record);
  Result<std::optional<LayerRecord>> get(const std::string& chain_id);
  Status retain(const std::string& chain_id);
  // Drops one reference; a layer nobody holds is removed, then its parent is released.
  Status release(const std::string& chain_id);

  // A container's read-write layer on top of an image's top layer ("" for none). `record`
  // (the container layer's row) commits in one transaction with the parent's reference, and
  // `forget` with its release: one fsync of the metadata each, not two (none for create_rw
  // when not `durable`).
  Status create_rw(const std::string& rw_id, const std::string& parent_chain,
                   const std::function<Status()>& record, bool durable = true);
  Status remove_rw(const std::string& rw_id, const std::string& parent_chain,
                   const std::function<Status()>& forget);

  storage::Driver& driver() { return driver_; }
  content::Store& blobs() { return blobs_; }
  Metadata& metadata() { return md_; }

 private:
  Status release_locked(const std::string& chain_id);  // with mu_ held
  Result<std::string> cache_id_of(const std::string& chain_id);
  Metadata& md_;
  storage::Driver& driver_;
  content::Store& blobs_;
  std::mutex mu_;
  // Chain ids register_stack is creating; others wanting them wait on building_cv_.
  std::set<std::string> building_;
  std::condition_variable building_cv_;
};

}  // namespace berth::image

// The content store: immutable blobs kept under their digest, verified on write, written
// atomically (temp file, fsync, rename), so a crash never leaves a half blob under a digest.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "content/digest.h"

namespace berth::content {

class Store;

// Streams one blob in; commit() verifies size/digest and publishes it.
class Writer {
 public:
  Writer(Writer&&) noexcept;
  ~Writer();  // an uncommitted writer removes its temp file
  Status write(const void* data, size_t n);
  // expected: empty → accept whatever digest the data has. Returns the digest.
  Result<Digest> commit(const Digest& expected = {}, int64_t expected_size = -1);
  uint64_t size() const;

 private:
  friend class Store;
  Writer(std::string root, UniqueFd lock, UniqueFd fd, std::string tmp, std::string_view algorithm);
  // The store root rather than a Store*: a Store is a value and may move while we write.
  std::string root_;
  UniqueFd lock_;  // shared lock on <root>/ingest.lock: tells Store::open our temp is live
  UniqueFd fd_;
  std::string tmp_;
  Hasher hasher_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

class Store {
 public:
  // Creates <root>/blobs/<alg>/ and <root>/ingest/ as needed; removes stale ingest files.
  static Result<Store> open(const std::string& root);

  Result<Writer> writer(std::string_view algorithm = "sha256") const;
  // Whole-buffer convenience (manifests, configs).
  Result<Digest> put(std::string_view data, const Digest& expected = {}) const;
  // Takes in a regular file that is already on the store's filesystem (e.g. extracted under
  // the data root) without copying it: hashes it, checks `expected` if set, makes it read-only,
  // fsyncs it and hard-links it into blobs/. The caller removes `path` when done with it and
  // must not write to it. Copies instead across filesystems.
  Result<Digest> adopt(const std::string& path, const Digest& expected = {}) const;
  // adopt in two steps, so a caller that makes data durable anyway (one syncfs for a whole
  // image load) pays no fsync per blob: hash_file verifies a file without storing it;
  // publish_synced links it in under `d` once its data is on disk (it runs a syncfs of the
  // file's filesystem, cheap when the caller just did one there).
  Result<Digest> hash_file(const std::string& path, const Digest& expected = {}) const;
  Status publish_synced(const std::string& path, const Digest& d) const;
  Result<std::string> get(const Digest& d) const;
  Result<UniqueFd> open_blob(const Digest& d) const;
  bool exists(const Digest& d) const;
  Result<uint64_t> size(const Digest& d) const;
  std::string path(const Digest& d) const;
  Status remove(const Digest& d) const;
  Result<std::vector<Digest>> list() const;
  // Removes every blob not in `keep`; returns how many bytes were freed.
  Result<uint64_t> gc(const std::set<Digest>& keep) const;
  const std::string& root() const { return root_; }

 private:
  explicit Store(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace berth::content

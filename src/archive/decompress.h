// The layer byte stream: detects gzip/zstd/plain from the magic bytes and yields the
// uncompressed tar, hashing it on the way (the hash is the layer's diff_id).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "base/error.h"
#include "content/digest.h"

namespace berth::archive {

enum class Compression { None, Gzip, Zstd };

class Decompressor {
 public:
  explicit Decompressor(int fd);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  // The next chunk of uncompressed data, valid until the next call; empty at the end.
  // A stream that stops before its compressed end is an "unexpected EOF" error.
  Result<std::span<const uint8_t>> read();
  // Reads (and hashes) the rest, so the digest covers what follows the tar's end too.
  Status drain();
  // sha256 of all uncompressed bytes; call once, after drain().
  content::Digest digest();
  uint64_t total() const;
  Compression compression() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::archive

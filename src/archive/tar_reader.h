// libarchive reading a tar out of a Decompressor through custom callbacks, so the bytes it
// parses are exactly the bytes hashed into the diff_id.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "archive/decompress.h"
#include "base/error.h"

struct archive;
struct archive_entry;

namespace berth::archive {

class TarReader {
 public:
  static Result<std::unique_ptr<TarReader>> open(Decompressor& src);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next entry (valid until the next call), or nullptr after the last one.
  Result<archive_entry*> next();

  struct Block {
    const void* data;
    size_t size;
    int64_t offset;  // sparse entries skip holes
  };
  // The next block of the current entry's data; nullopt at its end.
  Result<std::optional<Block>> read_block();

 private:
  explicit TarReader(Decompressor& src) : src_(src) {}
  static ssize_t read_cb(struct archive* a, void* ctx, const void** buf);
  // The failure libarchive reports, or the stream error behind it.
  Error error() const;

  struct archive* a_ = nullptr;
  Decompressor& src_;
  std::optional<Error> src_error_;
};

}  // namespace berth::archive

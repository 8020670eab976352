// Helpers for the archive tests: scratch dirs, hand-made tars (full control over hostile
// headers), compression, and tree listings.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "archive/apply.h"
#include "base/error.h"
#include "temp_dir.h"

namespace berth::archive::test_support {

using TempDir = test_util::TempDir;

struct TarEntry {
  std::string name;
  char type =
      '0';  // ustar typeflag: '0' file, '1' hardlink, '2' symlink, '3' chr, '4' blk, '5' dir
  std::string data;
  std::string link;
  int mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  unsigned devmajor = 0;
  unsigned devminor = 0;
  // Overrides the size field (written as 11 octal digits); data is written as given.
  int64_t size_override = -1;
};

// One 512-byte ustar header (names up to 100 bytes).
std::string ustar_header(const TarEntry& e);
// Headers and padded data; `end` appends the two zero blocks.
std::string make_tar(const std::vector<TarEntry>& entries, bool end = true);

std::string gzip(const std::string& data);
std::string zstd(const std::string& data);

// Runs apply_layer on bytes (through a memfd).
Result<ApplyResult> apply_bytes(const std::string& bytes, const std::string& dir,
                                const ApplyOptions& opts = {});
// A memfd's whole content.
std::string read_fd(int fd);
int make_memfd();

void write_file(const std::string& path, const std::string& data, int mode = 0644);
std::string read_file(const std::string& path);

// "path type mode uid:gid size [content|target]" for every entry under root (recursively,
// sorted), skipping the subtree `skip` (absolute path).
std::vector<std::string> listing(const std::string& root, const std::string& skip = "");

// Names of the entries of a tar, in order ("d/" for dirs, "h -> t" for hardlinks).
std::vector<std::string> tar_names(const std::string& tar);

}  // namespace berth::archive::test_support

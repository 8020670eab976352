// Writing a layer tar (PAX, deterministic: no atime/ctime, no user names, mtimes in whole
// seconds as Docker writes them) to an fd, hashing the bytes as they go out.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "archive/changes.h"
#include "base/error.h"
#include "content/digest.h"

struct archive;

namespace berth::archive {

class TarWriter {
 public:
  static Result<std::unique_ptr<TarWriter>> open(int out_fd);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Adds rel (relative to rootfd) as found there; nothing on the way is followed. A second
  // name of an inode already written becomes a hardlink entry. Sockets are skipped.
  Status add(int rootfd, const std::string& rel);
  // The same with the parent already open (a tree walk): base is rel's last component.
  Status add_at(int pfd, const std::string& base, const std::string& rel);
  // An empty ".wh.<name>" entry in parent: name was deleted.
  Status add_whiteout(const std::string& parent, const std::string& name);
  // Writes the end-of-archive blocks and flushes.
  Result<TarResult> finish();

 private:
  explicit TarWriter(int fd) : fd_(fd) {}
  static ssize_t write_cb(struct archive* a, void* ctx, const void* buf, size_t n);
  Status flush();
  Error error(std::string_view what) const;

  struct archive* a_ = nullptr;
  int fd_;
  content::Hasher hasher_{"sha256"};
  uint64_t size_ = 0;
  std::vector<char> buf_;
  std::optional<Error> write_error_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace berth::archive

// Creates the entries of one layer tar under a directory, confined to it: every parent is
// resolved relative to the root fd without following symlinks planted by the tar, and
// every final component is created with *at calls that do not follow it either.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "archive/apply.h"
#include "archive/tar_reader.h"
#include "archive/xattrs.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::archive {

// What a tar header says about an entry, beyond its name and type.
struct EntryMeta {
  mode_t perm = 0;  // 07777 bits
  uid_t uid = 0;
  gid_t gid = 0;
  timespec atime{};
  timespec mtime{};
  dev_t rdev = 0;
  int64_t size = 0;
  Xattrs xattrs;
};

class Extractor {
 public:
  Extractor(int rootfd, const ApplyOptions& opts) : root_(rootfd), opts_(opts) {}

  // Applies one entry; the error names it: `layer entry "../x": path escapes the layer`.
  Status apply(TarReader& reader, archive_entry* e);
  // Sets directory mtimes last, since creating their children changed them.
  Status finish();
  uint64_t bytes_written() const { return written_; }

 private:
  Status apply_entry(TarReader& reader, archive_entry* e, const std::string& name);

  // Parent dirs (extractor.cc). parent_fd caches the last one; the fd is borrowed.
  Result<int> parent_fd(const std::string& rel, bool create);
  Result<UniqueFd> resolve_dir(const std::string& rel, bool create);
  // Drops the cached parent if rel (just removed) was it or one of its ancestors.
  void invalidate(const std::string& rel);
  // Clears the slot for a new entry: removes what is there unless both are directories.
  // Returns true if an existing directory was kept (Docker merges directories).
  Result<bool> make_room(int pfd, const std::string& rel, const std::string& base, bool dir);
  void mark_unpacked(const std::string& rel);

  // Entry kinds (restore.cc).
  Status make_file(TarReader& reader, int pfd, const std::string& rel, const std::string& base,
                   const EntryMeta& m);
  Status make_dir(int pfd, const std::string& rel, const std::string& base, const EntryMeta& m);
  Status make_symlink(int pfd, const std::string& rel, const std::string& base, const char* target,
                      const EntryMeta& m);
  Status make_hardlink(int pfd, const std::string& rel, const std::string& base,
                       const char* target);
  Status make_node(int pfd, const std::string& rel, const std::string& base, mode_t type,
                   const EntryMeta& m);
  Status restore_root(const EntryMeta& m);
  // Owner, xattrs, mode (after chown, which clears setuid bits), through an open fd.
  Status set_meta_fd(int fd, const EntryMeta& m);
  // The same for an entry that cannot be opened (symlink, device, fifo).
  Status set_meta_at(int pfd, const std::string& base, const EntryMeta& m, bool chmod);

  // Whiteouts (whiteouts.cc).
  Status whiteout(const std::string& parent, const std::string& base, const EntryMeta& m);
  // Delete mode, opaque dir: removes what this layer did not create.
  Status clear_lower(int dfd, const std::string& rel);

  int root_;
  ApplyOptions opts_;
  uint64_t written_ = 0;
  std::string cache_path_;
  UniqueFd cache_fd_;
  // Symlinks this tar created: a later entry may never go through one.
  std::unordered_set<std::string> planted_;
  // Delete mode: paths this tar created (and their parents), kept by an opaque whiteout.
  std::unordered_set<std::string> unpacked_;
  struct DirTimes {
    std::string rel;
    timespec times[2];
  };
  std::vector<DirTimes> dir_times_;
};

}  // namespace berth::archive

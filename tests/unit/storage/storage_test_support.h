// Helpers for the storage driver tests: scratch dirs, a loop-mounted btrfs, small trees and
// layer tars, and tree descriptions to compare views.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "temp_dir.h"

namespace berth::storage::testing {

using ScratchDir = test_util::TempDir;
using test_util::unmount_below;
// Mount points at or below dir.
std::vector<std::string> mounts_below(const std::string& dir);

// A 512MB sparse file formatted with mkfs.btrfs, on a loop device, mounted at `mnt`.
// Teardown (destructor) unmounts, detaches and deletes whatever setup got to.
class BtrfsLoop {
 public:
  BtrfsLoop() = default;
  ~BtrfsLoop();
  BtrfsLoop(const BtrfsLoop&) = delete;
  BtrfsLoop& operator=(const BtrfsLoop&) = delete;
  // Empty on success, else why btrfs can't be had here (the test then skips).
  std::string setup(const std::string& dir);
  const std::string& mount_point() const { return mnt_; }

 private:
  std::string image_, mnt_, loop_dev_;
  UniqueFd loop_;
  bool mounted_ = false;
};

// Writes a file (creating parents as 0755 dirs) with mode and owner.
void put_file(const std::string& path, const std::string& data, mode_t mode = 0644, uid_t uid = 0,
              gid_t gid = 0);
void put_dir(const std::string& path, mode_t mode = 0755, uid_t uid = 0, gid_t gid = 0);
std::string slurp(const std::string& path);

// A memfd holding the tar of a whole tree (archive::write_tree_tar), rewound.
UniqueFd tree_tar(const std::string& dir);

// Hand-made tar entries, for whiteouts and such that a tree can't express.
struct TarEntry {
  char type;  // 'f' file, 'd' dir, 'l' symlink, 'h' hardlink
  std::string path;
  std::string data;  // file contents or link target
  mode_t mode = 0644;
};
UniqueFd entries_tar(const std::vector<TarEntry>& entries);

// Path (relative, "/a/b") → "type mode uid:gid size content-or-target-or-rdev", for every
// entry below root; mtimes left out (a commit need not keep a dir's mtime).
std::map<std::string, std::string> describe_tree(const std::string& root);
// Names in a directory, sorted.
std::vector<std::string> list_dir(const std::string& dir);

}  // namespace berth::storage::testing

#include "temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "storage/mounts.h"

namespace berth::test_util {

TempDir::TempDir() {
  std::string t = "/tmp/berth-unit-XXXXXX";
  if (!mkdtemp(t.data())) ADD_FAILURE() << "mkdtemp: " << strerror(errno);
  path_ = t;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  unmount_below(path_);
  (void)remove_all(path_);
}

void unmount_below(const std::string& dir) {
  auto points = storage::mounts_under(dir);
  if (!points) return;
  for (auto it = points->rbegin(); it != points->rend(); ++it)
    if (umount2(it->c_str(), 0) < 0) umount2(it->c_str(), MNT_DETACH);
}

}  // namespace berth::test_util

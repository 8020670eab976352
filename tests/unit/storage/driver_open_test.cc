#include <gtest/gtest.h>
#include <unistd.h>

#include "base/file.h"
#include "storage/driver.h"
#include "storage_test_support.h"

namespace berth::storage {
namespace {

TEST(DriverOpen, UnsupportedAndUnknownNames) {
  testing::ScratchDir dir;
  for (std::string name : {"aufs", "devicemapper", "zfs", "fuse-overlayfs"}) {
    auto d = open_driver(name, dir.path() + "/root");
    ASSERT_FALSE(d) << name;
    EXPECT_EQ(d.error().message(), "storage driver \"" + name +
                                       "\" is not supported by berth (available: overlay2, "
                                       "vfs, btrfs)");
  }
  auto d = open_driver("x", dir.path() + "/root");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "unknown storage driver \"x\"");
  EXPECT_FALSE(path_exists(dir.path() + "/root"));
}

TEST(DriverOpen, BtrfsNeedsBtrfs) {
  testing::ScratchDir dir;  // /tmp: ext4 here
  std::string root = dir.path() + "/btrfs";
  auto d = open_driver("btrfs", root);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "btrfs: " + root + " is not on a btrfs filesystem");
  EXPECT_FALSE(path_exists(root));
}

TEST(DriverOpen, DefaultPicksOverlay2WhereItWorks) {
  if (geteuid() != 0) GTEST_SKIP() << "overlay mounts need root";
  testing::ScratchDir dir;
  auto d = open_driver("", dir.path() + "/root");
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ((*d)->name(), "overlay2");
  auto v = open_driver("vfs", dir.path() + "/vfs");
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ((*v)->name(), "vfs");
  // The support check leaves nothing behind.
  EXPECT_EQ(testing::list_dir(dir.path() + "/root"), std::vector<std::string>{"l"});
}

}  // namespace
}  // namespace berth::storage

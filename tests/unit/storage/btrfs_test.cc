// btrfs specifics: layers are subvolumes and snapshots, and removal handles subvolumes a
// container nested inside its layer.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "storage/btrfs/subvolume.h"
#include "storage/driver.h"
#include "storage_test_support.h"

namespace berth::storage {
namespace {

class Btrfs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = loop_.setup(scratch_.path());
    if (!why.empty()) GTEST_SKIP() << why;
    root_ = loop_.mount_point() + "/btrfs";
    auto d = open_driver("btrfs", root_);
    ASSERT_TRUE(d) << d.error().message();
    driver_ = std::move(*d);
  }
  testing::ScratchDir scratch_;
  testing::BtrfsLoop loop_;
  std::string root_;
  std::unique_ptr<Driver> driver_;
};

TEST_F(Btrfs, LayersAreSubvolumesAndSnapshots) {
  ASSERT_TRUE(driver_->create("base", "", false));
  auto base = driver_->get("base");
  ASSERT_TRUE(base);
  EXPECT_EQ(*base, root_ + "/subvolumes/base");
  testing::put_file(*base + "/f", "from base");
  ASSERT_TRUE(driver_->create("child", "base", true));
  std::string child = root_ + "/subvolumes/child";
  EXPECT_TRUE(btrfs::is_subvolume(*base));
  EXPECT_TRUE(btrfs::is_subvolume(child));
  EXPECT_EQ(testing::slurp(child + "/f"), "from base");
  testing::put_file(child + "/f", "changed");
  EXPECT_EQ(testing::slurp(*base + "/f"), "from base") << "a snapshot is independent";
}

TEST_F(Btrfs, RemoveDeletesNestedSubvolumes) {
  ASSERT_TRUE(driver_->create("base", "", false));
  ASSERT_TRUE(driver_->create("ctr", "base", true));
  std::string ctr = root_ + "/subvolumes/ctr";
  testing::put_dir(ctr + "/var/lib");
  ASSERT_TRUE(btrfs::create_subvolume(ctr + "/var/lib", "inner"));
  ASSERT_TRUE(btrfs::create_subvolume(ctr + "/var/lib/inner", "deeper"));
  testing::put_file(ctr + "/var/lib/inner/deeper/f", "x");
  ASSERT_TRUE(driver_->remove("ctr"));
  EXPECT_FALSE(path_exists(ctr));
  EXPECT_FALSE(driver_->exists("ctr"));
  EXPECT_TRUE(driver_->exists("base"));
}

TEST_F(Btrfs, OpenRefusesOtherFilesystems) {
  auto d = open_driver("btrfs", scratch_.path() + "/not-btrfs");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(),
            "btrfs: " + scratch_.path() + "/not-btrfs is not on a btrfs filesystem");
}

}  // namespace
}  // namespace berth::storage

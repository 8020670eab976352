// overlay2 specifics: Docker's on-disk layout and the mount(2) fallback for kernels
// without "lowerdir+".
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/background_removal.h"
#include "base/file.h"
#include "storage/overlay2/overlay2.h"
#include "storage_test_support.h"

namespace berth::storage {
namespace {

using testing::list_dir;
using testing::put_file;
using testing::ScratchDir;
using testing::slurp;

std::string read_link(const std::string& p) {
  char buf[4096];
  ssize_t n = readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

class Overlay2 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "overlay mounts need root";
    root_ = scratch_.path() + "/overlay2";
  }
  void TearDown() override {
    if (driver_) (void)driver_->cleanup();
    testing::unmount_below(scratch_.path());
  }
  // driver_ on root_ (call through ASSERT_NO_FATAL_FAILURE: it fails the test when it cannot)
  void open_driver() {
    auto d = overlay2::open(root_);
    ASSERT_TRUE(d) << d.error().message();
    driver_ = std::move(*d);
  }
  ScratchDir scratch_;
  std::string root_;
  std::unique_ptr<Driver> driver_;
};

TEST_F(Overlay2, DockerLayout) {
  ASSERT_NO_FATAL_FAILURE(open_driver());
  ASSERT_TRUE(driver_->create("base", "", false));
  ASSERT_TRUE(driver_->create("mid", "base", false));
  ASSERT_TRUE(driver_->create("top", "mid", true));
  std::string links[3];
  const char* ids[] = {"base", "mid", "top"};
  for (int i = 0; i < 3; ++i) {
    links[i] = slurp(root_ + "/" + ids[i] + "/link");
    ASSERT_EQ(links[i].size(), 26u);
    EXPECT_TRUE(std::all_of(links[i].begin(), links[i].end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
    })) << links[i];
    EXPECT_EQ(read_link(root_ + "/l/" + links[i]), std::string("../") + ids[i] + "/diff");
  }
  EXPECT_FALSE(path_exists(root_ + "/base/lower"));
  EXPECT_EQ(slurp(root_ + "/mid/lower"), "l/" + links[0]);
  EXPECT_EQ(slurp(root_ + "/top/lower"), "l/" + links[1] + ":l/" + links[0]);
  EXPECT_TRUE(path_exists(root_ + "/top/work"));
  EXPECT_FALSE(path_exists(root_ + "/base/work"));
  // A base layer is never mounted; its diff dir is the view.
  auto base = driver_->get("base");
  ASSERT_TRUE(base);
  EXPECT_EQ(*base, root_ + "/base/diff");
  ASSERT_TRUE(driver_->put("base"));
  // Removing drops the short link too, and leaves nothing behind in the root.
  ASSERT_TRUE(driver_->remove("top"));
  EXPECT_FALSE(path_exists(root_ + "/l/" + links[2]));
  EXPECT_FALSE(path_exists(root_ + "/top"));
  EXPECT_EQ(list_dir(root_), (std::vector<std::string>{"base", "l", "mid"}));
}

TEST_F(Overlay2, OpeningClearsRemovalsADeadProcessLeft) {
  // what a berthd killed mid-removal leaves: the layer renamed away, not yet deleted
  ASSERT_TRUE(mkdir_all(root_ + "/.removing-gone/diff/d", 0755));
  put_file(root_ + "/.removing-gone/diff/d/f", "x");
  ASSERT_NO_FATAL_FAILURE(open_driver());
  drain_background_removals();
  EXPECT_FALSE(path_exists(root_ + "/.removing-gone"));
  auto ids = driver_->list();
  ASSERT_TRUE(ids);
  EXPECT_TRUE(ids->empty());
}

TEST_F(Overlay2, DataStringFallbackMounts130Layers) {
  auto d = overlay2::open_with_mode(root_, overlay2::MountMode::Data);
  ASSERT_TRUE(d) << d.error().message();
  driver_ = std::move(*d);
  constexpr int kLayers = 130;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    std::string id = "layer" + std::to_string(i);
    ASSERT_TRUE(driver_->create(id, parent, false));
    put_file(root_ + "/" + id + "/diff/f" + std::to_string(i), std::to_string(i));
    parent = id;
  }
  ASSERT_TRUE(driver_->create("ctr", parent, true));
  char cwd_before[4096];
  ASSERT_TRUE(getcwd(cwd_before, sizeof cwd_before));
  auto p = driver_->get("ctr");
  ASSERT_TRUE(p) << p.error().message();
  char cwd_after[4096];
  ASSERT_TRUE(getcwd(cwd_after, sizeof cwd_after));
  EXPECT_STREQ(cwd_before, cwd_after) << "the mount must not move the process's cwd";
  EXPECT_EQ(list_dir(*p).size(), static_cast<size_t>(kLayers));
  EXPECT_EQ(slurp(*p + "/f0"), "0");
  put_file(*p + "/f0", "changed");
  EXPECT_EQ(slurp(root_ + "/ctr/diff/f0"), "changed");
  ASSERT_TRUE(driver_->put("ctr"));
  // A short chain fits with absolute paths.
  auto short_chain = driver_->get("layer1");
  ASSERT_TRUE(short_chain) << short_chain.error().message();
  EXPECT_EQ(list_dir(*short_chain), (std::vector<std::string>{"f0", "f1"}));
  ASSERT_TRUE(driver_->put("layer1"));
  EXPECT_TRUE(testing::mounts_below(root_).empty());
}

TEST_F(Overlay2, ImageLayersMountReadOnly) {
  ASSERT_NO_FATAL_FAILURE(open_driver());
  ASSERT_TRUE(driver_->create("base", "", false));
  ASSERT_TRUE(driver_->create("image", "base", false));
  put_file(root_ + "/image/diff/f", "f");
  auto p = driver_->get("image");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(slurp(*p + "/f"), "f");
  EXPECT_LT(open((*p + "/new").c_str(), O_WRONLY | O_CREAT, 0644), 0);
  EXPECT_EQ(errno, EROFS);
  ASSERT_TRUE(driver_->put("image"));
  EXPECT_FALSE(path_exists(root_ + "/image/merged")) << "put removes the mount point";
}

TEST_F(Overlay2, RefusesOverlayfsRoot) {
  // An overlay mount of our own stands in for a root on overlayfs (docker-in-docker).
  ASSERT_NO_FATAL_FAILURE(open_driver());
  ASSERT_TRUE(driver_->create("base", "", false));
  ASSERT_TRUE(driver_->create("ctr", "base", true));
  auto p = driver_->get("ctr");
  ASSERT_TRUE(p) << p.error().message();
  auto nested = overlay2::open(*p + "/nested");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message().find("overlayfs"), std::string::npos)
      << nested.error().message();
  ASSERT_TRUE(driver_->put("ctr"));
}

TEST_F(Overlay2, DisposableLayersMountVolatileAndAgain) {
  ASSERT_NO_FATAL_FAILURE(open_driver());
  ASSERT_TRUE(driver_->create("img", "", false));
  ASSERT_TRUE(driver_->create("ctr", "img", true));
  driver_->set_disposable("ctr");
  auto options_of = [&](const std::string& target) {
    std::string info = slurp("/proc/self/mountinfo");
    auto at = info.find(" " + target + " ");
    return at == std::string::npos ? std::string("(not mounted)")
                                   : info.substr(at, info.find('\n', at) - at);
  };
  // twice: overlay leaves a mark on a volatile upper and refuses it the next time unless the
  // driver clears it
  for (int i = 0; i < 2; ++i) {
    auto merged = driver_->get("ctr");
    ASSERT_TRUE(merged) << i << ": " << merged.error().message();
    EXPECT_NE(options_of(*merged).find("volatile"), std::string::npos) << options_of(*merged);
    put_file(*merged + "/f", "x");
    ASSERT_TRUE(driver_->put("ctr"));
  }
  ASSERT_TRUE(driver_->create("kept", "img", true));
  auto merged = driver_->get("kept");
  ASSERT_TRUE(merged);
  EXPECT_EQ(options_of(*merged).find("volatile"), std::string::npos) << options_of(*merged);
  ASSERT_TRUE(driver_->put("kept"));
}

}  // namespace
}  // namespace berth::storage

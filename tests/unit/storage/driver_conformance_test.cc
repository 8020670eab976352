// One suite every storage driver must pass, run once per driver over its own scratch root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <latch>
#include <thread>

#include "base/file.h"
#include "storage/copy_tree.h"
#include "storage/driver.h"
#include "storage_test_support.h"

namespace berth::storage {
namespace {

using testing::BtrfsLoop;
using testing::describe_tree;
using testing::entries_tar;
using testing::list_dir;
using testing::put_dir;
using testing::put_file;
using testing::ScratchDir;
using testing::slurp;
using testing::tree_tar;

class DriverConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "storage drivers need root";
    ASSERT_FALSE(scratch_.path().empty());
    root_ = scratch_.path() + "/root";
    if (GetParam() == "btrfs") {
      std::string why = btrfs_.setup(scratch_.path());
      if (!why.empty()) GTEST_SKIP() << why;
      root_ = btrfs_.mount_point() + "/root";
    }
    auto d = open_driver(GetParam(), root_);
    ASSERT_TRUE(d) << d.error().message();
    driver_ = std::move(*d);
    ASSERT_EQ(driver_->name(), GetParam());
  }

  void TearDown() override {
    if (driver_) (void)driver_->cleanup();
    driver_.reset();
    testing::unmount_below(root_);  // btrfs_ and scratch_ then unmount the rest
  }

  // A tree built by `fill` in a fresh dir, applied as layer id on parent.
  template <typename F>
  void layer_from_tree(const std::string& id, const std::string& parent, F fill, bool rw = false) {
    std::string tree = scratch_.path() + "/tree-" + id;
    put_dir(tree);
    fill(tree);
    ASSERT_TRUE(driver_->create(id, parent, rw));
    UniqueFd tar = tree_tar(tree);
    auto r = driver_->apply_diff(id, tar.get());
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(remove_all(tree));
  }

  void layer_from_entries(const std::string& id, const std::string& parent,
                          const std::vector<testing::TarEntry>& entries) {
    ASSERT_TRUE(driver_->create(id, parent, false));
    UniqueFd tar = entries_tar(entries);
    auto r = driver_->apply_diff(id, tar.get());
    ASSERT_TRUE(r) << r.error().message();
  }

  std::string get(const std::string& id) {
    auto p = driver_->get(id);
    EXPECT_TRUE(p) << p.error().message();
    return p ? *p : "/nonexistent";
  }

  bool mounted(const std::string& path) {
    auto m = testing::mounts_below(root_);
    return std::find(m.begin(), m.end(), path) != m.end();
  }

  std::vector<std::string> changes(const std::string& id) {
    auto c = driver_->changes(id);
    EXPECT_TRUE(c) << c.error().message();
    std::vector<std::string> out;
    if (!c) return out;
    for (const auto& ch : *c)
      out.push_back(std::string(1, "CAD"[static_cast<int>(ch.kind)]) + " " + ch.path);
    std::sort(out.begin(), out.end());
    return out;
  }

  ScratchDir scratch_;
  BtrfsLoop btrfs_;
  std::string root_;
  std::unique_ptr<Driver> driver_;
};

TEST_P(DriverConformance, CreateGetPutRemove) {
  ASSERT_TRUE(driver_->create("base", "", false));
  EXPECT_TRUE(driver_->exists("base"));
  EXPECT_FALSE(driver_->exists("other"));
  ASSERT_TRUE(driver_->create("ctr", "base", true));
  std::string p = get("ctr");
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  put_file(p + "/hello", "world");
  EXPECT_EQ(slurp(p + "/hello"), "world");
  ASSERT_TRUE(driver_->put("ctr"));
  EXPECT_EQ(slurp(get("ctr") + "/hello"), "world");  // kept across mounts
  ASSERT_TRUE(driver_->put("ctr"));
  ASSERT_TRUE(driver_->remove("ctr"));
  ASSERT_TRUE(driver_->remove("base"));
  EXPECT_FALSE(driver_->exists("ctr"));
  EXPECT_FALSE(driver_->exists("base"));
  EXPECT_TRUE(driver_->remove("base")) << "removing a missing layer is not an error";
}

TEST_P(DriverConformance, Errors) {
  auto g = driver_->get("missing");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().kind(), ErrorKind::NotFound);
  auto c = driver_->create("x", "missing", false);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind(), ErrorKind::NotFound);
  EXPECT_FALSE(driver_->exists("x"));
  ASSERT_TRUE(driver_->create("x", "", false));
  auto dup = driver_->create("x", "", false);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind(), ErrorKind::Conflict);
  for (std::string bad : {"", "..", "../x", "a/b", ".hidden"}) {
    auto b = driver_->create(bad, "", false);
    ASSERT_FALSE(b) << bad;
    EXPECT_EQ(b.error().kind(), ErrorKind::InvalidArgument) << bad;
  }
}

TEST_P(DriverConformance, BaseLayerFromTar) {
  std::string tree = scratch_.path() + "/tree";
  put_file(tree + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  put_file(tree + "/bin/suid", "#!", 04755);
  put_dir(tree + "/home/user", 0700, 1000, 1000);
  put_file(tree + "/home/user/.profile", "x", 0600, 1000, 1000);
  ASSERT_EQ(symlink("../etc/passwd", (tree + "/bin/rel").c_str()), 0);
  ASSERT_EQ(symlink("/etc", (tree + "/abs").c_str()), 0);
  ASSERT_EQ(link((tree + "/etc/passwd").c_str(), (tree + "/etc/passwd.hard").c_str()), 0);
  put_dir(tree + "/dev");
  ASSERT_EQ(mknod((tree + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(mknod((tree + "/dev/fifo").c_str(), S_IFIFO | 0600, 0), 0);
  ASSERT_EQ(chmod((tree + "/dev/null").c_str(), 0666), 0);
  auto want = describe_tree(tree);

  ASSERT_TRUE(driver_->create("base", "", false));
  UniqueFd tar = tree_tar(tree);
  auto applied = driver_->apply_diff("base", tar.get());
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(applied->diff_id.algorithm(), "sha256");

  std::string p = get("base");
  EXPECT_EQ(describe_tree(p), want);
  struct stat a, b;
  ASSERT_EQ(lstat((p + "/etc/passwd").c_str(), &a), 0);
  ASSERT_EQ(lstat((p + "/etc/passwd.hard").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
  ASSERT_EQ(lstat((p + "/dev/null").c_str(), &a), 0);
  EXPECT_TRUE(S_ISCHR(a.st_mode));
  EXPECT_EQ(a.st_rdev, makedev(1, 3));
  ASSERT_TRUE(driver_->put("base"));

  // A child sees the same tree.
  ASSERT_TRUE(driver_->create("ctr", "base", true));
  EXPECT_EQ(describe_tree(get("ctr")), want);
  ASSERT_TRUE(driver_->put("ctr"));
}

TEST_P(DriverConformance, WhiteoutsAndOpaqueDirs) {
  layer_from_tree("l1", "", [](const std::string& t) {
    put_file(t + "/a/file1", "1");
    put_file(t + "/a/file2", "2");
    put_file(t + "/b/x", "x");
    put_file(t + "/b/y/z", "z");
    put_file(t + "/gone/deep/file", "g");
    put_file(t + "/keep", "k");
  });
  layer_from_entries("l2", "l1",
                     {{'d', "a", "", 0755},
                      {'f', "a/.wh.file1", ""},
                      {'d', "b", "", 0755},
                      {'f', "b/.wh..wh..opq", ""},
                      {'f', "b/new", "n"},
                      {'f', ".wh.gone", ""}});
  layer_from_tree("l3", "l2", [](const std::string& t) { put_file(t + "/c", "c"); });

  std::string p = get("l3");
  EXPECT_EQ(list_dir(p), (std::vector<std::string>{"a", "b", "c", "keep"}));
  EXPECT_EQ(list_dir(p + "/a"), std::vector<std::string>{"file2"});
  EXPECT_EQ(list_dir(p + "/b"), std::vector<std::string>{"new"});
  EXPECT_EQ(slurp(p + "/b/new"), "n");
  EXPECT_EQ(slurp(p + "/keep"), "k");
  ASSERT_TRUE(driver_->put("l3"));

  // A container over it can bring a deleted name back.
  ASSERT_TRUE(driver_->create("ctr", "l3", true));
  std::string c = get("ctr");
  put_file(c + "/a/file1", "again");
  EXPECT_EQ(list_dir(c + "/a"), (std::vector<std::string>{"file1", "file2"}));
  EXPECT_EQ(changes("ctr"), (std::vector<std::string>{"A /a/file1", "C /a"}));
  ASSERT_TRUE(driver_->put("ctr"));
}

TEST_P(DriverConformance, HardlinksStayLinkedThroughUpperLayers) {
  layer_from_tree("l1", "", [](const std::string& t) {
    put_file(t + "/h1", "shared");
    put_dir(t + "/sub");
    ASSERT_EQ(link((t + "/h1").c_str(), (t + "/h2").c_str()), 0);
    ASSERT_EQ(link((t + "/h1").c_str(), (t + "/sub/h3").c_str()), 0);
  });
  layer_from_tree("l2", "l1", [](const std::string& t) { put_file(t + "/other", "o"); });
  ASSERT_TRUE(driver_->create("ctr", "l2", true));
  for (std::string id : {"l2", "ctr"}) {
    std::string p = get(id);
    struct stat a, b, c;
    ASSERT_EQ(lstat((p + "/h1").c_str(), &a), 0);
    ASSERT_EQ(lstat((p + "/h2").c_str(), &b), 0);
    ASSERT_EQ(lstat((p + "/sub/h3").c_str(), &c), 0);
    EXPECT_EQ(a.st_ino, b.st_ino) << id;
    EXPECT_EQ(a.st_ino, c.st_ino) << id;
    EXPECT_EQ(a.st_nlink, 3u) << id;
    EXPECT_EQ(slurp(p + "/sub/h3"), "shared");
    ASSERT_TRUE(driver_->put(id));
  }
}

TEST_P(DriverConformance, ChainOf135Layers) {
  constexpr int kLayers = 135;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    std::string id = "layer" + std::to_string(i);
    layer_from_tree(id, parent, [i](const std::string& t) {
      put_file(t + "/files/f" + std::to_string(i), std::to_string(i));
    });
    if (HasFatalFailure()) return;
    parent = id;
  }
  ASSERT_TRUE(driver_->create("ctr", parent, true));
  for (const std::string& id : {parent, std::string("ctr")}) {
    std::string p = get(id);
    auto names = list_dir(p + "/files");
    EXPECT_EQ(names.size(), static_cast<size_t>(kLayers)) << id;
    EXPECT_EQ(slurp(p + "/files/f0"), "0");
    EXPECT_EQ(slurp(p + "/files/f134"), "134");
    ASSERT_TRUE(driver_->put(id));
  }
  std::string c = get("ctr");
  put_file(c + "/files/f0", "changed");
  EXPECT_EQ(changes("ctr"), (std::vector<std::string>{"C /files", "C /files/f0"}));
  ASSERT_TRUE(driver_->put("ctr"));
}

TEST_P(DriverConformance, ContainerChangesAndCommit) {
  layer_from_tree("base", "", [](const std::string& t) {
    put_file(t + "/etc/passwd", "root:x:0:0\n");
    put_file(t + "/etc/hosts", "127.0.0.1 localhost\n");
    put_file(t + "/bin/tool", "#!/bin/sh\n", 0644);
    put_file(t + "/old", "old content");
    put_file(t + "/dir/a", "a");
    put_file(t + "/dir/sub/b", "b");
    put_file(t + "/keep/k", "k");
  });
  layer_from_tree("image", "base", [](const std::string& t) { put_file(t + "/etc/motd", "hi"); });
  ASSERT_TRUE(driver_->create("ctr", "image", true));
  std::string c = get("ctr");
  put_file(c + "/etc/passwd", "root:x:0:0\nuser:x:1000:1000\n");
  ASSERT_EQ(unlink((c + "/etc/hosts").c_str()), 0);
  ASSERT_EQ(unlink((c + "/etc/motd").c_str()), 0);
  ASSERT_EQ(rename((c + "/old").c_str(), (c + "/new").c_str()), 0);
  ASSERT_EQ(chmod((c + "/bin/tool").c_str(), 0755), 0);
  put_file(c + "/added", "new file");
  ASSERT_TRUE(remove_all(c + "/dir"));
  // A dir rename as mv does it: overlayfs without redirect_dir says EXDEV, so copy + delete.
  if (rename((c + "/keep").c_str(), (c + "/kept").c_str()) < 0) {
    ASSERT_EQ(errno, EXDEV);
    put_dir(c + "/kept");
    ASSERT_TRUE(copy_tree(c + "/keep", c + "/kept"));
    ASSERT_TRUE(remove_all(c + "/keep"));
  }

  std::vector<std::string> want = {
      "A /added",      "A /kept", "A /kept/k",    "A /new",      "C /bin",  "C /bin/tool", "C /etc",
      "C /etc/passwd", "D /dir",  "D /etc/hosts", "D /etc/motd", "D /keep", "D /old"};
  EXPECT_EQ(changes("ctr"), want);

  // Commit: the diff applied as a new layer on the same parent reproduces the view.
  UniqueFd tar(memfd_create("commit.tar", MFD_CLOEXEC));
  auto d = driver_->diff("ctr", tar.get());
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_GT(d->size, 0u);
  lseek(tar.get(), 0, SEEK_SET);
  ASSERT_TRUE(driver_->create("commit", "image", false));
  auto applied = driver_->apply_diff("commit", tar.get());
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(applied->diff_id, d->diff_id);
  std::string m = get("commit");
  EXPECT_EQ(describe_tree(m), describe_tree(c));
  struct stat st;
  ASSERT_EQ(stat((m + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(changes("commit"), want);
  ASSERT_TRUE(driver_->put("commit"));
  ASSERT_TRUE(driver_->put("ctr"));
  // The container layer is still mountable after diff's own get/put.
  EXPECT_EQ(slurp(get("ctr") + "/added"), "new file");
  ASSERT_TRUE(driver_->put("ctr"));
}

TEST_P(DriverConformance, ConcurrentGetSharesOneMount) {
  layer_from_tree("base", "", [](const std::string& t) { put_file(t + "/a", "a"); });
  layer_from_tree("image", "base", [](const std::string& t) { put_file(t + "/b", "b"); });
  constexpr int kUsers = 8;
  std::vector<std::string> paths(kUsers);
  std::latch start(kUsers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kUsers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto p = driver_->get("image");
      paths[i] = p ? *p : "error: " + p.error().message();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& p : paths) EXPECT_EQ(p, paths[0]);
  const std::string p = paths[0];
  bool mounts = GetParam() == "overlay2";
  EXPECT_EQ(mounted(p), mounts);
  EXPECT_EQ(testing::mounts_below(root_).size(), mounts ? 1u : 0u);
  threads.clear();
  std::latch release(kUsers - 1);
  for (int i = 0; i < kUsers - 1; ++i) {
    threads.emplace_back([&] {
      release.arrive_and_wait();
      EXPECT_TRUE(driver_->put("image"));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(slurp(p + "/a"), "a");
  EXPECT_EQ(slurp(p + "/b"), "b");
  EXPECT_EQ(mounted(p), mounts);
  ASSERT_TRUE(driver_->put("image"));
  EXPECT_FALSE(mounted(p));
  EXPECT_TRUE(testing::mounts_below(root_).empty());
}

TEST_P(DriverConformance, RemoveLeavesNoMountsOrFiles) {
  layer_from_tree("base", "", [](const std::string& t) { put_file(t + "/a", "a"); });
  layer_from_tree("image", "base", [](const std::string& t) { put_file(t + "/b", "b"); });
  ASSERT_TRUE(driver_->create("ctr", "image", true));
  std::string c = get("ctr");
  put_file(c + "/c", "c");
  get("image");
  ASSERT_TRUE(driver_->remove("ctr"));  // while mounted
  ASSERT_TRUE(driver_->remove("image"));
  ASSERT_TRUE(driver_->remove("base"));
  EXPECT_TRUE(testing::mounts_below(root_).empty());
  for (std::string id : {"base", "image", "ctr"}) EXPECT_FALSE(driver_->exists(id));
  // Only the driver's own (empty) directories remain.
  std::vector<std::string> left;
  auto all = describe_tree(root_);
  for (const auto& [path, what] : all) {
    if (!what.starts_with("40")) left.push_back(path + " " + what);
    for (std::string id : {"base", "image", "ctr"}) {
      if (path.find("/" + id) != std::string::npos) left.push_back(path);
    }
  }
  EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
}

TEST_P(DriverConformance, CleanupUnmountsEverything) {
  layer_from_tree("base", "", [](const std::string& t) { put_file(t + "/a", "a"); });
  ASSERT_TRUE(driver_->create("c1", "base", true));
  ASSERT_TRUE(driver_->create("c2", "base", true));
  get("c1");
  get("c2");
  get("c2");
  ASSERT_TRUE(driver_->cleanup());
  EXPECT_TRUE(testing::mounts_below(root_).empty());
  EXPECT_EQ(slurp(get("c1") + "/a"), "a") << "usable again after cleanup";
  ASSERT_TRUE(driver_->put("c1"));
}

TEST_P(DriverConformance, SizeCountsOnlyTheLayer) {
  layer_from_tree("base", "", [](const std::string& t) {
    put_file(t + "/big", std::string(1000, 'x'));
    ASSERT_EQ(link((t + "/big").c_str(), (t + "/big.link").c_str()), 0);
  });
  auto s = driver_->size("base");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(*s, 1000u);
  ASSERT_TRUE(driver_->create("ctr", "base", true));
  put_file(get("ctr") + "/more", std::string(500, 'y'));
  ASSERT_TRUE(driver_->put("ctr"));
  s = driver_->size("ctr");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(*s, 500u);
}

INSTANTIATE_TEST_SUITE_P(Drivers, DriverConformance, ::testing::Values("overlay2", "vfs", "btrfs"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::storage

#include "base/background_removal.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "temp_dir.h"

namespace berth {
namespace {

using test_util::TempDir;

void make_tree(const std::string& dir) {
  ASSERT_TRUE(mkdir_all(dir + "/a/b"));
  ASSERT_TRUE(write_file_atomic(dir + "/a/b/f", "x", 0644, false));
  ASSERT_TRUE(write_file_atomic(dir + "/g", "y", 0644, false));
}

// Both modes in one test, in order: once enabled, background removal stays on in the process.
TEST(BackgroundRemoval, RenamesAtOnceDeletesNowOrAfterADrain) {
  TempDir t;
  // not enabled (tools, tests): deleted before remove_via returns
  make_tree(t / "one");
  ASSERT_TRUE(remove_via(t / "one", t / "one-removing"));
  EXPECT_FALSE(path_exists(t / "one"));
  EXPECT_FALSE(path_exists(t / "one-removing"));
  // a failed rename (nothing to rename) still succeeds: there is nothing left to remove
  EXPECT_TRUE(remove_via(t / "missing", t / "missing-removing"));

  enable_background_removal();
  for (int i = 0; i < 20; ++i) {
    std::string d = t / ("c" + std::to_string(i));
    make_tree(d);
    ASSERT_TRUE(remove_via(d, d + "-removing"));
    EXPECT_FALSE(path_exists(d)) << "the name is free once remove_via returns";
  }
  drain_background_removals();
  for (int i = 0; i < 20; ++i)
    EXPECT_FALSE(path_exists(t / ("c" + std::to_string(i) + "-removing")));
}

TEST(BackgroundRemoval, ClearsWhatADeadProcessLeftRenamed) {
  TempDir t;
  make_tree(t / "x-removing");
  make_tree(t / ".removing-y");
  make_tree(t / "keep");
  make_tree(t / "-removing-not-a-suffix-match");
  clear_renamed(t.path(), ".removing-", "-removing");
  drain_background_removals();
  EXPECT_FALSE(path_exists(t / "x-removing"));
  EXPECT_FALSE(path_exists(t / ".removing-y"));
  EXPECT_TRUE(path_exists(t / "keep/a/b/f"));
  EXPECT_TRUE(path_exists(t / "-removing-not-a-suffix-match"));
}

}  // namespace
}  // namespace berth

// A fixture for image-store tests: a Store over a scratch data root with the driver under
// test (vfs, and overlay2 where the kernel has it), and base images made by importing trees.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "../storage/storage_test_support.h"
#include "image/store.h"

namespace berth::image::testing {

class ImageStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "storage drivers need root";
    ASSERT_FALSE(scratch_.path().empty());
    root_ = scratch_.path() + "/data";
    auto s = Store::open(root_, GetParam());
    if (!s && GetParam() == "overlay2") GTEST_SKIP() << s.error().message();
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }

  void TearDown() override {
    if (store_) (void)store_->driver().cleanup();
    store_.reset();
    storage::testing::unmount_below(scratch_.path());  // scratch_ removes the rest
  }

  // The tree `fill` makes in a fresh dir, imported as a one-layer image tagged `tag`.
  std::string import_tree(const std::string& name,
                          const std::function<void(const std::string&)>& fill,
                          const std::string& tag) {
    std::string tree = scratch_.path() + "/tree-" + name;
    storage::testing::put_dir(tree);
    fill(tree);
    UniqueFd tar = storage::testing::tree_tar(tree);
    auto id = store_->import(tar.get(), {}, "", tag);
    EXPECT_TRUE(id) << id.error().message();
    return id ? *id : "";
  }

  int64_t top_layer_size(const std::string& image) {
    auto img = store_->get(image);
    if (!img) return -1;
    auto rec = store_->layers().get(img->record.top_chain);
    return rec && *rec ? (*rec)->size : -1;
  }

  storage::testing::ScratchDir scratch_;
  std::string root_;
  std::unique_ptr<Store> store_;
};

// Container ids as Docker makes them: 64 hex digits.
inline std::string container_id(char c) {
  return std::string(64, c);
}

}  // namespace berth::image::testing

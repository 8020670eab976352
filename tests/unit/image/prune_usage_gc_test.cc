// Image prune, system df's image usage, and content GC over a real store.
#include <algorithm>

#include "image_store_fixture.h"

namespace berth::image::testing {
namespace {

using storage::testing::put_file;

using ImagePrune = ImageStoreTest;
using ImageDiskUsage = ImageStoreTest;
using ContentGc = ImageStoreTest;

void tree_a(const std::string& t) {
  put_file(t + "/a", std::string(3000, 'a'));
}
void tree_b(const std::string& t) {
  put_file(t + "/b", std::string(5000, 'b'));
}

bool has_deleted(const PruneReport& r, const std::string& what) {
  return std::any_of(r.items.begin(), r.items.end(),
                     [&](const auto& i) { return i.deleted == what; });
}

TEST_P(ImagePrune, DanglingThenAll) {
  std::string keep = import_tree("a", tree_a, "keep:1");
  std::string dangling = import_tree("b", tree_b, "");
  auto d = store_->get(dangling);
  ASSERT_TRUE(d);
  const std::string chain_b = d->record.top_chain;
  int64_t size_b = top_layer_size(dangling);
  ASSERT_GT(size_b, 0);

  auto r = store_->prune(false, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(has_deleted(*r, dangling));
  EXPECT_TRUE(has_deleted(*r, chain_b));
  EXPECT_FALSE(has_deleted(*r, keep));
  EXPECT_EQ(r->space_reclaimed, static_cast<uint64_t>(size_b));
  EXPECT_FALSE(store_->get(dangling));
  EXPECT_TRUE(store_->get("keep:1"));
  auto gone = store_->layers().get(chain_b);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  // Its config blob went with it (prune ends with a content GC).
  EXPECT_FALSE(store_->blobs().exists(*content::Digest::parse(dangling)));

  // Untagging an image a container uses (rmi -f) makes it dangling; the container keeps it.
  const std::string c = container_id('c');
  ASSERT_TRUE(store_->create_container_layer(c, keep));
  ASSERT_TRUE(store_->remove("keep:1", true, [](const std::string&) { return true; }));
  ASSERT_TRUE(store_->get(keep));
  r = store_->prune(true, nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->items.empty());
  ASSERT_TRUE(store_->remove_container_layer(c));
  r = store_->prune(true, [&](const std::string& id) { return id == keep; });
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->items.empty());
  r = store_->prune(false, nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(has_deleted(*r, keep));
  EXPECT_GT(r->space_reclaimed, 0u);
  auto left = store_->list();
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
  auto blobs = store_->blobs().list();
  ASSERT_TRUE(blobs);
  EXPECT_TRUE(blobs->empty());
}

TEST_P(ImagePrune, AllRemovesTaggedImages) {
  std::string a = import_tree("a", tree_a, "a:1");
  ASSERT_TRUE(store_->tag("a:1", "other/a:2"));
  auto r = store_->prune(true, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(has_deleted(*r, a));
  auto untagged = std::count_if(r->items.begin(), r->items.end(),
                                [](const auto& i) { return !i.untagged.empty(); });
  EXPECT_EQ(untagged, 2);
  auto j = r->to_json();
  EXPECT_EQ(j["SpaceReclaimed"], r->space_reclaimed);
  EXPECT_EQ(j["ImagesDeleted"][0]["Untagged"], r->items[0].untagged);
}

TEST_P(ImageDiskUsage, SharedAndUniqueSizes) {
  std::string a = import_tree("a", tree_a, "a:1");
  const std::string c = container_id('c');
  ASSERT_TRUE(store_->create_container_layer(c, "a:1"));
  auto m = store_->mount_container_layer(c);
  ASSERT_TRUE(m);
  put_file(*m + "/b", std::string(7000, 'b'));
  CommitOptions o;
  o.container_id = c;
  o.reference = "b:1";
  auto b = store_->commit(o);
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_TRUE(store_->unmount_container_layer(c));
  int64_t size_a = top_layer_size(a), size_b = top_layer_size(*b);
  ASSERT_GT(size_a, 0);
  ASSERT_GT(size_b, 0);

  auto du = store_->disk_usage(nullptr);
  ASSERT_TRUE(du) << du.error().message();
  EXPECT_EQ(du->layers_size, size_a + size_b);
  ASSERT_EQ(du->images.size(), 2u);
  for (const auto& i : du->images) {
    if (i.id == a) {
      EXPECT_EQ(i.size, size_a);
      EXPECT_EQ(i.shared_size, size_a);
      EXPECT_EQ(i.unique_size, 0);
      EXPECT_EQ(i.containers, 1);
      EXPECT_EQ(i.repo_tags, std::vector<std::string>{"a:1"});
    } else {
      EXPECT_EQ(i.id, *b);
      EXPECT_EQ(i.size, size_a + size_b);
      EXPECT_EQ(i.shared_size, size_a);
      EXPECT_EQ(i.unique_size, size_b);
      EXPECT_EQ(i.containers, 0);
    }
    EXPECT_GT(i.created, 1600000000);
  }
  du = store_->disk_usage([](const std::string&) -> int64_t { return 5; });
  ASSERT_TRUE(du);
  EXPECT_EQ(du->images[0].containers, 5);
  auto j = du->to_json();
  EXPECT_EQ(j["LayersSize"], size_a + size_b);
  EXPECT_EQ(j["Images"].size(), 2u);
  ASSERT_TRUE(store_->remove_container_layer(c));
}

TEST_P(ContentGc, RemovesOrphansKeepsLive) {
  std::string a = import_tree("a", tree_a, "a:1");
  auto orphan = store_->blobs().put("an orphan blob");
  ASSERT_TRUE(orphan);
  auto freed = store_->gc_content();
  ASSERT_TRUE(freed) << freed.error().message();
  EXPECT_EQ(*freed, std::string("an orphan blob").size());
  EXPECT_FALSE(store_->blobs().exists(*orphan));
  auto img = store_->get("a:1");
  ASSERT_TRUE(img) << img.error().message();
  auto kept = store_->layers().metadata().layer_blobs(img->config.diff_ids[0].str());
  ASSERT_TRUE(kept);
  ASSERT_FALSE(kept->empty());
  for (const auto& b : *kept)
    EXPECT_TRUE(store_->blobs().exists(*content::Digest::parse(b.digest)));

  // With the image gone but its layer under a container, the layer's blob stays.
  const std::string c = container_id('c');
  ASSERT_TRUE(store_->create_container_layer(c, a));
  ASSERT_TRUE(store_->remove(a, true, nullptr));
  freed = store_->gc_content();
  ASSERT_TRUE(freed);
  EXPECT_GT(*freed, 0u);  // the config
  EXPECT_FALSE(store_->blobs().exists(*content::Digest::parse(a)));
  for (const auto& b : *kept)
    EXPECT_TRUE(store_->blobs().exists(*content::Digest::parse(b.digest)));
  ASSERT_TRUE(store_->remove_container_layer(c));
  freed = store_->gc_content();
  ASSERT_TRUE(freed);
  for (const auto& b : *kept)
    EXPECT_FALSE(store_->blobs().exists(*content::Digest::parse(b.digest)));
}

INSTANTIATE_TEST_SUITE_P(Drivers, ImagePrune, ::testing::Values("vfs", "overlay2"),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Drivers, ImageDiskUsage, ::testing::Values("vfs", "overlay2"),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Drivers, ContentGc, ::testing::Values("vfs", "overlay2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::image::testing

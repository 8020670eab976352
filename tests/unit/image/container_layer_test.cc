// Containers' RW layers: changes, commit (deletions, renames, mode changes survive), export.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "archive/apply.h"
#include "base/background_removal.h"
#include "image_store_fixture.h"

namespace berth::image::testing {
namespace {

using storage::testing::describe_tree;
using storage::testing::put_dir;
using storage::testing::put_file;
using storage::testing::slurp;

using ContainerLayerCommit = ImageStoreTest;

void base_tree(const std::string& t) {
  put_file(t + "/etc/conf", "v1");
  put_file(t + "/etc/keep", "k");
  put_file(t + "/bin/tool", "#!/bin/sh\n", 0755);
  put_file(t + "/gone", "x");
  put_file(t + "/old-name", "r");
  put_file(t + "/dir/sub/f", "f");
}

// What a container does to the base tree.
void mutate(const std::string& m) {
  put_file(m + "/etc/conf", "version2");
  ASSERT_EQ(unlink((m + "/gone").c_str()), 0);
  ASSERT_EQ(rename((m + "/old-name").c_str(), (m + "/new-name").c_str()), 0);
  ASSERT_EQ(chmod((m + "/bin/tool").c_str(), 0700), 0);
  put_file(m + "/added", "a");
  ASSERT_EQ(unlink((m + "/dir/sub/f").c_str()), 0);
  ASSERT_EQ(rmdir((m + "/dir/sub").c_str()), 0);
}

bool exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

std::vector<std::string> change_lines(const std::vector<archive::Change>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs)
    out.push_back(std::string(1, "CAD"[static_cast<int>(c.kind)]) + " " + c.path);
  return out;
}

// ps -s: the bytes a container wrote, not the image's (vfs copies the whole image into the
// layer, so its size must come from the changes).
TEST_P(ContainerLayerCommit, SizeIsTheContainersOwnBytes) {
  ASSERT_FALSE(import_tree("base", base_tree, "base:1").empty());
  const std::string c1 = container_id('s');
  ASSERT_TRUE(store_->create_container_layer(c1, "base:1"));
  auto m = store_->mount_container_layer(c1);
  ASSERT_TRUE(m);
  put_file(*m + "/new", std::string(10000, 'x'));
  put_file(*m + "/etc/conf", std::string(500, 'y'));
  ASSERT_EQ(unlink((*m + "/gone").c_str()), 0);
  auto image = store_->get("base:1");
  ASSERT_TRUE(image);
  auto sz = store_->container_size(c1, image->record.id);
  ASSERT_TRUE(sz) << sz.error().message();
  EXPECT_GE(sz->rw, 10500);
  EXPECT_LT(sz->rw, 10500 + 16384);  // overlay2 counts its dirs and whiteout too
  EXPECT_EQ(sz->root_fs, sz->rw + image->record.size);
  ASSERT_TRUE(store_->unmount_container_layer(c1));
  ASSERT_TRUE(store_->remove_container_layer(c1));
}

TEST_P(ContainerLayerCommit, ChangesCommitExport) {
  std::string base = import_tree("base", base_tree, "base:1");
  ASSERT_FALSE(base.empty());
  const std::string c1 = container_id('a'), c2 = container_id('b');
  ASSERT_TRUE(store_->create_container_layer(c1, "base:1"));
  EXPECT_FALSE(store_->create_container_layer(c1, "base:1"));  // ids are unique
  auto m1 = store_->mount_container_layer(c1);
  ASSERT_TRUE(m1) << m1.error().message();
  EXPECT_EQ(slurp(*m1 + "/etc/keep"), "k");
  mutate(*m1);

  auto changes = store_->container_changes(c1);
  ASSERT_TRUE(changes) << changes.error().message();
  auto lines = change_lines(*changes);
  for (const char* want : {"C /etc/conf", "D /gone", "D /old-name", "A /new-name", "C /bin/tool",
                           "A /added", "D /dir/sub"})
    EXPECT_NE(std::find(lines.begin(), lines.end(), want), lines.end())
        << want << " missing from:\n"
        << ::testing::PrintToString(lines);
  EXPECT_EQ(std::find(lines.begin(), lines.end(), "C /etc/keep"), lines.end());

  CommitOptions o;
  o.container_id = c1;
  o.reference = "committed:1";
  o.author = "tester";
  o.message = "a commit";
  o.changes = {"ENV X=1", "CMD [\"/bin/tool\"]"};
  auto id = store_->commit(o);
  ASSERT_TRUE(id) << id.error().message();
  auto img = store_->get("committed:1");
  ASSERT_TRUE(img) << img.error().message();
  EXPECT_EQ(img->record.id, *id);
  EXPECT_EQ(img->config.diff_ids.size(), 2u);
  EXPECT_EQ(img->config.author, "tester");
  ASSERT_FALSE(img->config.history.empty());
  EXPECT_EQ(img->config.history.back().comment, "a commit");
  EXPECT_EQ(img->config.container_config()["Env"][0], "X=1");
  EXPECT_EQ(img->config.container_config()["Cmd"][0], "/bin/tool");

  // A container of the committed image sees exactly what the first one left.
  ASSERT_TRUE(store_->create_container_layer(c2, *id));
  auto m2 = store_->mount_container_layer(c2);
  ASSERT_TRUE(m2) << m2.error().message();
  EXPECT_FALSE(exists(*m2 + "/gone"));
  EXPECT_FALSE(exists(*m2 + "/old-name"));
  EXPECT_FALSE(exists(*m2 + "/dir/sub"));
  EXPECT_TRUE(exists(*m2 + "/dir"));
  EXPECT_EQ(slurp(*m2 + "/new-name"), "r");
  EXPECT_EQ(slurp(*m2 + "/etc/conf"), "version2");
  EXPECT_EQ(slurp(*m2 + "/added"), "a");
  struct stat st;
  ASSERT_EQ(stat((*m2 + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(describe_tree(*m2), describe_tree(*m1));
  auto fresh = store_->container_changes(c2);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->empty()) << ::testing::PrintToString(change_lines(*fresh));

  // Export: the merged view as one flat tar (no whiteouts).
  UniqueFd tar(memfd_create("export", MFD_CLOEXEC));
  ASSERT_TRUE(tar);
  ASSERT_TRUE(store_->export_container(c2, tar.get()));
  ASSERT_EQ(lseek(tar.get(), 0, SEEK_SET), 0);
  std::string out = scratch_.path() + "/exported";
  put_dir(out);
  auto applied = archive::apply_layer(tar.get(), out, {});
  ASSERT_TRUE(applied) << applied.error().message();
  auto want = describe_tree(*m2), got = describe_tree(out);
  want.erase("");
  got.erase("");
  EXPECT_EQ(got, want);

  for (const auto& c : {c1, c2}) {
    EXPECT_TRUE(store_->unmount_container_layer(c));
    EXPECT_TRUE(store_->remove_container_layer(c));
    EXPECT_FALSE(store_->driver().exists(c));
  }
  EXPECT_FALSE(store_->mount_container_layer(c1));
}

TEST_P(ContainerLayerCommit, RemovingTheLayerReleasesTheImageLayers) {
  std::string id = import_tree("base", base_tree, "");
  auto img = store_->get(id);
  ASSERT_TRUE(img);
  const std::string chain = img->record.top_chain;
  const std::string c = container_id('c');
  ASSERT_TRUE(store_->create_container_layer(c, id));
  // The image goes, but its layer stays under the container.
  ASSERT_TRUE(store_->remove(id, true, nullptr));
  auto rec = store_->layers().get(chain);
  ASSERT_TRUE(rec && *rec);
  auto m = store_->mount_container_layer(c);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(slurp(*m + "/old-name"), "r");
  ASSERT_TRUE(store_->unmount_container_layer(c));
  ASSERT_TRUE(store_->remove_container_layer(c));
  rec = store_->layers().get(chain);
  ASSERT_TRUE(rec);
  EXPECT_FALSE(*rec);
}

TEST_P(ContainerLayerCommit, LaterRemovalsFinishBeforeImageRemovalLooks) {
  std::string id = import_tree("base", base_tree, "");
  const std::string c = container_id('l');
  ASSERT_TRUE(store_->create_container_layer(c, id));
  enable_background_removal();  // as in berthd: the layer goes after the caller's answer
  store_->remove_container_layer_later(c);
  // no "image is being used by a container": the queued removal is waited for
  auto r = store_->remove(id, false, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(store_->driver().exists(c));
  EXPECT_FALSE(store_->mount_container_layer(c));
}

TEST_P(ContainerLayerCommit, OrphanLayersAreRemovedKnownOnesKept) {
  std::string id = import_tree("base", base_tree, "");
  const std::string kept = container_id('k'), orphan = container_id('o');
  ASSERT_TRUE(store_->create_container_layer(kept, id));
  ASSERT_TRUE(store_->create_container_layer(orphan, id));
  auto m = store_->mount_container_layer(orphan);  // its container ran when berthd died
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE(
      store_->remove_orphan_container_layers([&](const std::string& c) { return c == kept; }));
  EXPECT_TRUE(store_->driver().exists(kept));
  EXPECT_FALSE(store_->driver().exists(orphan));
  EXPECT_FALSE(store_->mount_container_layer(orphan));
  // the image is held by the kept one only
  EXPECT_FALSE(store_->remove(id, false, nullptr));
  ASSERT_TRUE(store_->remove_container_layer(kept));
  EXPECT_TRUE(store_->remove(id, false, nullptr));
}

INSTANTIATE_TEST_SUITE_P(Drivers, ContainerLayerCommit, ::testing::Values("vfs", "overlay2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::image::testing

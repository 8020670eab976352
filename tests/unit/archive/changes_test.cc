// tree_changes / overlay_changes on small hand-made trees, and write_changes_tar checked by
// applying it: parent + layer must reproduce the changed tree.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

#include "archive/apply.h"
#include "archive/changes.h"
#include "archive_test_util.h"
#include "base/unique_fd.h"

namespace berth::archive {
namespace {

using test_support::make_tar;
using test_support::TarEntry;
using test_support::TempDir;

std::vector<std::string> show(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes)
    out.push_back(std::string(1, "CAD"[static_cast<int>(c.kind)]) + " " + c.path);
  return out;
}

void apply_ok(const std::string& tar, const std::string& dir, Whiteouts w = Whiteouts::Delete) {
  auto r = test_support::apply_bytes(tar, dir, {.whiteouts = w});
  ASSERT_TRUE(r) << r.error().message();
}

std::string tree_tar(const std::string& dir) {
  UniqueFd out(test_support::make_memfd());
  auto r = write_tree_tar(out.get(), dir);
  EXPECT_TRUE(r) << r.error().message();
  return test_support::read_fd(out.get());
}

std::string changes_tar(const std::string& dir, const std::vector<Change>& changes) {
  UniqueFd out(test_support::make_memfd());
  auto r = write_changes_tar(out.get(), dir, changes);
  EXPECT_TRUE(r) << r.error().message();
  return test_support::read_fd(out.get());
}

const std::vector<TarEntry> kBase = {
    {.name = "etc/", .type = '5', .mode = 0755},
    {.name = "etc/passwd", .data = "root"},
    {.name = "old", .data = "old"},
    {.name = "gone/", .type = '5', .mode = 0755},
    {.name = "gone/a", .data = "a"},
    {.name = "gone/b", .data = "b"},
    {.name = "l", .type = '2', .link = "x"},
    {.name = "x", .data = "x"},
    {.name = "t", .data = "t"},
    {.name = "same", .data = "same"},
    {.name = "m", .data = "m"},
    {.name = "o", .data = "o"},
};

TEST(ChangesTree, DetectsEachKind) {
  TempDir parent, child;
  apply_ok(make_tar(kBase), parent.path());
  apply_ok(tree_tar(parent.path()), child.path());
  auto none = tree_changes(parent.path(), child.path());
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->empty()) << show(*none).front();

  auto c = [&](const char* rel) { return child / rel; };
  test_support::write_file(c("new"), "new");
  test_support::write_file(c("etc/passwd"), "root, and more");
  ASSERT_EQ(unlink(c("old").c_str()), 0);
  std::filesystem::remove_all(c("gone"));
  ASSERT_EQ(unlink(c("l").c_str()), 0);
  ASSERT_EQ(symlink("y", c("l").c_str()), 0);
  ASSERT_EQ(setxattr(c("x").c_str(), "user.x", "1", 1, 0), 0);
  ASSERT_EQ(unlink(c("t").c_str()), 0);
  ASSERT_EQ(mkdir(c("t").c_str(), 0755), 0);
  test_support::write_file(c("t/inner"), "inner");
  ASSERT_EQ(chmod(c("m").c_str(), 0600), 0);
  ASSERT_EQ(chown(c("o").c_str(), 1, 1), 0);

  auto changes = tree_changes(parent.path(), child.path());
  ASSERT_TRUE(changes) << changes.error().message();
  std::vector<std::string> want = {"C /etc", "C /etc/passwd", "D /gone", "C /l",
                                   "C /m",   "A /new",        "C /o",    "D /old",
                                   "C /t",   "A /t/inner",    "C /x"};
  EXPECT_EQ(show(*changes), want);

  std::string tar = changes_tar(child.path(), *changes);
  std::vector<std::string> names = {".wh.gone", ".wh.old", "etc/", "etc/passwd", "l", "m",
                                    "new",      "o",       "t/",   "t/inner",    "x"};
  EXPECT_EQ(test_support::tar_names(tar), names);

  // parent + layer == child.
  TempDir rebuilt;
  apply_ok(tree_tar(parent.path()), rebuilt.path());
  apply_ok(tar, rebuilt.path());
  auto diff = tree_changes(child.path(), rebuilt.path());
  ASSERT_TRUE(diff) << diff.error().message();
  EXPECT_TRUE(diff->empty()) << show(*diff).front();
}

TEST(ChangesTree, ParentDirsOfDeepChangesTravel) {
  TempDir parent, child;
  apply_ok(make_tar({{.name = "a/", .type = '5', .mode = 0700, .uid = 3},
                     {.name = "a/b/", .type = '5', .mode = 0711},
                     {.name = "a/b/c", .data = "c"}}),
           parent.path());
  apply_ok(tree_tar(parent.path()), child.path());
  test_support::write_file(child / "a/b/d", "d");
  auto changes = tree_changes(parent.path(), child.path());
  ASSERT_TRUE(changes) << changes.error().message();
  std::vector<std::string> want = {"C /a", "C /a/b", "A /a/b/d"};
  EXPECT_EQ(show(*changes), want);
  // Even with only the leaf listed, its parents are written (owner and mode travel).
  std::string tar = changes_tar(child.path(), {{Change::Kind::Added, "/a/b/d"}});
  std::vector<std::string> names = {"a/", "a/b/", "a/b/d"};
  EXPECT_EQ(test_support::tar_names(tar), names);
  TempDir fresh;
  apply_ok(tar, fresh.path());
  struct stat st;
  ASSERT_EQ(lstat((fresh / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 3u);
}

void mkdirs(const std::string& root, std::initializer_list<const char*> dirs) {
  for (const char* d : dirs) ASSERT_EQ(mkdir((root + "/" + d).c_str(), 0755), 0) << d;
}
void files(const std::string& root, std::initializer_list<const char*> fs) {
  for (const char* f : fs) test_support::write_file(root + "/" + f, f);
}
void whiteout_dev(const std::string& path) {
  ASSERT_EQ(mknod(path.c_str(), S_IFCHR, makedev(0, 0)), 0) << path;
}
void opaque(const std::string& path) {
  ASSERT_EQ(setxattr(path.c_str(), "trusted.overlay.opaque", "y", 1, 0), 0) << path;
}

TEST(ChangesOverlay, HandMadeUpper) {
  TempDir low2, low1, upper;  // low1 is on top of low2
  mkdirs(low2.path(), {"a", "b", "e", "e/deep"});
  files(low2.path(), {"a/f1", "a/f2", "b/x", "c", "e/deep/y", "only2"});
  mkdirs(low1.path(), {"a", "b"});
  files(low1.path(), {"a/f3", "b/z"});
  whiteout_dev(low1 / "only2");
  opaque(low1 / "b");  // hides b/x
  mkdirs(upper.path(), {"a", "b", "e", "e/deep"});
  files(upper.path(), {"a/f1", "new", "b/n", "only2", "e/deep/w"});
  whiteout_dev(upper / "c");
  opaque(upper / "b");
  opaque(upper / "e");

  auto changes = overlay_changes(upper.path(), {low1.path(), low2.path()});
  ASSERT_TRUE(changes) << changes.error().message();
  std::vector<std::string> want = {"C /a",        "C /a/f1",     "C /b",   "A /b/n",
                                   "D /b/z",      "D /c",        "C /e",   "A /e/deep",
                                   "A /e/deep/w", "D /e/deep/y", "A /new", "A /only2"};
  EXPECT_EQ(show(*changes), want);
}

// A real overlay mount: changes made through it, turned into a layer, stacked on the same
// lowers must show the same tree.
TEST(ChangesOverlay, MountedRoundTrip) {
  TempDir t;
  for (const char* d : {"l1", "l2", "up", "work", "m", "l3", "m2"})
    ASSERT_EQ(mkdir((t / d).c_str(), 0755), 0);
  apply_ok(make_tar({{.name = "etc/", .type = '5', .mode = 0755},
                     {.name = "etc/passwd", .data = "root"},
                     {.name = "etc/group", .data = "g"},
                     {.name = "usr/bin/a", .data = "a"},
                     {.name = "usr/bin/b", .data = "b"},
                     {.name = "var/lib/x/y", .data = "y"},
                     {.name = "opq/1", .data = "1"},
                     {.name = "opq/2", .data = "2"}}),
           t / "l1", Whiteouts::Overlay);
  apply_ok(make_tar({{.name = "usr/bin/.wh.b"},
                     {.name = "var/lib/x/", .type = '5', .mode = 0755},
                     {.name = "var/lib/x/.wh..wh..opq"},
                     {.name = "var/lib/x/z", .data = "z"}}),
           t / "l2", Whiteouts::Overlay);
  std::string opts = "lowerdir=" + (t / "l2") + ":" + (t / "l1") + ",upperdir=" + (t / "up") +
                     ",workdir=" + (t / "work");
  if (mount("overlay", (t / "m").c_str(), "overlay", 0, opts.c_str()) < 0)
    GTEST_SKIP() << "overlay mount: " << strerror(errno);
  Defer unmount([&] { umount2((t / "m").c_str(), MNT_DETACH); });
  auto m = [&](const char* rel) { return t / (std::string("m/") + rel); };
  test_support::write_file(m("etc/passwd"), "root and more");
  test_support::write_file(m("newfile"), "new");
  ASSERT_EQ(unlink(m("usr/bin/a").c_str()), 0);
  std::filesystem::remove_all(m("opq"));
  ASSERT_EQ(mkdir(m("opq").c_str(), 0700), 0);
  test_support::write_file(m("opq/3"), "3");
  ASSERT_EQ(chmod(m("etc/group").c_str(), 0600), 0);
  std::filesystem::create_directories(m("newdir/sub"));
  ASSERT_EQ(symlink("/etc/passwd", m("newdir/sub/link").c_str()), 0);

  std::vector<std::string> lowers = {t / "l2", t / "l1"};
  auto changes = overlay_changes(t / "up", lowers);
  ASSERT_TRUE(changes) << changes.error().message();
  std::vector<std::string> want = {"C /etc",     "C /etc/group",  "C /etc/passwd",
                                   "A /newdir",  "A /newdir/sub", "A /newdir/sub/link",
                                   "A /newfile", "C /opq",        "D /opq/1",
                                   "D /opq/2",   "A /opq/3",      "C /usr",
                                   "C /usr/bin", "D /usr/bin/a"};
  EXPECT_EQ(show(*changes), want);

  // Read from the merged view and, equally, from the upper dir itself.
  for (std::string src : {t / "m", t / "up"}) {
    SCOPED_TRACE(src);
    std::string l3 = t / "l3";
    std::filesystem::remove_all(l3);
    ASSERT_EQ(mkdir(l3.c_str(), 0755), 0);
    apply_ok(changes_tar(src, *changes), l3, Whiteouts::Overlay);
    std::string ro = "lowerdir=" + l3 + ":" + (t / "l2") + ":" + (t / "l1");
    ASSERT_EQ(mount("overlay", (t / "m2").c_str(), "overlay", MS_RDONLY, ro.c_str()), 0)
        << strerror(errno);
    auto diff = tree_changes(t / "m", t / "m2");
    umount2((t / "m2").c_str(), MNT_DETACH);
    ASSERT_TRUE(diff) << diff.error().message();
    EXPECT_TRUE(diff->empty()) << show(*diff).front();
  }
}

}  // namespace
}  // namespace berth::archive

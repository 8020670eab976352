// Round trips (write_tree_tar, then apply_layer), compression, diff_id, and whiteouts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <thread>

#include "archive/apply.h"
#include "archive/changes.h"
#include "archive_test_util.h"
#include "base/unique_fd.h"
#include "content/digest.h"

namespace berth::archive {
namespace {

using test_support::make_tar;
using test_support::TarEntry;
using test_support::TempDir;

void set_mtime(const std::string& path, time_t sec, long nsec = 0) {
  timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0) << path;
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

std::string xattr_of(const std::string& path, const char* key) {
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), key, buf, sizeof buf);
  return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

// Every kind of entry, with owners, odd modes, xattrs and mtimes.
void build_tree(const std::string& root) {
  auto p = [&](const char* rel) { return root + "/" + rel; };
  ASSERT_EQ(mkdir(p("d").c_str(), 0750), 0);
  ASSERT_EQ(mkdir(p("d/sub").c_str(), 0755), 0);
  test_support::write_file(p("d/file"), "hello");
  ASSERT_EQ(chown(p("d/file").c_str(), 1000, 1000), 0);
  ASSERT_EQ(chmod(p("d/file").c_str(), 04755), 0);
  ASSERT_EQ(setxattr(p("d/file").c_str(), "user.foo", "bar", 3, 0), 0);
  ASSERT_EQ(link(p("d/file").c_str(), p("d/hard").c_str()), 0);
  test_support::write_file(p("d/sub/deep"), "deep");
  ASSERT_EQ(symlink("d/file", p("link").c_str()), 0);
  ASSERT_EQ(lchown(p("link").c_str(), 5, 6), 0);
  ASSERT_EQ(symlink("/etc/passwd", p("abs").c_str()), 0);
  ASSERT_EQ(mkfifo(p("fifo").c_str(), 0640), 0);
  ASSERT_EQ(mknod(p("null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(mknod(p("blk").c_str(), S_IFBLK | 0600, makedev(7, 0)), 0);
  test_support::write_file(p("empty"), "", 0600);
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  test_support::write_file(p("big"), big);
  test_support::write_file(root + "/caf\xc3\xa9 \xff", "non-ascii name");
  test_support::write_file(p(std::string(120, 'L').c_str()), "long name");
  ASSERT_EQ(chown(p("d").c_str(), 1000, 1001), 0);
  ASSERT_EQ(chmod(p("d").c_str(), 0750), 0);
  ASSERT_EQ(setxattr(p("d").c_str(), "user.dir", "1", 1, 0), 0);
  // Leaves first: setting a child's time does not touch the parent's.
  for (const char* f : {"d/file", "d/sub/deep", "link", "abs", "fifo", "null", "big"})
    set_mtime(p(f), 1500000000 + static_cast<int>(strlen(f)));
  set_mtime(p("d/sub"), 1400000001);
  set_mtime(p("d"), 1400000002);
}

std::string tree_tar(const std::string& dir, TarResult* res = nullptr) {
  UniqueFd out(test_support::make_memfd());
  auto r = write_tree_tar(out.get(), dir);
  EXPECT_TRUE(r) << r.error().message();
  if (res && r) *res = *r;
  return test_support::read_fd(out.get());
}

TEST(ApplyRoundTrip, TreeTarReproducesEverything) {
  TempDir src, dst;
  build_tree(src.path());
  TarResult written;
  std::string tar = tree_tar(src.path(), &written);
  EXPECT_EQ(written.diff_id, content::Digest::sha256_of(tar));
  EXPECT_EQ(written.size, tar.size());
  EXPECT_EQ(tar.size() % 512, 0u);

  auto r = test_support::apply_bytes(tar, dst.path());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->diff_id, written.diff_id);

  auto diff = tree_changes(src.path(), dst.path());
  ASSERT_TRUE(diff) << diff.error().message();
  for (const auto& c : *diff) ADD_FAILURE() << "changed: " << c.path;
  EXPECT_EQ(test_support::listing(src.path()), test_support::listing(dst.path()));

  auto p = [&](const char* rel) { return dst / rel; };
  struct stat f = lstat_of(p("d/file"));
  EXPECT_EQ(f.st_mode & 07777, 04755u);
  EXPECT_EQ(f.st_uid, 1000u);
  EXPECT_EQ(f.st_ino, lstat_of(p("d/hard")).st_ino);
  EXPECT_EQ(f.st_mtim.tv_sec, 1500000006);
  EXPECT_EQ(xattr_of(p("d/file"), "user.foo"), "bar");
  EXPECT_EQ(xattr_of(p("d"), "user.dir"), "1");
  struct stat d = lstat_of(p("d"));
  EXPECT_EQ(d.st_mode & 07777, 0750u);
  EXPECT_EQ(d.st_gid, 1001u);
  EXPECT_EQ(d.st_mtim.tv_sec, 1400000002);
  EXPECT_EQ(lstat_of(p("d/sub")).st_mtim.tv_sec, 1400000001);
  struct stat l = lstat_of(p("link"));
  EXPECT_TRUE(S_ISLNK(l.st_mode));
  EXPECT_EQ(l.st_uid, 5u);
  EXPECT_EQ(l.st_mtim.tv_sec, 1500000004);
  EXPECT_EQ(lstat_of(p("null")).st_rdev, makedev(1, 3));
  EXPECT_TRUE(S_ISBLK(lstat_of(p("blk")).st_mode));
  EXPECT_TRUE(S_ISFIFO(lstat_of(p("fifo")).st_mode));
}

TEST(ApplyRoundTrip, TarIsSortedAndDeterministic) {
  TempDir src;
  build_tree(src.path());
  std::string a = tree_tar(src.path());
  std::string b = tree_tar(src.path());
  EXPECT_EQ(a, b);
  auto names = test_support::tar_names(a);
  // Bytewise: upper case first.
  std::vector<std::string> expect = {std::string(120, 'L'),
                                     "abs",
                                     "big",
                                     "blk",
                                     "caf\xc3\xa9 \xff",
                                     "d/",
                                     "d/file",
                                     "d/hard -> d/file",
                                     "d/sub/",
                                     "d/sub/deep",
                                     "empty",
                                     "fifo",
                                     "link",
                                     "null"};
  EXPECT_EQ(names, expect);
}

TEST(ApplyRoundTrip, CompressedInputsGiveTheSameDiffId) {
  TempDir src;
  build_tree(src.path());
  std::string tar = tree_tar(src.path());
  auto want = content::Digest::sha256_of(tar);
  size_t half = tar.size() / 2;
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"gzip", test_support::gzip(tar)},
      {"zstd", test_support::zstd(tar)},
      // Concatenated members are one stream, as gzip -d and Go read them.
      {"gzip_multi",
       test_support::gzip(tar.substr(0, half)) + test_support::gzip(tar.substr(half))},
      {"zstd_multi",
       test_support::zstd(tar.substr(0, half)) + test_support::zstd(tar.substr(half))},
      {"gzip_zero_padded", test_support::gzip(tar) + std::string(100, '\0')},
  };
  for (const auto& [name, bytes] : inputs) {
    SCOPED_TRACE(name);
    TempDir dst;
    auto r = test_support::apply_bytes(bytes, dst.path());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->diff_id, want);
    auto diff = tree_changes(src.path(), dst.path());
    ASSERT_TRUE(diff) << diff.error().message();
    EXPECT_TRUE(diff->empty());
  }
}

TEST(ApplyRoundTrip, DiffIdCoversBytesAfterTheTarEnd) {
  std::string tar = make_tar({{.name = "f", .data = "x"}}) + std::string(8192, '\0');
  TempDir dst;
  auto r = test_support::apply_bytes(test_support::gzip(tar), dst.path());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->diff_id, content::Digest::sha256_of(tar));
  EXPECT_EQ(r->size, 1u);
}

TEST(ApplyRoundTrip, ReadsFromAPipe) {
  TempDir src, dst;
  build_tree(src.path());
  std::string gz = test_support::gzip(tree_tar(src.path()));
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd rd(p[0]);
  std::thread writer([&, wfd = UniqueFd(p[1])] {
    size_t off = 0;
    while (off < gz.size()) {
      ssize_t n = ::write(wfd.get(), gz.data() + off, std::min<size_t>(gz.size() - off, 7000));
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  });
  auto r = apply_layer(rd.get(), dst.path(), {});
  writer.join();
  ASSERT_TRUE(r) << r.error().message();
  auto diff = tree_changes(src.path(), dst.path());
  ASSERT_TRUE(diff) << diff.error().message();
  EXPECT_TRUE(diff->empty());
}

TEST(ApplyRoundTrip, EmptyStreamIsAnEmptyLayer) {
  TempDir dst;
  auto r = test_support::apply_bytes("", dst.path());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->diff_id, content::Digest::sha256_of(""));
}

TEST(ApplyRoundTrip, RootEntryAndDirMerge) {
  TempDir dst;
  ASSERT_EQ(mkdir((dst / "d").c_str(), 0700), 0);
  test_support::write_file(dst / "d/lower", "lower");
  std::string tar = make_tar({{.name = "./", .type = '5', .mode = 0711},
                              {.name = "d/", .type = '5', .mode = 0755, .uid = 7},
                              {.name = "d/new", .data = "new"}});
  auto r = test_support::apply_bytes(tar, dst.path());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(lstat_of(dst.path()).st_mode & 07777, 0711u);
  EXPECT_EQ(lstat_of(dst / "d").st_uid, 7u);
  EXPECT_EQ(lstat_of(dst / "d").st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(test_support::read_file(dst / "d/lower"), "lower");  // merged, not replaced
  EXPECT_EQ(test_support::read_file(dst / "d/new"), "new");
}

TarEntry whiteout(std::string name) {
  return {.name = std::move(name), .data = ""};
}

TEST(ApplyWhiteouts, OverlayForm) {
  TempDir dst;
  std::string tar = make_tar({whiteout(".wh.gone"),
                              {.name = "x", .data = "same layer"},
                              whiteout(".wh.x"),
                              {.name = "d/", .type = '5', .mode = 0755},
                              whiteout("d/.wh..wh..opq"),
                              {.name = "d/new", .data = "n"},
                              whiteout("implicit/.wh.y")});
  auto r = test_support::apply_bytes(tar, dst.path(), {.whiteouts = Whiteouts::Overlay});
  ASSERT_TRUE(r) << r.error().message();
  for (const char* w : {"gone", "x", "implicit/y"}) {
    struct stat st = lstat_of(dst / w);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << w;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << w;
  }
  EXPECT_EQ(xattr_of(dst / "d", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(test_support::read_file(dst / "d/new"), "n");
  EXPECT_NE(access((dst / ".wh.gone").c_str(), F_OK), 0);
  EXPECT_NE(access((dst / "d/.wh..wh..opq").c_str(), F_OK), 0);
}

TEST(ApplyWhiteouts, DeleteForm) {
  TempDir dst;
  for (const char* d : {"d", "d/sub", "keep"}) ASSERT_EQ(mkdir((dst / d).c_str(), 0755), 0);
  for (const char* f : {"gone", "d/old", "d/sub/x", "keep/a", "keep/b"})
    test_support::write_file(dst / f, "lower");
  std::string tar = make_tar({{.name = "d/", .type = '5', .mode = 0755},
                              {.name = "d/early", .data = "e"},
                              whiteout("d/.wh..wh..opq"),
                              {.name = "d/new", .data = "n"},
                              whiteout(".wh.gone"),
                              whiteout("keep/.wh.a"),
                              whiteout("missing/.wh.z")});
  auto r = test_support::apply_bytes(tar, dst.path(), {.whiteouts = Whiteouts::Delete});
  ASSERT_TRUE(r) << r.error().message();
  std::vector<std::string> names;
  for (auto& line : test_support::listing(dst.path()))
    names.push_back(line.substr(0, line.find(' ')));
  std::vector<std::string> want = {"d", "d/early", "d/new", "keep", "keep/b"};
  EXPECT_EQ(names, want);
}

TEST(ApplyWhiteouts, OpaqueKeepsThisLayersNestedEntries) {
  TempDir dst;
  ASSERT_EQ(mkdir((dst / "d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dst / "d/sub").c_str(), 0755), 0);
  test_support::write_file(dst / "d/sub/lower", "lower");
  std::string tar = make_tar({{.name = "d/sub/mine", .data = "m"}, whiteout("d/.wh..wh..opq")});
  auto r = test_support::apply_bytes(tar, dst.path(), {.whiteouts = Whiteouts::Delete});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(test_support::read_file(dst / "d/sub/mine"), "m");
  EXPECT_NE(access((dst / "d/sub/lower").c_str(), F_OK), 0);
}

// A full copy holds the lower layers' symlinks (merged /usr): entries under them land where
// they point, inside the root, as in Docker's chroot; the tar's own symlinks never lead.
TEST(ApplyWhiteouts, DeleteModeFollowsLowerSymlinksInsideTheRoot) {
  TempDir dst;
  for (const char* d : {"usr", "usr/bin", "usr/lib"}) ASSERT_EQ(mkdir((dst / d).c_str(), 0755), 0);
  ASSERT_EQ(symlink("usr/bin", (dst / "bin").c_str()), 0);
  ASSERT_EQ(symlink("/usr/lib", (dst / "lib").c_str()), 0);
  ASSERT_EQ(symlink("../../../../..", (dst / "up").c_str()), 0);
  std::string tar = make_tar({{.name = "bin/tool", .data = "t"},
                              {.name = "lib/libx.so", .data = "l"},
                              {.name = "up/top", .data = "u"}});
  auto r = test_support::apply_bytes(tar, dst.path(), {.whiteouts = Whiteouts::Delete});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(test_support::read_file(dst / "usr/bin/tool"), "t");
  EXPECT_EQ(test_support::read_file(dst / "usr/lib/libx.so"), "l");
  EXPECT_EQ(test_support::read_file(dst / "top"), "u");
}

TEST(ApplyWhiteouts, SyncTree) {
  TempDir dst;
  EXPECT_TRUE(sync_tree(dst.path()));
  EXPECT_FALSE(sync_tree(dst / "missing"));
}

}  // namespace
}  // namespace berth::archive

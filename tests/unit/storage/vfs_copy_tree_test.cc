// copy_tree, which every vfs layer is made with: all that a layer tar can carry survives.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/file.h"
#include "storage/copy_tree.h"
#include "storage_test_support.h"

namespace berth::storage {
namespace {

using testing::describe_tree;
using testing::put_dir;
using testing::put_file;

std::string xattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

TEST(VfsCopyTree, PreservesEverything) {
  if (geteuid() != 0) GTEST_SKIP() << "owners and devices need root";
  testing::ScratchDir dir;
  std::string src = dir.path() + "/src", dst = dir.path() + "/dst";
  put_dir(src, 0750, 12, 34);
  put_file(src + "/bin/ping", "elf", 04755);
  // A capability set after chown, as a copy must too (chown drops it).
  const unsigned char cap[20] = {0, 0, 0, 2, 0, 32, 0, 0};  // v2, cap_net_raw permitted
  ASSERT_EQ(setxattr((src + "/bin/ping").c_str(), "security.capability", cap, sizeof cap, 0), 0);
  ASSERT_EQ(setxattr((src + "/bin/ping").c_str(), "user.note", "hi", 2, 0), 0);
  put_dir(src + "/home/u", 0700, 1000, 1000);
  put_file(src + "/home/u/f", "data", 0600, 1000, 1000);
  ASSERT_EQ(link((src + "/home/u/f").c_str(), (src + "/f.link").c_str()), 0);
  ASSERT_EQ(symlink("home/u/f", (src + "/sym").c_str()), 0);
  ASSERT_EQ(lchown((src + "/sym").c_str(), 5, 6), 0);
  ASSERT_EQ(mknod((src + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(mknod((src + "/fifo").c_str(), S_IFIFO | 0640, 0), 0);
  ASSERT_EQ(mknod((src + "/sock").c_str(), S_IFSOCK | 0600, 0), 0);
  put_file(src + "/big", std::string(1 << 20, 'b'));
  struct timespec times[2] = {{1000, 5}, {1600000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, (src + "/home").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (src + "/sym").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);

  put_dir(dst);
  auto r = copy_tree(src, dst);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(describe_tree(dst), describe_tree(src));
  EXPECT_EQ(xattr(dst + "/bin/ping", "security.capability"),
            std::string(reinterpret_cast<const char*>(cap), sizeof cap));
  EXPECT_EQ(xattr(dst + "/bin/ping", "user.note"), "hi");
  struct stat a, b;
  ASSERT_EQ(lstat(dst.c_str(), &a), 0);
  EXPECT_EQ(a.st_mode & 07777, 0750u);
  EXPECT_EQ(a.st_uid, 12u);
  EXPECT_EQ(a.st_gid, 34u);
  ASSERT_EQ(lstat((dst + "/bin/ping").c_str(), &a), 0);
  EXPECT_EQ(a.st_mode & 07777, 04755u);
  ASSERT_EQ(lstat((dst + "/home/u/f").c_str(), &a), 0);
  ASSERT_EQ(lstat((dst + "/f.link").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  for (const char* p : {"/home", "/sym"}) {
    ASSERT_EQ(lstat((dst + p).c_str(), &a), 0);
    EXPECT_EQ(a.st_mtim.tv_sec, 1600000000) << p;
    EXPECT_EQ(a.st_mtim.tv_nsec, 123456789) << p;
  }
  ASSERT_EQ(lstat((dst + "/sock").c_str(), &a), 0);
  EXPECT_TRUE(S_ISSOCK(a.st_mode));
}

TEST(VfsCopyTree, RefusesNonDirectory) {
  testing::ScratchDir dir;
  put_file(dir.path() + "/f", "x");
  auto r = copy_tree(dir.path() + "/f", dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace berth::storage

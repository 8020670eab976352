// Hostile layer tars: each is rejected with an error naming the problem, or confined to the
// target dir; in every case nothing outside the target changes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>

#include "archive/apply.h"
#include "archive_test_util.h"
#include "content/digest.h"

namespace berth::archive {
namespace {

using test_support::make_tar;
using test_support::TarEntry;
using test_support::TempDir;

// A name nobody else uses, so its absence on the host proves nothing leaked.
const std::string kToken = "berth-escape-" + std::to_string(getpid());

struct HostileCase {
  std::string name;
  // Builds the stream; `victim` is an absolute dir outside the target holding kToken.
  std::function<std::string(const std::string& victim)> tar;
  std::string error;  // expected substring; empty: must succeed
  std::function<void(const std::string& layer)> check = nullptr;
  ApplyOptions opts = {};
};

TarEntry file(std::string name, std::string data = "pwned") {
  return {.name = std::move(name), .data = std::move(data)};
}
TarEntry symlink(std::string name, std::string target) {
  return {.name = std::move(name), .type = '2', .link = std::move(target)};
}
TarEntry hardlink(std::string name, std::string target) {
  return {.name = std::move(name), .type = '1', .link = std::move(target)};
}

std::vector<HostileCase> cases() {
  std::vector<HostileCase> c;
  c.push_back(
      {"dotdot", [](auto&) { return make_tar({file("../" + kToken)}); }, "path escapes the layer"});
  c.push_back({"nested_dotdot", [](auto&) { return make_tar({file("a/../../" + kToken)}); },
               "path escapes the layer"});
  c.push_back({"absolute_lands_inside", [](auto&) { return make_tar({file("/abs/" + kToken)}); },
               "",
               [](const std::string& layer) {
                 EXPECT_EQ(test_support::read_file(layer + "/abs/" + kToken), "pwned");
               }});
  c.push_back({"symlink_then_write_through",
               [](const std::string& victim) {
                 return make_tar({symlink("l", victim), file("l/" + kToken)});
               },
               "parent \"l\" is a symlink"});
  c.push_back({"relative_symlink_up_then_write",
               [](auto&) {
                 return make_tar({symlink("l", "../../.."), file("l/" + kToken)});
               },
               "parent \"l\" is a symlink"});
  c.push_back({"symlink_chain_then_write",
               [](const std::string& victim) {
                 return make_tar({symlink("a", victim), symlink("b", "a"), file("b/x/" + kToken)});
               },
               "is a symlink"});
  c.push_back({"symlink_then_dir_then_write",
               [](const std::string& victim) {
                 return make_tar({symlink("l", victim), {.name = "l/sub/", .type = '5'}});
               },
               "parent \"l\" is a symlink"});
  c.push_back({"hardlink_dotdot",
               [](auto&) { return make_tar({hardlink("h", "../../etc/passwd")}); },
               "escapes the layer"});
  c.push_back(
      {"hardlink_absolute_host_path",
       [](const std::string& victim) { return make_tar({hardlink("h", victim + "/" + kToken)}); },
       "not found in the layer"});
  c.push_back({"hardlink_absolute_means_inside",
               [](auto&) {
                 return make_tar({file("etc/passwd", "inner"), hardlink("h", "/etc/passwd")});
               },
               "",
               [](const std::string& layer) {
                 struct stat a, b;
                 ASSERT_EQ(lstat((layer + "/h").c_str(), &a), 0);
                 ASSERT_EQ(lstat((layer + "/etc/passwd").c_str(), &b), 0);
                 EXPECT_EQ(a.st_ino, b.st_ino);
                 EXPECT_EQ(a.st_nlink, 2u);
               }});
  c.push_back({"hardlink_through_symlink",
               [](const std::string& victim) {
                 return make_tar({symlink("l", victim), hardlink("h", "l/" + kToken)});
               },
               "is a symlink"});
  c.push_back({"hardlink_then_write_replaces_link",
               [](auto&) {
                 return make_tar({file("a", "orig"), hardlink("b", "a"), file("b", "new")});
               },
               "",
               [](const std::string& layer) {
                 EXPECT_EQ(test_support::read_file(layer + "/a"), "orig");
                 EXPECT_EQ(test_support::read_file(layer + "/b"), "new");
               }});
  c.push_back({"symlink_replaced_by_file",
               [](const std::string& victim) {
                 return make_tar({symlink("f", victim + "/" + kToken), file("f", "data")});
               },
               "",
               [](const std::string& layer) {
                 struct stat st;
                 ASSERT_EQ(lstat((layer + "/f").c_str(), &st), 0);
                 EXPECT_TRUE(S_ISREG(st.st_mode));
                 EXPECT_EQ(test_support::read_file(layer + "/f"), "data");
               }});
  c.push_back(
      {"symlink_replaced_by_dir",
       [](const std::string& victim) {
         return make_tar({symlink("d", victim), {.name = "d/", .type = '5'}, file("d/" + kToken)});
       },
       "",
       [](const std::string& layer) {
         struct stat st;
         ASSERT_EQ(lstat((layer + "/d").c_str(), &st), 0);
         EXPECT_TRUE(S_ISDIR(st.st_mode));
         EXPECT_EQ(test_support::read_file(layer + "/d/" + kToken), "pwned");
       }});
  c.push_back({"whiteout_through_symlink",
               [](const std::string& victim) {
                 return make_tar({symlink("l", victim), file("l/.wh." + kToken, "")});
               },
               "is a symlink"});
  c.push_back({"opaque_through_symlink",
               [](const std::string& victim) {
                 return make_tar({symlink("l", victim), file("l/.wh..wh..opq", "")});
               },
               "is a symlink"});
  c.push_back({"whiteout_dotdot", [](auto&) { return make_tar({file("../.wh." + kToken, "")}); },
               "path escapes the layer"});
  c.push_back({"whiteout_of_dot", [](auto&) { return make_tar({file("a/.wh..", "")}); },
               "invalid whiteout"});
  c.push_back({"huge_size_limited",
               [](auto&) { return make_tar({{.name = "big", .size_override = 077777777777}}); },
               "exceeds the limit",
               nullptr,
               {.max_entry_size = 1 << 20}});
  c.push_back(
      {"huge_size_truncated",
       [](auto&) { return make_tar({{.name = "big", .size_override = 077777777777}}, false); },
       "unexpected EOF"});
  c.push_back(
      {"total_size_limit",
       [](auto&) {
         return make_tar({file("a", std::string(600, 'a')), file("b", std::string(600, 'b'))});
       },
       "exceeds the limit of 1000 bytes",
       nullptr,
       {.max_total_size = 1000}});
  c.push_back({"truncated_data",
               [](auto&) {
                 std::string t = make_tar({file("f", std::string(1000, 'x'))}, false);
                 return t.substr(0, 512 + 100);
               },
               "unexpected EOF"});
  c.push_back({"truncated_header",
               [](auto&) { return make_tar({file("f", "x")}).substr(0, 1024 + 200); },
               "unexpected EOF"});
  c.push_back({"bad_checksum",
               [](auto&) {
                 std::string t = make_tar({file("ok", "1"), file("f", "x")});
                 t[1024 + 150] = t[1024 + 150] == '1' ? '2' : '1';  // the second header's checksum
                 return t;
               },
               "reading layer"});
  c.push_back({"not_a_tar", [](auto&) { return std::string(4096, 'z'); }, "reading layer"});
  c.push_back({"gzip_garbage",
               [](auto&) { return std::string("\x1f\x8b\x08\x00garbage-garbage-garbage", 27); },
               "gzip"});
  c.push_back({"gzip_truncated",
               [](auto&) {
                 std::string gz = test_support::gzip(make_tar({file("f", std::string(5000, 'q'))}));
                 return gz.substr(0, gz.size() - 12);
               },
               "unexpected EOF"});
  c.push_back({"gzip_bad_crc",
               [](auto&) {
                 std::string gz = test_support::gzip(make_tar({file("f")}));
                 gz[gz.size() - 8] ^= 1;  // the CRC32 in the trailer
                 return gz;
               },
               "checksum mismatch"});
  c.push_back({"gzip_trailing_garbage",
               [](auto&) { return test_support::gzip(make_tar({file("f")})) + "junk"; },
               "trailing garbage"});
  c.push_back({"zstd_garbage",
               [](auto&) { return std::string("\x28\xb5\x2f\xfd garbage garbage garbage", 27); },
               "zstd"});
  c.push_back({"zstd_truncated",
               [](auto&) {
                 std::string z = test_support::zstd(make_tar({file("f", std::string(5000, 'q'))}));
                 return z.substr(0, z.size() - 5);
               },
               "unexpected EOF"});
  c.push_back({"device_nodes_inside",
               [](auto&) {
                 return make_tar(
                     {{.name = "dev/null", .type = '3', .mode = 0666, .devmajor = 1, .devminor = 3},
                      {.name = "dev/loop9", .type = '4', .devmajor = 7, .devminor = 9},
                      {.name = "dev/fifo", .type = '6', .mode = 0600}});
               },
               "",
               [](const std::string& layer) {
                 struct stat st;
                 ASSERT_EQ(lstat((layer + "/dev/null").c_str(), &st), 0);
                 EXPECT_TRUE(S_ISCHR(st.st_mode));
                 EXPECT_EQ(st.st_rdev, makedev(1, 3));
                 EXPECT_EQ(st.st_mode & 07777, 0666u);
                 ASSERT_EQ(lstat((layer + "/dev/loop9").c_str(), &st), 0);
                 EXPECT_TRUE(S_ISBLK(st.st_mode));
                 EXPECT_EQ(st.st_rdev, makedev(7, 9));
                 ASSERT_EQ(lstat((layer + "/dev/fifo").c_str(), &st), 0);
                 EXPECT_TRUE(S_ISFIFO(st.st_mode));
               }});
  c.push_back(
      {"root_replaced_by_file", [](auto&) { return make_tar({file(".", "x")}); }, "layer root"});
  c.push_back({"overlay_xattrs_not_planted",
               [](auto&) {
                 // A pax header trying to set overlayfs' own redirect xattr.
                 std::string line = "SCHILY.xattr.trusted.overlay.redirect=/x\n";
                 line = std::to_string(line.size() + 3) + " " + line;
                 return make_tar({{.name = "PaxHeaders/d",
                                   .type = 'x',
                                   .data = line,
                                   .size_override = static_cast<int64_t>(line.size())},
                                  {.name = "d/", .type = '5', .mode = 0755}});
               },
               "",
               [](const std::string& layer) {
                 char v[16];
                 EXPECT_LT(
                     lgetxattr((layer + "/d").c_str(), "trusted.overlay.redirect", v, sizeof v), 0);
               }});
  return c;
}

void run_cases(Whiteouts mode) {
  for (const auto& hc : cases()) {
    SCOPED_TRACE(hc.name);
    TempDir base;
    // base/victim: a dir the tar knows the absolute path of; base/root/layer: the target,
    // deep enough that "../.." stays inside base.
    std::string victim = base / "victim";
    std::string layer = base / "root/layer";
    ASSERT_EQ(mkdir(victim.c_str(), 0755), 0);
    test_support::write_file(victim + "/" + kToken, "precious");
    ASSERT_EQ(mkdir((base / "root").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(layer.c_str(), 0755), 0);
    auto before = test_support::listing(base.path(), layer);
    std::string passwd = test_support::read_file("/etc/passwd");

    ApplyOptions opts = hc.opts;
    opts.whiteouts = mode;
    auto r = test_support::apply_bytes(hc.tar(victim), layer, opts);
    if (hc.error.empty()) {
      ASSERT_TRUE(r) << r.error().message();
      if (hc.check) hc.check(layer);
    } else {
      ASSERT_FALSE(r) << "accepted";
      EXPECT_NE(r.error().message().find(hc.error), std::string::npos) << r.error().message();
    }
    EXPECT_EQ(test_support::listing(base.path(), layer), before);
    EXPECT_EQ(test_support::read_file("/etc/passwd"), passwd);
    for (std::string dir : {std::string("/"), std::string("/tmp/"), std::string("/etc/")})
      EXPECT_NE(access((dir + kToken).c_str(), F_OK), 0) << dir;
  }
}

TEST(HostileTar, DeleteMode) {
  run_cases(Whiteouts::Delete);
}

TEST(HostileTar, OverlayMode) {
  run_cases(Whiteouts::Overlay);
}

TEST(HostileTarMessages, NameTheEntry) {
  TempDir base;
  auto r = test_support::apply_bytes(make_tar({file("../etc/passwd")}), base.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "layer entry \"../etc/passwd\": path escapes the layer");
}

}  // namespace
}  // namespace berth::archive

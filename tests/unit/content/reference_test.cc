#include <gtest/gtest.h>

#include <string>

#include "image/reference.h"

using berth::image::looks_like_id;
using berth::image::parse_reference;

namespace {

const std::string kHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

struct Case {
  std::string input;
  std::string domain, path, tag, digest;
  std::string full, familiar;
};

}  // namespace

TEST(Reference, Normalises) {
  const std::string dg = "sha256:" + kHex;
  const Case cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"user/app:v2", "docker.io", "user/app", "v2", "", "docker.io/user/app:v2", "user/app:v2"},
      {"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "",
       "docker.io/library/a/b:latest", "library/a/b:latest"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest",
       "localhost/app:latest"},
      {"localhost:5000/a/b:c", "localhost:5000", "a/b", "c", "", "localhost:5000/a/b:c",
       "localhost:5000/a/b:c"},
      {"host.example.com/ns/name:tag@" + dg, "host.example.com", "ns/name", "tag", dg,
       "host.example.com/ns/name:tag@" + dg, "host.example.com/ns/name:tag@" + dg},
      {"name@" + dg, "docker.io", "library/name", "", dg, "docker.io/library/name@" + dg,
       "name@" + dg},
      {"[::1]:5000/img", "[::1]:5000", "img", "latest", "", "[::1]:5000/img:latest",
       "[::1]:5000/img:latest"},
      {"Registry/img", "Registry", "img", "latest", "", "Registry/img:latest",
       "Registry/img:latest"},
      {"a.b-c__d--e_f:My_Tag.1-x", "docker.io", "library/a.b-c__d--e_f", "My_Tag.1-x", "",
       "docker.io/library/a.b-c__d--e_f:My_Tag.1-x", "a.b-c__d--e_f:My_Tag.1-x"},
  };
  for (const auto& c : cases) {
    auto r = parse_reference(c.input);
    ASSERT_TRUE(r) << c.input << ": " << r.error().message();
    EXPECT_EQ(r->domain, c.domain) << c.input;
    EXPECT_EQ(r->path, c.path) << c.input;
    EXPECT_EQ(r->tag, c.tag) << c.input;
    EXPECT_EQ(r->digest, c.digest) << c.input;
    EXPECT_EQ(r->full(), c.full) << c.input;
    EXPECT_EQ(r->familiar(), c.familiar) << c.input;
  }
}

TEST(Reference, Names) {
  auto r = parse_reference("busybox:1.36").value();
  EXPECT_EQ(r.name(), "docker.io/library/busybox");
  EXPECT_EQ(r.familiar_name(), "busybox");
  auto q = parse_reference("quay.io/ns/x").value();
  EXPECT_EQ(q.name(), "quay.io/ns/x");
  EXPECT_EQ(q.familiar_name(), "quay.io/ns/x");
  auto u = parse_reference("user/app").value();
  EXPECT_EQ(u.familiar_name(), "user/app");
}

TEST(Reference, AddLatestOptional) {
  auto r = parse_reference("busybox", false).value();
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.full(), "docker.io/library/busybox");
  EXPECT_EQ(r.familiar(), "busybox");
}

TEST(Reference, RejectsUppercase) {
  for (const char* s : {"Busybox", "busybox/Foo:tag", "docker.io/User/app", "host:5000/Ns/x"}) {
    auto r = parse_reference(s);
    ASSERT_FALSE(r) << s;
    EXPECT_EQ(r.error().message(), "invalid reference format: repository name must be lowercase")
        << s;
  }
}

TEST(Reference, RejectsInvalid) {
  const std::string too_long_tag(129, 't');
  const std::string long_name(250, 'a');
  const std::string invalid[] = {
      "",
      "a:b:c",
      "busybox:" + too_long_tag,
      "busybox:",
      "busybox:-tag",
      "busybox@",
      "busybox@sha256:abc",
      "busybox@sha256:" + kHex + "@sha256:" + kHex,
      ":tag",
      "/busybox",
      "busybox/",
      "a//b",
      "a..b",
      "a._b",
      "a___b",
      "-a",
      "a-",
      "host:port/x",
      "-host.com/x",
      "host.com:/x",
      "[::1/x",
      "ns/x:tag/y",
      "busy box",
      "busybox!",
      long_name + "/x",
  };
  for (const auto& s : invalid) {
    auto r = parse_reference(s);
    ASSERT_FALSE(r) << s;
    EXPECT_EQ(r.error().kind(), berth::ErrorKind::InvalidArgument) << s;
    EXPECT_TRUE(r.error().message().starts_with("invalid reference format"))
        << s << ": " << r.error().message();
  }
  EXPECT_TRUE(parse_reference("busybox:" + std::string(128, 't')));
}

TEST(Reference, ValidatesDigests) {
  // Syntactically a digest, but not one we can verify.
  EXPECT_FALSE(parse_reference("busybox@sha256:" + kHex.substr(0, 40)));
  EXPECT_FALSE(parse_reference("busybox@md5:" + kHex.substr(0, 32)));
  EXPECT_FALSE(parse_reference("busybox@sha512:" + kHex));
  EXPECT_TRUE(parse_reference("busybox@sha512:" + kHex + kHex));
}

TEST(Reference, RejectsIds) {
  auto r = parse_reference(kHex);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("cannot specify 64-byte hexadecimal strings"),
            std::string::npos);
}

TEST(Reference, LooksLikeId) {
  EXPECT_TRUE(looks_like_id(kHex));
  EXPECT_TRUE(looks_like_id("sha256:" + kHex));
  EXPECT_FALSE(looks_like_id(kHex.substr(1)));
  EXPECT_FALSE(looks_like_id("sha512:" + kHex));
  EXPECT_FALSE(looks_like_id("busybox"));
  EXPECT_FALSE(looks_like_id(""));
  std::string upper = kHex;
  upper[0] = 'B';
  EXPECT_FALSE(looks_like_id(upper));
}

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "content/digest.h"

using berth::content::Digest;
using berth::content::Hasher;

namespace {

constexpr char kEmpty256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kAbc512[] =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

}  // namespace

TEST(Digest, ParseValid) {
  auto d = Digest::parse(std::string("sha256:") + kAbc256);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->algorithm(), "sha256");
  EXPECT_EQ(d->hex(), kAbc256);
  EXPECT_EQ(d->str(), std::string("sha256:") + kAbc256);
  EXPECT_EQ(d->short_id(), "ba7816bf8f01");

  auto d512 = Digest::parse(std::string("sha512:") + kAbc512);
  ASSERT_TRUE(d512) << d512.error().message();
  EXPECT_EQ(d512->algorithm(), "sha512");
  EXPECT_EQ(d512->hex(), kAbc512);
}

TEST(Digest, ParseInvalid) {
  std::string hex = kAbc256;
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string bad :
       {std::string(""), std::string("sha256"), std::string("sha256:"), hex,
        "sha256:" + hex.substr(1), "sha256:" + hex + "0", "sha256:" + upper,
        "sha256:" + hex.substr(1) + "g", "md5:" + hex.substr(0, 32), "sha512:" + hex,
        "SHA256:" + hex, "sha256:" + hex + "\n", " sha256:" + hex}) {
    auto d = Digest::parse(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().message(), "invalid digest \"" + bad + "\"");
    EXPECT_EQ(d.error().kind(), berth::ErrorKind::InvalidArgument);
  }
}

TEST(Digest, KnownSha256) {
  EXPECT_EQ(Digest::sha256_of("").str(), std::string("sha256:") + kEmpty256);
  EXPECT_EQ(Digest::sha256_of("abc").str(), std::string("sha256:") + kAbc256);
}

TEST(Digest, HasherStreamsAndSha512) {
  Hasher h;
  h.update("a", 1);
  h.update("", 0);
  h.update("bc", 2);
  EXPECT_EQ(h.finish().str(), std::string("sha256:") + kAbc256);
  // Reusable after finish().
  h.update("abc", 3);
  EXPECT_EQ(h.finish().str(), std::string("sha256:") + kAbc256);

  Hasher h512("sha512");
  h512.update("abc", 3);
  EXPECT_EQ(h512.finish().str(), std::string("sha512:") + kAbc512);

  Hasher moved(std::move(h512));
  moved.update("abc", 3);
  EXPECT_EQ(moved.finish().str(), std::string("sha512:") + kAbc512);
}

TEST(Digest, ComparesAndSupports) {
  Digest a = Digest::sha256_of("a");
  Digest b = Digest::sha256_of("b");
  EXPECT_EQ(a, Digest::sha256_of("a"));
  EXPECT_NE(a, b);
  EXPECT_TRUE(Digest().empty());
  EXPECT_EQ(Digest().algorithm(), "");
  EXPECT_EQ(Digest().hex(), "");
  EXPECT_TRUE(Digest::supported("sha256"));
  EXPECT_TRUE(Digest::supported("sha512"));
  EXPECT_FALSE(Digest::supported("md5"));
  EXPECT_FALSE(Digest::supported(""));
}

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "content/store.h"

using berth::content::Digest;
using berth::content::Store;
namespace fs = std::filesystem;

namespace {

class ContentStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-content-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  size_t ingest_entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ + "/ingest")) ++n;
    return n;
  }
  std::string root_;
};

}  // namespace

TEST_F(ContentStore, PutGetExistsRemove) {
  auto s = Store::open(root_);
  ASSERT_TRUE(s) << s.error().message();
  auto d = s->put("hello");
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, Digest::sha256_of("hello"));
  EXPECT_TRUE(s->exists(*d));
  EXPECT_EQ(s->path(*d), root_ + "/blobs/sha256/" + std::string(d->hex()));
  EXPECT_EQ(s->get(*d).value(), "hello");
  EXPECT_EQ(s->size(*d).value(), 5u);

  auto fd = s->open_blob(*d);
  ASSERT_TRUE(fd);
  char buf[16] = {};
  EXPECT_EQ(::read(fd->get(), buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf), "hello");

  // Putting the same content again is a no-op.
  EXPECT_EQ(s->put("hello", *d).value(), *d);

  ASSERT_TRUE(s->remove(*d));
  EXPECT_FALSE(s->exists(*d));
  auto missing = s->get(*d);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), berth::ErrorKind::NotFound);
  EXPECT_EQ(s->remove(*d).error().kind(), berth::ErrorKind::NotFound);
  EXPECT_EQ(s->size(*d).error().kind(), berth::ErrorKind::NotFound);
  EXPECT_EQ(s->open_blob(*d).error().kind(), berth::ErrorKind::NotFound);
  EXPECT_FALSE(s->exists(Digest()));
  EXPECT_FALSE(s->get(Digest()));
}

TEST_F(ContentStore, PutRejectsWrongExpectedDigest) {
  auto s = Store::open(root_).value();
  Digest other = Digest::sha256_of("other");
  auto r = s.put("hello", other);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("digest mismatch: expected " + other.str()),
            std::string::npos);
  EXPECT_FALSE(s.exists(other));
  EXPECT_FALSE(s.exists(Digest::sha256_of("hello")));
  EXPECT_EQ(ingest_entries(), 0u);
}

TEST_F(ContentStore, List) {
  auto s = Store::open(root_).value();
  EXPECT_TRUE(s.list().value().empty());
  Digest a = s.put("a").value();
  Digest b = s.put("b").value();
  auto w = s.writer("sha512").value();
  ASSERT_TRUE(w.write("c", 1));
  Digest c = w.commit().value();
  EXPECT_EQ(c.algorithm(), "sha512");
  // A stray file that is not named like a digest is ignored.
  ASSERT_TRUE(berth::write_file_atomic(root_ + "/blobs/sha256/junk", "x"));
  auto all = s.list().value();
  std::vector<Digest> want = {a, b, c};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(all, want);
}

TEST_F(ContentStore, WriterStreamsLargeData) {
  auto s = Store::open(root_).value();
  auto w = s.writer();
  ASSERT_TRUE(w) << w.error().message();
  std::string chunk(64 * 1024, '\0');
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 31 + 7);
  std::string all;
  berth::content::Hasher h;
  for (int i = 0; i < 64; ++i) {  // 4 MiB
    chunk[0] = static_cast<char>(i);
    ASSERT_TRUE(w->write(chunk.data(), chunk.size()));
    h.update(chunk.data(), chunk.size());
    all += chunk;
  }
  EXPECT_EQ(w->size(), all.size());
  EXPECT_EQ(ingest_entries(), 1u);
  Digest want = h.finish();
  auto d = w->commit(want, static_cast<int64_t>(all.size()));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, want);
  EXPECT_EQ(s.get(*d).value(), all);
  EXPECT_EQ(s.size(*d).value(), all.size());
  EXPECT_EQ(ingest_entries(), 0u);
  EXPECT_FALSE(w->write("x", 1));  // finished writers refuse more data
  EXPECT_FALSE(w->commit());
}

TEST_F(ContentStore, MismatchPublishesNothing) {
  auto s = Store::open(root_).value();
  Digest wrong = Digest::sha256_of("something else");
  {
    auto w = s.writer().value();
    ASSERT_TRUE(w.write("data", 4));
    auto r = w.commit(wrong);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "digest mismatch: expected " + wrong.str() + ", got " +
                                       Digest::sha256_of("data").str());
  }
  {
    auto w = s.writer().value();
    ASSERT_TRUE(w.write("data", 4));
    auto r = w.commit(Digest::sha256_of("data"), 5);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("size mismatch"), std::string::npos);
  }
  EXPECT_TRUE(s.list().value().empty());
  EXPECT_EQ(ingest_entries(), 0u);
}

TEST_F(ContentStore, AbandonedWriterRemovesTemp) {
  auto s = Store::open(root_).value();
  {
    auto w = s.writer().value();
    ASSERT_TRUE(w.write("partial", 7));
    EXPECT_EQ(ingest_entries(), 1u);
    auto moved = std::move(w);  // the temp follows the moved-to writer
    EXPECT_EQ(ingest_entries(), 1u);
  }
  EXPECT_EQ(ingest_entries(), 0u);
  EXPECT_TRUE(s.list().value().empty());
}

TEST_F(ContentStore, CommitOfExistingBlobDropsTemp) {
  auto s = Store::open(root_).value();
  Digest d = s.put("same").value();
  auto w = s.writer().value();
  ASSERT_TRUE(w.write("same", 4));
  EXPECT_EQ(w.commit(d, 4).value(), d);
  EXPECT_EQ(s.get(d).value(), "same");
  EXPECT_EQ(ingest_entries(), 0u);
}

TEST_F(ContentStore, OpenCleansCrashLeftovers) {
  { auto s = Store::open(root_).value(); }
  ASSERT_TRUE(berth::write_file_atomic(root_ + "/ingest/blob-crashed", "half a blob"));
  EXPECT_EQ(ingest_entries(), 1u);
  auto s = Store::open(root_);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(ingest_entries(), 0u);
}

TEST_F(ContentStore, OpenSparesLiveWriters) {
  auto s = Store::open(root_).value();
  auto w = s.writer().value();
  ASSERT_TRUE(w.write("in flight", 9));
  // Another process opening the store must not delete a temp a writer is still filling.
  ASSERT_TRUE(Store::open(root_));
  EXPECT_EQ(ingest_entries(), 1u);
  auto d = w.commit();
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(s.get(*d).value(), "in flight");
}

TEST_F(ContentStore, GcRemovesUnreferenced) {
  auto s = Store::open(root_).value();
  Digest keep = s.put("keep me").value();
  Digest drop1 = s.put("drop").value();
  Digest drop2 = s.put("drop too").value();
  auto freed = s.gc({keep});
  ASSERT_TRUE(freed) << freed.error().message();
  EXPECT_EQ(*freed, 4u + 8u);
  EXPECT_TRUE(s.exists(keep));
  EXPECT_FALSE(s.exists(drop1));
  EXPECT_FALSE(s.exists(drop2));
  EXPECT_EQ(s.gc({keep}).value(), 0u);
  EXPECT_EQ(s.list().value(), std::vector<Digest>{keep});
}

TEST_F(ContentStore, RejectsUnknownAlgorithm) {
  auto s = Store::open(root_).value();
  auto w = s.writer("md5");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind(), berth::ErrorKind::InvalidArgument);
}

TEST_F(ContentStore, AdoptLinksAFileInUnderItsDigest) {
  auto store = Store::open(root_);
  ASSERT_TRUE(store) << store.error().message();
  std::string src = root_ + "/layer.tar";
  ASSERT_TRUE(berth::write_file_atomic(src, "layer bytes", 0644, false));
  auto d = store->adopt(src);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, Digest::sha256_of("layer bytes"));
  EXPECT_TRUE(fs::equivalent(src, store->path(*d)));  // the same file, not a copy
  fs::remove(src);
  auto got = store->get(*d);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "layer bytes");
  EXPECT_EQ(fs::status(store->path(*d)).permissions() & fs::perms::all, fs::perms(0444));

  // The same content again: the blob stays as it was.
  ASSERT_TRUE(berth::write_file_atomic(src, "layer bytes", 0644, false));
  auto again = store->adopt(src);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *d);
  EXPECT_FALSE(fs::equivalent(src, store->path(*d)));
  EXPECT_TRUE(store->exists(*d));

  // A symlink is refused: the name itself would be linked.
  fs::create_symlink(src, root_ + "/link");
  auto sym = store->adopt(root_ + "/link");
  EXPECT_FALSE(sym);
}

TEST_F(ContentStore, AdoptRejectsAWrongDigestAndKeepsTheFile) {
  auto store = Store::open(root_);
  ASSERT_TRUE(store);
  std::string src = root_ + "/layer.tar";
  ASSERT_TRUE(berth::write_file_atomic(src, "actual", 0644, false));
  auto d = store->adopt(src, Digest::sha256_of("claimed"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind(), berth::ErrorKind::InvalidArgument);
  EXPECT_TRUE(fs::exists(src));
  EXPECT_FALSE(store->exists(Digest::sha256_of("actual")));
  auto missing = store->adopt(root_ + "/nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), berth::ErrorKind::NotFound);
}

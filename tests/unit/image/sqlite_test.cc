// Db::transaction: a relaxed (not durable) commit leaves the connection durable again.
#include "image/sqlite.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace berth::image {
namespace {

int64_t synchronous(Db& db) {
  auto st = db.prepare("PRAGMA synchronous");
  EXPECT_TRUE(st);
  auto more = st->step();
  EXPECT_TRUE(more && *more);
  return st->integer(0);
}

int64_t rows(Db& db) {
  auto st = db.prepare("SELECT count(*) FROM t");
  EXPECT_TRUE(st);
  EXPECT_TRUE(st->step());
  return st->integer(0);
}

TEST(SqliteTransaction, RelaxedCommitsAndRollsBackThenIsFullAgain) {
  test_util::TempDir dir;
  auto db = Db::open(dir / "db.sqlite");
  ASSERT_TRUE(db) << db.error().message();
  ASSERT_TRUE(db->exec("CREATE TABLE t (x INTEGER)"));
  EXPECT_EQ(synchronous(*db), 2);  // FULL
  ASSERT_TRUE(db->transaction([&] { return db->exec("INSERT INTO t VALUES (1)"); }, false));
  EXPECT_EQ(rows(*db), 1);
  EXPECT_EQ(synchronous(*db), 2);
  auto failed = db->transaction(
      [&]() -> Status {
        BERTH_TRY(db->exec("INSERT INTO t VALUES (2)"));
        return fail(ErrorKind::Internal, "no");
      },
      false);
  EXPECT_FALSE(failed);
  EXPECT_EQ(rows(*db), 1);  // rolled back
  EXPECT_EQ(synchronous(*db), 2);
}

}  // namespace
}  // namespace berth::image

// A small RAII layer over SQLite: one connection, prepared statements, transactions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::image {

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(std::exchange(o.s_, nullptr)) {}
  Stmt(const Stmt&) = delete;
  ~Stmt() {
    if (s_) sqlite3_finalize(s_);
  }

  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  // true: a row is available; false: done.
  Result<bool> step();
  Status run();  // step to completion
  // Every remaining row, each made into a value by `row(*this)`.
  template <typename F>
  auto collect(F row) -> Result<std::vector<decltype(row(std::declval<const Stmt&>()))>> {
    std::vector<decltype(row(std::declval<const Stmt&>()))> out;
    for (;;) {
      BERTH_ASSIGN(bool more, step());
      if (!more) return out;
      out.push_back(row(*this));
    }
  }
  // The first row made into a value, or nullopt; the statement is then reset.
  template <typename F>
  auto first(F row) -> Result<std::optional<decltype(row(std::declval<const Stmt&>()))>> {
    using T = decltype(row(std::declval<const Stmt&>()));
    BERTH_ASSIGN(bool more, step());
    if (!more) return std::optional<T>();
    std::optional<T> v(row(*this));
    BERTH_TRY(run());
    return v;
  }
  std::string text(int col) const;
  int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class Db {
 public:
  // Opens (creating) the file in WAL mode with synchronous=FULL: a commit that returned is on
  // disk, and a kill -9 at any moment leaves the last committed state.
  static Result<Db> open(const std::string& path);
  Db(Db&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  ~Db();

  Status exec(const std::string& sql);
  Result<Stmt> prepare(std::string_view sql);
  int64_t changes() const { return sqlite3_changes64(db_); }

  // BEGIN IMMEDIATE .. COMMIT; rolls back when the callable fails. Not `durable`: committed
  // with synchronous=NORMAL, without waiting for the disk (in WAL mode an OS crash may undo
  // the transaction, never damage the database; the next durable commit syncs it too).
  // Callers hold the lock that orders their transactions (LayerStore's), which keeps another
  // commit from landing inside the relaxed window.
  template <typename F>
  Status transaction(F&& f, bool durable = true) {
    if (!durable) BERTH_TRY(exec("PRAGMA synchronous=NORMAL"));
    Status st = run_transaction(std::forward<F>(f));
    if (!durable) {
      if (auto r = exec("PRAGMA synchronous=FULL"); !r && st) st = r;
    }
    return st;
  }

 private:
  template <typename F>
  Status run_transaction(F&& f) {
    BERTH_TRY(exec("BEGIN IMMEDIATE"));
    Status st = f();
    if (!st) {
      (void)exec("ROLLBACK");
      return st;
    }
    return exec("COMMIT");
  }
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

}  // namespace berth::image

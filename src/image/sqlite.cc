#include "image/sqlite.h"

namespace berth::image {

namespace {
std::unexpected<Error> db_error(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  ErrorKind kind = ErrorKind::Internal;
  if ((code & 0xff) == SQLITE_CONSTRAINT) kind = ErrorKind::Conflict;
  if ((code & 0xff) == SQLITE_BUSY) kind = ErrorKind::Unavailable;
  return fail(kind, "sqlite: {}: {}", what, sqlite3_errmsg(db));
}
}  // namespace

Result<bool> Stmt::step() {
  int r = sqlite3_step(s_);
  if (r == SQLITE_ROW) return true;
  if (r == SQLITE_DONE) {
    sqlite3_reset(s_);
    return false;
  }
  auto e = db_error(db_, sqlite3_sql(s_));
  sqlite3_reset(s_);
  return e;
}

Status Stmt::run() {
  for (;;) {
    BERTH_ASSIGN(bool row, step());
    if (!row) return ok();
  }
}

std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

Result<Db> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int r =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  Db db(raw);
  if (r != SQLITE_OK)
    return fail(ErrorKind::Internal, "sqlite: open {}: {}", path,
                raw ? sqlite3_errmsg(raw) : "out of memory");
  sqlite3_busy_timeout(raw, 5000);
  // The metadata is small (rows of layers, images, containers' layers): a 512 KiB page cache
  // holds it, where SQLite's default of 2 MiB only grows the daemon's resident memory.
  BERTH_TRY(
      db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
              "PRAGMA cache_size=-512;"));
  return db;
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
  }
  return *this;
}

Db::~Db() {
  if (db_) sqlite3_close_v2(db_);
}

Status Db::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return fail(ErrorKind::Internal, "sqlite: {}: {}", sql.substr(0, 60), msg);
  }
  return ok();
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK)
    return db_error(db_, sql);
  return Stmt(db_, s);
}

}  // namespace berth::image

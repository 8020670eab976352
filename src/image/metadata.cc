#include "image/metadata.h"

#include <ctime>

namespace berth::image {

namespace {
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS layers(
  cache_id TEXT PRIMARY KEY,
  chain_id TEXT UNIQUE,
  parent TEXT NOT NULL DEFAULT '',
  diff_id TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  ready INTEGER NOT NULL DEFAULT 0,
  refcount INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS layer_blobs(
  diff_id TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY(diff_id, digest));
CREATE TABLE IF NOT EXISTS images(
  id TEXT PRIMARY KEY, top_chain TEXT NOT NULL, created TEXT NOT NULL,
  size INTEGER NOT NULL, added INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tags(
  name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id));
CREATE TABLE IF NOT EXISTS repo_digests(
  name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id));
CREATE TABLE IF NOT EXISTS container_layers(
  id TEXT PRIMARY KEY, image_id TEXT NOT NULL, parent_chain TEXT NOT NULL);
)";

LayerRecord layer_from(const Stmt& s) {
  return LayerRecord{s.text(0),    s.text(1),         s.text(2),   s.text(3),
                     s.integer(4), s.integer(5) != 0, s.integer(6)};
}
// The first column of every row a one-parameter query returns.
Result<std::vector<std::string>> names_of(Db& db, std::string_view sql, const std::string& arg) {
  BERTH_ASSIGN(Stmt s, db.prepare(sql));
  s.bind(1, arg);
  return s.collect([](const Stmt& s) { return s.text(0); });
}

constexpr const char* kLayerCols =
    "SELECT cache_id, ifnull(chain_id,''), parent, diff_id, size, ready, refcount FROM layers ";
}  // namespace

Result<Metadata> Metadata::open(const std::string& path) {
  BERTH_ASSIGN(Db db, Db::open(path));
  BERTH_TRY(db.exec(kSchema));
  return Metadata(std::move(db));
}

Status Metadata::begin_layer(const std::string& cache_id, const std::string& parent) {
  BERTH_ASSIGN(Stmt s, db_.prepare("INSERT INTO layers(cache_id, parent) VALUES(?, ?)"));
  return s.bind(1, cache_id).bind(2, parent).run();
}

Status Metadata::finish_layer(const std::string& cache_id, const std::string& chain_id,
                              const std::string& diff_id, int64_t size) {
  return db_.transaction([&]() -> Status {
    BERTH_ASSIGN(Stmt s, db_.prepare("UPDATE layers SET chain_id=?, diff_id=?, size=?, ready=1 "
                                     "WHERE cache_id=?"));
    BERTH_TRY(s.bind(1, chain_id).bind(2, diff_id).bind(3, size).bind(4, cache_id).run());
    BERTH_ASSIGN(Stmt p, db_.prepare("UPDATE layers SET refcount = refcount + 1 WHERE chain_id = "
                                     "(SELECT parent FROM layers WHERE cache_id=?)"));
    return p.bind(1, cache_id).run();
  });
}

Result<std::optional<LayerRecord>> Metadata::layer_by_chain(const std::string& chain_id) {
  BERTH_ASSIGN(Stmt s, db_.prepare(std::string(kLayerCols) + "WHERE chain_id=?"));
  s.bind(1, chain_id);
  return s.first([](const Stmt& s) { return layer_from(s); });
}

Result<std::vector<LayerRecord>> Metadata::unfinished_layers() {
  BERTH_ASSIGN(Stmt s, db_.prepare(std::string(kLayerCols) + "WHERE ready=0"));
  return s.collect([](const Stmt& s) { return layer_from(s); });
}

Status Metadata::drop_layer_row(const std::string& cache_id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("DELETE FROM layers WHERE cache_id=?"));
  return s.bind(1, cache_id).run();
}

Result<int64_t> Metadata::ref_layer(const std::string& chain_id, int64_t delta) {
  BERTH_ASSIGN(Stmt s, db_.prepare("UPDATE layers SET refcount = refcount + ? WHERE chain_id=? "
                                   "RETURNING refcount"));
  s.bind(1, delta).bind(2, chain_id);
  BERTH_ASSIGN(bool row, s.step());
  if (!row) return fail(ErrorKind::NotFound, "layer {} not found", chain_id);
  int64_t n = s.integer(0);
  BERTH_TRY(s.run());
  return n;
}

Status Metadata::add_layer_blob(const LayerBlob& b) {
  BERTH_ASSIGN(Stmt s, db_.prepare("INSERT OR IGNORE INTO layer_blobs(diff_id, digest, "
                                   "media_type, size) VALUES(?,?,?,?)"));
  return s.bind(1, b.diff_id).bind(2, b.digest).bind(3, b.media_type).bind(4, b.size).run();
}

Result<std::vector<LayerBlob>> Metadata::layer_blobs(const std::string& diff_id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT diff_id, digest, media_type, size FROM layer_blobs "
                                   "WHERE diff_id=?"));
  s.bind(1, diff_id);
  return s.collect([](const Stmt& s) {
    return LayerBlob{s.text(0), s.text(1), s.text(2), s.integer(3)};
  });
}

Status Metadata::put_image(const ImageRecord& img) {
  BERTH_ASSIGN(Stmt s, db_.prepare("INSERT INTO images(id, top_chain, created, size, added) "
                                   "VALUES(?,?,?,?,?) ON CONFLICT(id) DO NOTHING"));
  int64_t added = img.added ? img.added : static_cast<int64_t>(time(nullptr));
  return s.bind(1, img.id)
      .bind(2, img.top_chain)
      .bind(3, img.created)
      .bind(4, img.size)
      .bind(5, added)
      .run();
}

Result<std::optional<ImageRecord>> Metadata::image(const std::string& id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT id, top_chain, created, size, added FROM images "
                                   "WHERE id=?"));
  s.bind(1, id);
  return s.first([](const Stmt& s) {
    return ImageRecord{s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4)};
  });
}

Result<std::vector<ImageRecord>> Metadata::images() {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT id, top_chain, created, size, added FROM images "
                                   "ORDER BY added DESC, id"));
  return s.collect([](const Stmt& s) {
    return ImageRecord{s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4)};
  });
}

Status Metadata::delete_image(const std::string& id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("DELETE FROM images WHERE id=?"));
  return s.bind(1, id).run();
}

Result<std::string> Metadata::set_tag(const std::string& name, const std::string& id) {
  BERTH_ASSIGN(auto old, tag_target(name));
  BERTH_ASSIGN(Stmt s, db_.prepare("INSERT INTO tags(name, image_id) VALUES(?, ?) "
                                   "ON CONFLICT(name) DO UPDATE SET image_id=excluded.image_id"));
  BERTH_TRY(s.bind(1, name).bind(2, id).run());
  return old.value_or("");
}

Result<bool> Metadata::remove_tag(const std::string& name) {
  BERTH_ASSIGN(Stmt s, db_.prepare("DELETE FROM tags WHERE name=?"));
  BERTH_TRY(s.bind(1, name).run());
  return db_.changes() > 0;
}

Result<std::optional<std::string>> Metadata::tag_target(const std::string& name) {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT image_id FROM tags WHERE name=?"));
  s.bind(1, name);
  return s.first([](const Stmt& s) { return s.text(0); });
}

Result<std::vector<std::string>> Metadata::tags_of(const std::string& id) {
  return names_of(db_, "SELECT name FROM tags WHERE image_id=? ORDER BY name", id);
}

Status Metadata::set_repo_digest(const std::string& name, const std::string& id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("INSERT INTO repo_digests(name, image_id) VALUES(?, ?) "
                                   "ON CONFLICT(name) DO UPDATE SET image_id=excluded.image_id"));
  return s.bind(1, name).bind(2, id).run();
}

Result<std::optional<std::string>> Metadata::repo_digest_target(const std::string& name) {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT image_id FROM repo_digests WHERE name=?"));
  s.bind(1, name);
  return s.first([](const Stmt& s) { return s.text(0); });
}

Result<std::vector<std::string>> Metadata::repo_digests_of(const std::string& id) {
  return names_of(db_, "SELECT name FROM repo_digests WHERE image_id=? ORDER BY name", id);
}

Status Metadata::remove_repo_digests_of(const std::string& id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("DELETE FROM repo_digests WHERE image_id=?"));
  return s.bind(1, id).run();
}

Status Metadata::put_container_layer(const ContainerLayerRecord& r) {
  BERTH_ASSIGN(Stmt s, db_.prepare("INSERT INTO container_layers(id, image_id, parent_chain) "
                                   "VALUES(?,?,?)"));
  return s.bind(1, r.id).bind(2, r.image_id).bind(3, r.parent_chain).run();
}

Result<std::optional<ContainerLayerRecord>> Metadata::container_layer(const std::string& id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT id, image_id, parent_chain FROM container_layers "
                                   "WHERE id=?"));
  s.bind(1, id);
  return s.first([](const Stmt& s) {
    return ContainerLayerRecord{s.text(0), s.text(1), s.text(2)};
  });
}

Result<std::vector<ContainerLayerRecord>> Metadata::container_layers() {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT id, image_id, parent_chain FROM container_layers "
                                   "ORDER BY id"));
  return s.collect([](const Stmt& s) {
    return ContainerLayerRecord{s.text(0), s.text(1), s.text(2)};
  });
}

Status Metadata::delete_container_layer(const std::string& id) {
  BERTH_ASSIGN(Stmt s, db_.prepare("DELETE FROM container_layers WHERE id=?"));
  return s.bind(1, id).run();
}

Result<std::vector<LayerRecord>> Metadata::ready_layers() {
  BERTH_ASSIGN(Stmt s, db_.prepare(std::string(kLayerCols) + "WHERE ready=1"));
  return s.collect([](const Stmt& s) { return layer_from(s); });
}

Result<std::vector<LayerBlob>> Metadata::all_layer_blobs() {
  BERTH_ASSIGN(Stmt s, db_.prepare("SELECT diff_id, digest, media_type, size FROM layer_blobs"));
  return s.collect([](const Stmt& s) {
    return LayerBlob{s.text(0), s.text(1), s.text(2), s.integer(3)};
  });
}

Status Metadata::drop_layer_blob(const std::string& diff_id, const std::string& digest) {
  BERTH_ASSIGN(Stmt s, db_.prepare("DELETE FROM layer_blobs WHERE diff_id=? AND digest=?"));
  return s.bind(1, diff_id).bind(2, digest).run();
}

}  // namespace berth::image

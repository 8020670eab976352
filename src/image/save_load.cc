// docker-archive and OCI image layout: load and save.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "archive/apply.h"
#include "base/file.h"
#include "base/log.h"
#include "image/media_types.h"
#include "image/parallel.h"
#include "image/store.h"

namespace berth::image {

namespace {

// Copies a file into the content store (the loaded archive is extracted to a temp dir).
Result<content::Digest> ingest_file(content::Store& blobs, const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_fail("open {}", path);
  BERTH_ASSIGN(content::Writer w, blobs.writer());
  char buf[1 << 17];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_fail("read {}", path);
    if (n == 0) break;
    BERTH_TRY(w.write(buf, static_cast<size_t>(n)));
  }
  return w.commit();
}

// A layer file of the extracted archive, to store in the content store.
struct LayerFile {
  std::string path;
  content::Digest expected;  // OCI layouts name blobs by digest; docker-archives do not
  std::string media_type;    // "" to detect from the file's magic bytes
};

std::string layer_media_of_file(const std::string& path);

// Hashes one image's layer files concurrently (verifying OCI digests). They are not stored yet:
// the layers are applied from these files and the files published as blobs after the layers'
// single sync (Store::add_image), so no blob costs an fsync of its own. `moved` remembers
// files already hashed: images of one archive share layers.
struct HashedLayers {
  std::vector<std::pair<content::Digest, std::string>> layers;
  std::vector<std::string> sources;
};

Result<HashedLayers> adopt_layers(
    content::Store& blobs, const std::string& dir, std::vector<LayerFile> files,
    std::map<std::string, std::pair<content::Digest, std::string>>& moved) {
  std::vector<size_t> todo;
  std::set<std::string> seen;
  std::unique_ptr<char, decltype(&free)> real_dir(realpath(dir.c_str(), nullptr), &free);
  if (!real_dir) return sys_fail("resolve {}", dir);
  const std::string prefix = std::string(real_dir.get()) + "/";
  for (size_t i = 0; i < files.size(); ++i) {
    // docker save writes a layer shared by two images once, the other as a symlink to it: go
    // by the real file (which must stay inside the archive).
    std::unique_ptr<char, decltype(&free)> real(realpath(files[i].path.c_str(), nullptr), &free);
    if (!real) return sys_fail("archive: layer {}", files[i].path.substr(dir.size()));
    if (std::string_view(real.get()).rfind(prefix, 0) != 0)
      return fail(ErrorKind::InvalidArgument, "archive: layer {} points outside the archive",
                  files[i].path.substr(dir.size()));
    files[i].path = real.get();
    if (files[i].media_type.empty()) {
      auto m = moved.find(files[i].path);
      files[i].media_type =
          m != moved.end() ? m->second.second : layer_media_of_file(files[i].path);
    }
    if (!moved.contains(files[i].path) && seen.insert(files[i].path).second) todo.push_back(i);
  }
  std::vector<std::optional<Result<content::Digest>>> got(files.size());
  parallel_for(todo.size(), worker_count(todo.size()), [&](size_t k) {
    const LayerFile& f = files[todo[k]];
    // An uncompressed layer's digest is its diff id, which applying it computes and checks
    // anyway: left empty here (Store::add_image takes the config's diff id), it is read once.
    if (f.expected.empty() && f.media_type == media::kOciLayer) {
      got[todo[k]] = content::Digest();
      return true;
    }
    got[todo[k]] = blobs.hash_file(f.path, f.expected);
    return got[todo[k]]->has_value();
  });
  for (size_t i : todo) {
    if (!got[i]) continue;  // not started after another failed
    if (!*got[i]) return std::unexpected(std::move(*got[i]).error().context("archive: layer"));
    moved[files[i].path] = {**got[i], files[i].media_type};
  }
  HashedLayers out;
  for (const auto& f : files) {
    auto m = moved.find(f.path);
    if (m == moved.end()) return fail(ErrorKind::Internal, "archive: layer {} not stored", f.path);
    out.layers.emplace_back(m->second.first, f.media_type);
    out.sources.push_back(f.path);
  }
  return out;
}

std::string layer_media_of_file(const std::string& path) {
  unsigned char m[4] = {};
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd && read(fd.get(), m, 4) == 4) {
    if (m[0] == 0x1f && m[1] == 0x8b) return std::string(media::kOciLayerGzip);
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
      return std::string(media::kOciLayerZstd);
  }
  return std::string(media::kOciLayer);
}

// A path named by the archive itself, kept inside the extracted dir.
Result<std::string> inside(const std::string& dir, const std::string& rel) {
  std::string clean = clean_path("/" + rel);
  if (clean == "/") return fail(ErrorKind::InvalidArgument, "archive: bad path {:?}", rel);
  return dir + clean;
}

std::string blob_path(const std::string& dir, const content::Digest& d) {
  return fmt::format("{}/blobs/{}/{}", dir, d.algorithm(), d.hex());
}

// The linux/amd64 (or only) manifest of an index, following nested indexes.
Result<Manifest> pick_manifest(const std::string& dir, const Descriptor& d) {
  BERTH_ASSIGN(std::string bytes, read_file(blob_path(dir, d.digest)));
  if (media::is_index(d.media_type)) {
    BERTH_ASSIGN(Index idx, parse_index(bytes));
    for (const auto& m : idx.manifests) {
      if (!m.platform || (m.platform->os == "linux" && m.platform->architecture == "amd64"))
        return pick_manifest(dir, m);
    }
    return fail(ErrorKind::NotFound, "archive: no linux/amd64 manifest in index {}",
                d.digest.str());
  }
  return parse_manifest(bytes);
}

// Removes the temp dirs of loads that died (nobody holds their lock).
void remove_stale_loads(const std::string& tmp) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(tmp, ec)) {
    std::string p = e.path().string();
    if (e.path().filename().string().rfind("load-", 0) != 0) continue;
    UniqueFd fd(open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || flock(fd.get(), LOCK_EX | LOCK_NB) < 0) continue;
    log::warn("removing {}, left by an interrupted load", p);
    (void)remove_all(p);
  }
}

}  // namespace

Result<std::vector<std::string>> Store::load(int tar_fd) {
  std::string tmp = root_ + "/tmp";
  BERTH_TRY(mkdir_all(tmp, 0700));
  std::string dir = tmp + "/load-XXXXXX";
  if (!mkdtemp(dir.data())) return sys_fail("mkdtemp");
  Defer cleanup([&] { (void)remove_all(dir); });
  // Locked while in use, so that the next load can tell a killed load's leftovers (as big as
  // the archive) from a running one's.
  UniqueFd held(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!held || flock(held.get(), LOCK_EX) < 0) return sys_fail("lock {}", dir);
  remove_stale_loads(tmp);
  archive::ApplyOptions opts;
  opts.whiteouts = archive::Whiteouts::Delete;
  auto extracted = archive::apply_layer(tar_fd, dir, opts);
  if (!extracted)
    return std::unexpected(std::move(extracted.error()).context("read image archive"));

  std::vector<std::string> loaded;
  std::map<std::string, std::pair<content::Digest, std::string>> moved;  // by adopt_layers
  if (path_exists(dir + "/manifest.json")) {
    BERTH_ASSIGN(std::string text, read_file(dir + "/manifest.json"));
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array())
      return fail(ErrorKind::InvalidArgument, "archive: manifest.json: invalid JSON");
    for (size_t i = 0; i < j.size(); ++i) {
      const auto& e = j[i];
      if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() ||
          !e.contains("Layers") || !e["Layers"].is_array())
        return fail(ErrorKind::InvalidArgument,
                    "archive: manifest.json[{}]: needs Config and Layers", i);
      BERTH_ASSIGN(std::string cfg_path, inside(dir, e["Config"].get<std::string>()));
      BERTH_ASSIGN(std::string cfg, read_file(cfg_path));
      std::vector<LayerFile> files;
      for (const auto& l : e["Layers"]) {
        if (!l.is_string()) return fail(ErrorKind::InvalidArgument, "archive: bad layer path");
        BERTH_ASSIGN(std::string p, inside(dir, l.get<std::string>()));
        files.push_back({p, {}, ""});
      }
      BERTH_ASSIGN(HashedLayers hashed, adopt_layers(*blobs_, dir, std::move(files), moved));
      std::vector<std::string> names;
      if (e.contains("RepoTags") && e["RepoTags"].is_array())
        for (const auto& t : e["RepoTags"])
          if (t.is_string()) names.push_back(t.get<std::string>());
      BERTH_ASSIGN(std::string id, add_image(cfg, hashed.layers, names, hashed.sources));
      if (names.empty()) loaded.push_back(id);
      for (const auto& n : names) loaded.push_back(n);
    }
    return loaded;
  }
  if (path_exists(dir + "/index.json")) {
    BERTH_ASSIGN(std::string text, read_file(dir + "/index.json"));
    BERTH_ASSIGN(Index idx, parse_index(text));
    for (const auto& d : idx.manifests) {
      BERTH_ASSIGN(Manifest m, pick_manifest(dir, d));
      BERTH_ASSIGN(std::string cfg, read_file(blob_path(dir, m.config.digest)));
      if (content::Digest::sha256_of(cfg) != m.config.digest &&
          m.config.digest.algorithm() == "sha256")
        return fail(ErrorKind::InvalidArgument, "archive: config {} does not match its digest",
                    m.config.digest.str());
      std::vector<LayerFile> files;
      for (const auto& l : m.layers)
        files.push_back({blob_path(dir, l.digest), l.digest, l.media_type});
      BERTH_ASSIGN(HashedLayers hashed, adopt_layers(*blobs_, dir, std::move(files), moved));
      std::vector<std::string> names;
      auto full = d.annotations.find("io.containerd.image.name");
      auto ref = d.annotations.find("org.opencontainers.image.ref.name");
      if (full != d.annotations.end()) {
        names.push_back(full->second);
      } else if (ref != d.annotations.end() && parse_reference(ref->second)) {
        // A bare tag ("latest") names no repository; only full references are kept.
        if (ref->second.find('/') != std::string::npos ||
            ref->second.find(':') != std::string::npos)
          names.push_back(ref->second);
      }
      BERTH_ASSIGN(std::string id, add_image(cfg, hashed.layers, names, hashed.sources));
      if (names.empty()) loaded.push_back(id);
      for (const auto& n : names) loaded.push_back(n);
    }
    return loaded;
  }
  return fail(ErrorKind::InvalidArgument,
              "archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found");
}

Result<LayerBlob> Store::layer_blob(const std::string& diff_id, const std::string& chain_id) {
  BERTH_ASSIGN(auto kept, md_->layer_blobs(diff_id));
  for (const auto& b : kept) {
    BERTH_ASSIGN(content::Digest d, content::Digest::parse(b.digest));
    if (blobs_->exists(d)) return b;
  }
  // No blob kept (e.g. a layer made by commit that was removed): regenerate from the driver.
  BERTH_ASSIGN(auto rec, md_->layer_by_chain(chain_id));
  if (!rec) return fail(ErrorKind::NotFound, "layer {} does not exist", chain_id);
  std::string tmp = root_ + "/tmp/layer-XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) return sys_fail("mkstemp");
  UniqueFd out(fd);
  Defer rm([&] { unlink(tmp.c_str()); });
  BERTH_ASSIGN(auto tar, driver_->diff(rec->cache_id, out.get()));
  if (tar.diff_id.str() != diff_id)
    return fail(ErrorKind::Internal, "layer {} regenerated with a different diff id", diff_id);
  BERTH_ASSIGN(content::Digest d, ingest_file(*blobs_, tmp));
  LayerBlob b{diff_id, d.str(), std::string(media::kOciLayer), static_cast<int64_t>(tar.size)};
  BERTH_TRY(md_->add_layer_blob(b));
  return b;
}

namespace {

class TarOut {
 public:
  explicit TarOut(int fd) : a_(archive_write_new()) {
    archive_write_set_format_pax_restricted(a_);
    archive_write_set_bytes_per_block(a_, 10240);
    ok_ = archive_write_open_fd(a_, fd) == ARCHIVE_OK;
  }
  ~TarOut() {
    archive_write_close(a_);
    archive_write_free(a_);
  }
  Status dir(const std::string& name) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    int r = archive_write_header(a_, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
      return fail(ErrorKind::Internal, "write {}: {}", name, archive_error_string(a_));
    return ok();
  }
  Status file(const std::string& name, std::string_view data) {
    BERTH_TRY(header(name, data.size()));
    if (!data.empty() && archive_write_data(a_, data.data(), data.size()) < 0)
      return fail(ErrorKind::Internal, "write {}: {}", name, archive_error_string(a_));
    return ok();
  }
  Status file_from(const std::string& name, int fd, uint64_t size) {
    BERTH_TRY(header(name, size));
    char buf[1 << 17];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_fail("read blob");
      if (n == 0) break;
      if (archive_write_data(a_, buf, static_cast<size_t>(n)) < 0)
        return fail(ErrorKind::Internal, "write {}: {}", name, archive_error_string(a_));
    }
    return ok();
  }
  bool good() const { return ok_; }

 private:
  Status header(const std::string& name, uint64_t size) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    int r = archive_write_header(a_, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
      return fail(ErrorKind::Internal, "write {}: {}", name, archive_error_string(a_));
    return ok();
  }
  ::archive* a_;
  bool ok_ = false;
};

std::string oci_layer_media(const std::string& m) {
  if (m == media::kDockerLayerGzip) return std::string(media::kOciLayerGzip);
  if (m == media::kDockerLayerTar) return std::string(media::kOciLayer);
  return m;
}

}  // namespace

Status Store::save(const std::vector<std::string>& names, int out_fd) {
  struct Entry {
    Image img;
    std::vector<std::string> tags;  // familiar
    std::vector<LayerBlob> layers;
    content::Digest manifest;
    std::string manifest_bytes;
  };
  std::vector<Entry> entries;
  for (const auto& n : names) {
    BERTH_ASSIGN(std::string id, resolve_id(n));
    BERTH_ASSIGN(auto rec, md_->image(id));
    if (!rec) return fail(ErrorKind::NotFound, "No such image: {}", n);
    BERTH_ASSIGN(Image img, load_image(*rec));
    Entry* e = nullptr;
    for (auto& x : entries)
      if (x.img.record.id == id) e = &x;
    if (!e) {
      entries.push_back(Entry{img, {}, {}, {}, {}});
      e = &entries.back();
    }
    // A name saves that tag; an id saves the image without names (as Docker does).
    std::string bare = n.rfind("sha256:", 0) == 0 ? n.substr(7) : n;
    if (id.compare(7, bare.size(), bare) != 0) {
      BERTH_ASSIGN(Reference ref, parse_reference(n));
      e->tags.push_back(ref.familiar());
    }
  }
  TarOut tar(out_fd);
  if (!tar.good()) return fail(ErrorKind::Internal, "open output archive");
  BERTH_TRY(tar.dir("blobs/"));
  BERTH_TRY(tar.dir("blobs/sha256/"));
  std::set<std::string> written;
  auto put_blob = [&](const content::Digest& d) -> Status {
    if (!written.insert(d.str()).second) return ok();
    BERTH_ASSIGN(UniqueFd fd, blobs_->open_blob(d));
    BERTH_ASSIGN(uint64_t size, blobs_->size(d));
    return tar.file_from(fmt::format("blobs/{}/{}", d.algorithm(), d.hex()), fd.get(), size);
  };
  nlohmann::json docker_manifest = nlohmann::json::array();
  nlohmann::json repositories = nlohmann::json::object();
  Index index{std::string(media::kOciIndex), {}, {}};
  for (auto& e : entries) {
    BERTH_ASSIGN(content::Digest cfg, content::Digest::parse(e.img.record.id));
    BERTH_TRY(put_blob(cfg));
    Manifest m{std::string(media::kOciManifest), Descriptor{}, {}, {}};
    BERTH_ASSIGN(uint64_t cfg_size, blobs_->size(cfg));
    m.config =
        Descriptor{std::string(media::kOciConfig), cfg, static_cast<int64_t>(cfg_size), {}, {}};
    nlohmann::json layer_paths = nlohmann::json::array();
    auto chains = chain_ids(e.img.config.diff_ids);
    for (size_t i = 0; i < chains.size(); ++i) {
      BERTH_ASSIGN(LayerBlob b, layer_blob(e.img.config.diff_ids[i].str(), chains[i].str()));
      BERTH_ASSIGN(content::Digest d, content::Digest::parse(b.digest));
      BERTH_TRY(put_blob(d));
      m.layers.push_back(Descriptor{oci_layer_media(b.media_type), d, b.size, {}, {}});
      layer_paths.push_back(fmt::format("blobs/{}/{}", d.algorithm(), d.hex()));
    }
    e.manifest_bytes = m.to_json();
    e.manifest = content::Digest::sha256_of(e.manifest_bytes);
    if (written.insert(e.manifest.str()).second)
      BERTH_TRY(tar.file(fmt::format("blobs/sha256/{}", e.manifest.hex()), e.manifest_bytes));
    docker_manifest.push_back(
        {{"Config", fmt::format("blobs/sha256/{}", cfg.hex())},
         {"RepoTags", e.tags.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.tags)},
         {"Layers", layer_paths}});
    auto top = layer_paths.empty() ? std::string() : chains.back().hex();
    for (const auto& t : e.tags) {
      auto colon = t.rfind(':');
      repositories[t.substr(0, colon)][t.substr(colon + 1)] = top;
    }
    Descriptor md{std::string(media::kOciManifest),
                  e.manifest,
                  static_cast<int64_t>(e.manifest_bytes.size()),
                  {},
                  {}};
    if (e.tags.empty()) {
      index.manifests.push_back(md);
    }
    for (const auto& t : e.tags) {
      Descriptor tagged = md;
      BERTH_ASSIGN(Reference ref, parse_reference(t));
      tagged.annotations["io.containerd.image.name"] = ref.full();
      tagged.annotations["org.opencontainers.image.ref.name"] = ref.tag;
      index.manifests.push_back(tagged);
    }
  }
  BERTH_TRY(tar.file("index.json", index.to_json()));
  BERTH_TRY(tar.file("manifest.json", docker_manifest.dump()));
  BERTH_TRY(tar.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  if (!repositories.empty()) BERTH_TRY(tar.file("repositories", repositories.dump()));
  return ok();
}

}  // namespace berth::image

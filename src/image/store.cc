#include "image/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "base/background_removal.h"
#include "base/file.h"
#include "base/log.h"
#include "base/time.h"
#include "image/config_changes.h"
#include "image/media_types.h"

namespace berth::image {

namespace {

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) &&
           !std::isupper(static_cast<unsigned char>(c));
  });
}

}  // namespace

Store::~Store() {
  drain_background_removals();
}

Result<std::unique_ptr<Store>> Store::open(const std::string& root, const std::string& driver) {
  std::unique_ptr<Store> s(new Store());
  s->root_ = root;
  // Each driver has its own directory and its own layer metadata (as Docker's image/<driver>/):
  // layers made by one driver mean nothing to another, so choosing a different driver later
  // shows a different set of images instead of a store whose rows point at missing dirs.
  std::string name = driver;
  if (name.empty()) {
    auto overlay = storage::open_driver("overlay2", root + "/overlay2");
    if (overlay) {
      s->driver_ = std::move(*overlay);
      name = "overlay2";
    } else {
      log::warn("overlay2 unavailable ({}); using vfs", overlay.error().message());
      name = "vfs";
    }
  }
  if (!s->driver_) {
    BERTH_ASSIGN(s->driver_, storage::open_driver(name, root + "/" + name));
  }
  BERTH_TRY(mkdir_all(root + "/image/" + name, 0700));
  // Blobs too: garbage collection knows only this driver's images.
  BERTH_ASSIGN(content::Store blobs, content::Store::open(root + "/image/" + name + "/content"));
  s->blobs_ = std::make_unique<content::Store>(std::move(blobs));
  BERTH_ASSIGN(Metadata md, Metadata::open(root + "/image/" + name + "/metadata.db"));
  s->md_ = std::make_unique<Metadata>(std::move(md));
  s->layers_ = std::make_unique<LayerStore>(*s->md_, *s->driver_, *s->blobs_);
  BERTH_TRY(s->layers_->recover());
  BERTH_TRY(s->reconcile_layers());
  return s;
}

Result<std::string> Store::resolve_id(const std::string& name_or_id) {
  // As Docker: a name first (a repository may be called "abc123"), then an id or id prefix.
  auto ref = parse_reference(name_or_id);
  if (ref && ref->digest.empty()) {
    BERTH_ASSIGN(auto target, md_->tag_target(ref->full()));
    if (target) return *target;
  } else if (ref) {
    std::string key = ref->name() + "@" + ref->digest;
    BERTH_ASSIGN(auto target, md_->repo_digest_target(key));
    if (target) return *target;
  }
  std::string s = name_or_id;
  if (s.rfind("sha256:", 0) == 0) s = s.substr(7);
  if (is_hex(s) && s.size() <= 64) {
    // A full id, or a unique prefix of one (Docker accepts short ids of any length).
    BERTH_ASSIGN(auto all, md_->images());
    std::string found;
    for (const auto& img : all) {
      if (img.id.compare(7, s.size(), s) == 0) {
        if (!found.empty() && found != img.id)
          return fail(ErrorKind::InvalidArgument, "ambiguous image id prefix {}", name_or_id);
        found = img.id;
      }
    }
    if (!found.empty()) return found;
  }
  return fail(ErrorKind::NotFound, "No such image: {}", ref ? ref->familiar() : name_or_id);
}

Result<Image> Store::load_image(const ImageRecord& rec) {
  Image img;
  img.record = rec;
  BERTH_ASSIGN(content::Digest id, content::Digest::parse(rec.id));
  BERTH_ASSIGN(std::string cfg, blobs_->get(id));
  BERTH_ASSIGN(img.config, parse_config(cfg));
  BERTH_ASSIGN(img.tags, md_->tags_of(rec.id));
  BERTH_ASSIGN(img.repo_digests, md_->repo_digests_of(rec.id));
  return img;
}

Result<Image> Store::get(const std::string& name_or_id) {
  BERTH_ASSIGN(std::string id, resolve_id(name_or_id));
  BERTH_ASSIGN(auto rec, md_->image(id));
  if (!rec) return fail(ErrorKind::NotFound, "No such image: {}", name_or_id);
  return load_image(*rec);
}

Result<std::vector<Image>> Store::list() {
  BERTH_ASSIGN(auto recs, md_->images());
  std::vector<Image> out;
  for (const auto& r : recs) {
    BERTH_ASSIGN(Image img, load_image(r));
    out.push_back(std::move(img));
  }
  return out;
}

Result<std::string> Store::add_image(
    const std::string& config_bytes,
    const std::vector<std::pair<content::Digest, std::string>>& layers,
    const std::vector<std::string>& names, const std::vector<std::string>& sources) {
  BERTH_ASSIGN(ImageConfig cfg, parse_config(config_bytes));
  if (cfg.diff_ids.size() != layers.size())
    return fail(ErrorKind::InvalidArgument,
                "image config lists {} layers (rootfs.diff_ids) but {} were given",
                cfg.diff_ids.size(), layers.size());
  std::vector<Reference> refs;
  for (const auto& n : names) {
    BERTH_ASSIGN(Reference ref, parse_reference(n));
    refs.push_back(std::move(ref));
  }
  BERTH_ASSIGN(content::Digest id, blobs_->put(config_bytes));
  std::vector<LayerStore::StackLayer> stack;
  for (size_t i = 0; i < layers.size(); ++i) {
    bool from_diff = layers[i].first.empty();
    if (from_diff && (i >= sources.size() || sources[i].empty()))
      return fail(ErrorKind::Internal, "layer {} has no digest", i);
    stack.push_back({from_diff ? cfg.diff_ids[i] : layers[i].first, layers[i].second,
                     cfg.diff_ids[i].str(), i < sources.size() ? sources[i] : std::string(),
                     from_diff});
  }
  // Recorded in the transaction that makes the new layers ready: a crash leaves the image
  // with its layers or neither. Must not call back into the layer store (it holds its lock).
  auto record = [&](const std::vector<LayerRecord>& recs) -> Status {
    std::string top = recs.empty() ? "" : recs.back().chain_id;
    int64_t size = 0;
    for (const auto& r : recs) size += r.size;
    BERTH_ASSIGN(auto existing, md_->image(id.str()));
    if (!existing) {
      // The image holds its top layer; each layer holds its parent.
      if (!top.empty()) BERTH_TRY(md_->ref_layer(top, 1));
      BERTH_TRY(md_->put_image(ImageRecord{id.str(), top, cfg.created, size, 0}));
    }
    for (const auto& ref : refs) {
      if (!ref.digest.empty()) {
        BERTH_TRY(md_->set_repo_digest(ref.name() + "@" + ref.digest, id.str()));
      } else {
        BERTH_TRY(md_->set_tag(ref.full(), id.str()));
      }
    }
    return ok();
  };
  BERTH_TRY(layers_->register_stack(stack, record));
  return id.str();
}

Status Store::tag(const std::string& source, const std::string& target) {
  BERTH_ASSIGN(std::string id, resolve_id(source));
  BERTH_ASSIGN(Reference ref, parse_reference(target));
  if (!ref.digest.empty())
    return fail(ErrorKind::InvalidArgument, "refusing to create a tag with a digest reference");
  BERTH_TRY(md_->set_tag(ref.full(), id));
  return ok();
}

Result<RemoveReport> Store::remove(const std::string& name_or_id, bool force,
                                   const std::function<bool(const std::string&)>& caller_in_use) {
  RemoveReport report;
  // Images under our own container layers are in use whatever the caller knows (layers of
  // removed containers still queued are gone first: remove_container_layer_later).
  drain_background_removals();
  BERTH_ASSIGN(auto rws, md_->container_layers());
  auto in_use = [&](const std::string& image_id) {
    for (const auto& rw : rws)
      if (rw.image_id == image_id) return true;
    return caller_in_use && caller_in_use(image_id);
  };
  BERTH_ASSIGN(std::string id, resolve_id(name_or_id));
  BERTH_ASSIGN(auto tags, md_->tags_of(id));
  BERTH_ASSIGN(auto digests, md_->repo_digests_of(id));
  std::string bare = name_or_id.rfind("sha256:", 0) == 0 ? name_or_id.substr(7) : name_or_id;
  bool by_id = is_hex(bare) && id.compare(7, bare.size(), bare) == 0;
  const std::string short_id = id.substr(7, 12);
  if (!by_id) {
    BERTH_ASSIGN(Reference ref, parse_reference(name_or_id));
    std::string key = ref.full();
    bool last = tags.size() + digests.size() <= 1;
    if (last && in_use(id) && !force)
      return fail(ErrorKind::Conflict,
                  "conflict: unable to remove repository reference \"{}\" (must force) - "
                  "container is using its referenced image {}",
                  name_or_id, short_id);
    BERTH_ASSIGN(bool removed, md_->remove_tag(key));
    if (removed) report.untagged.push_back(ref.familiar());
    if (!last || in_use(id)) return report;
  } else {
    if (in_use(id) && !force)
      return fail(ErrorKind::Conflict,
                  "conflict: unable to delete {} (must be forced) - image is being used by a "
                  "container",
                  short_id);
    std::set<std::string> repos;
    for (const auto& t : tags) repos.insert(t.substr(0, t.rfind(':')));
    if (repos.size() > 1 && !force)
      return fail(ErrorKind::Conflict,
                  "conflict: unable to delete {} (must be forced) - image is referenced in "
                  "multiple repositories",
                  short_id);
    for (const auto& t : tags) {
      BERTH_TRY(md_->remove_tag(t));
      if (auto r = parse_reference(t)) report.untagged.push_back(r->familiar());
    }
    for (const auto& d : digests)
      if (auto r = parse_reference(d)) report.untagged.push_back(r->familiar());
  }
  BERTH_ASSIGN(auto rec, md_->image(id));
  if (!rec) return report;
  BERTH_TRY(md_->remove_repo_digests_of(id));
  BERTH_TRY(md_->delete_image(id));
  if (!rec->top_chain.empty()) BERTH_TRY(layers_->release(rec->top_chain));
  report.deleted.push_back(id);
  return report;
}

Result<std::string> Store::import(int tar_fd, const std::vector<std::string>& changes,
                                  const std::string& message, const std::string& tag) {
  BERTH_ASSIGN(content::Writer w, blobs_->writer());
  char buf[1 << 16];
  unsigned char magic[4] = {};
  size_t seen = 0;
  for (;;) {
    ssize_t n = read(tar_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_fail("read image tar");
    if (n == 0) break;
    for (ssize_t i = 0; i < n && seen < 4; ++i) magic[seen++] = static_cast<unsigned char>(buf[i]);
    BERTH_TRY(w.write(buf, static_cast<size_t>(n)));
  }
  BERTH_ASSIGN(content::Digest blob, w.commit());
  std::string media(media::kOciLayer);
  if (magic[0] == 0x1f && magic[1] == 0x8b) media = media::kOciLayerGzip;
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    media = media::kOciLayerZstd;
  nlohmann::json patch = nlohmann::json::object();
  for (const auto& c : changes) BERTH_TRY(apply_change(patch, c));
  BERTH_ASSIGN(std::string id, create_image("", blob, media, patch, "",
                                            message.empty() ? "Imported from -" : message, ""));
  if (!tag.empty()) BERTH_TRY(this->tag(id, tag));
  return id;
}

Result<std::string> Store::create_image(const std::string& parent_id, const content::Digest& layer,
                                        const std::string& media_type, nlohmann::json config_patch,
                                        const std::string& history_by, const std::string& comment,
                                        const std::string& author) {
  nlohmann::json cfg = {{"architecture", "amd64"}, {"os", "linux"}};
  std::vector<std::pair<content::Digest, std::string>> layers;
  std::vector<std::string> parent_diffs;
  if (!parent_id.empty()) {
    BERTH_ASSIGN(Image parent, get(parent_id));
    cfg = parent.config.raw;
    for (const auto& d : parent.config.diff_ids) parent_diffs.push_back(d.str());
    // Parent layers are referenced by the blobs we keep for them.
    auto chains = chain_ids(parent.config.diff_ids);
    for (size_t i = 0; i < chains.size(); ++i) {
      BERTH_ASSIGN(LayerBlob b, layer_blob(parent.config.diff_ids[i].str(), chains[i].str()));
      BERTH_ASSIGN(content::Digest d, content::Digest::parse(b.digest));
      layers.emplace_back(d, b.media_type);
    }
  }
  std::string created = now_rfc3339();
  cfg["created"] = created;
  if (!author.empty()) cfg["author"] = author;
  auto& c = cfg["config"];
  if (!c.is_object()) c = nlohmann::json::object();
  for (auto& [k, v] : config_patch.items()) c[k] = v;
  // Apply the layer first to learn its diff id (an import has no expected one).
  std::string parent_chain;
  if (!parent_diffs.empty()) {
    std::vector<content::Digest> ds;
    for (auto& d : parent_diffs) ds.push_back(*content::Digest::parse(d));
    parent_chain = chain_ids(ds).back().str();
  }
  BERTH_ASSIGN(LayerRecord rec, layers_->register_blob(layer, media_type, parent_chain, ""));
  auto& diff_ids = cfg["rootfs"]["diff_ids"];
  cfg["rootfs"]["type"] = "layers";
  if (!diff_ids.is_array()) diff_ids = nlohmann::json::array();
  diff_ids.push_back(rec.diff_id);
  auto& hist = cfg["history"];
  if (!hist.is_array()) hist = nlohmann::json::array();
  nlohmann::json h = {{"created", created}};
  if (!history_by.empty()) h["created_by"] = history_by;
  if (!comment.empty()) h["comment"] = comment;
  if (!author.empty()) h["author"] = author;
  hist.push_back(h);
  layers.emplace_back(layer, media_type);
  auto id = add_image(cfg.dump(), layers, {});
  // add_image took its own references; drop the one register_blob gave us.
  (void)layers_->release(rec.chain_id);
  return id;
}

}  // namespace berth::image

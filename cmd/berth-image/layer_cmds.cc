#include "layer_cmds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace berth::cli {

namespace {

int report(const Error& e) {
  std::fprintf(stderr, "Error: %s\n", e.message().c_str());
  return 1;
}

char kind_letter(archive::Change::Kind k) {
  switch (k) {
    case archive::Change::Kind::Modified:
      return 'C';
    case archive::Change::Kind::Added:
      return 'A';
    case archive::Change::Kind::Deleted:
      return 'D';
  }
  return '?';
}

std::string date_of(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int print_df(const image::DiskUsage& du, bool verbose) {
  int64_t active = 0, used = 0;
  for (const auto& i : du.images) {
    if (i.containers == 0) continue;
    ++active;
    used += i.size - i.shared_size;
  }
  // As the docker CLI: what images without containers would free, out of all layers.
  int64_t reclaimable = du.layers_size - used;
  std::string recl = human_size4(static_cast<double>(reclaimable));
  if (du.layers_size > 0) recl += fmt::format(" ({}%)", reclaimable * 100 / du.layers_size);
  if (!verbose) {
    std::printf("%-16s%-10s%-10s%-10s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
    std::printf("%-16s%-10zu%-10lld%-10s%s\n", "Images", du.images.size(),
                static_cast<long long>(active),
                human_size4(static_cast<double>(du.layers_size)).c_str(), recl.c_str());
    return 0;
  }
  std::printf("Images space usage:\n\n");
  std::printf("%-40s %-12s %-14s %-21s %-10s %-12s %-12s %s\n", "REPOSITORY", "TAG", "IMAGE ID",
              "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS");
  for (const auto& i : du.images) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& t : i.repo_tags) {
      auto colon = t.rfind(':');
      rows.emplace_back(t.substr(0, colon), t.substr(colon + 1));
    }
    if (rows.empty()) rows.emplace_back("<none>", "<none>");
    for (const auto& [repo, tag] : rows)
      std::printf("%-40s %-12s %-14s %-21s %-10s %-12s %-12s %lld\n", repo.c_str(), tag.c_str(),
                  i.id.substr(7, 12).c_str(), date_of(i.created).c_str(),
                  human_size4(static_cast<double>(i.size)).c_str(),
                  human_size4(static_cast<double>(i.shared_size)).c_str(),
                  human_size4(static_cast<double>(i.unique_size)).c_str(),
                  static_cast<long long>(i.containers));
  }
  return 0;
}

}  // namespace

std::string human_size4(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000 && u < 5) {
    bytes /= 1000;
    ++u;
  }
  return fmt::format("{:.4g}{}", bytes, units[u]);
}

LayerCommands::LayerCommands(CLI::App& app) {
  rw_create_ = app.add_subcommand("rw-create", "a container's read-write layer on an image");
  rw_create_->add_option("id", id_)->required();
  rw_create_->add_option("image", image_)->required();
  rw_mount_ = app.add_subcommand("rw-mount", "mount a read-write layer; prints its path");
  rw_mount_->add_option("id", id_)->required();
  rw_umount_ = app.add_subcommand("rw-umount", "unmount a read-write layer");
  rw_umount_->add_option("id", id_)->required();
  rw_rm_ = app.add_subcommand("rw-rm", "remove a read-write layer");
  rw_rm_->add_option("id", id_)->required();
  diff_ = app.add_subcommand("diff", "changes of a read-write layer, as docker diff");
  diff_->add_option("id", id_)->required();
  export_ = app.add_subcommand("export", "a read-write layer's merged view as a tar");
  export_->add_option("-o,--output", output_, "tar file (default stdout)");
  export_->add_option("id", id_)->required();
  commit_ = app.add_subcommand("commit", "a read-write layer's changes as a new image");
  commit_->add_option("-a,--author", author_);
  commit_->add_option("-m,--message", message_);
  // One value per -c: otherwise CLI11 hands it the positionals that follow.
  commit_->add_option("-c,--change", changes_)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  commit_->add_flag("-p,--pause", ignored_, "ignored: there is no process to pause");
  commit_->add_option("id", id_)->required();
  commit_->add_option("reference", reference_);
  prune_ = app.add_subcommand("image-prune", "remove unused images");
  prune_->add_flag("-a,--all", all_, "all images without containers, not only untagged ones");
  prune_->add_flag("-f,--force", ignored_, "ignored: never prompts");
  df_ = app.add_subcommand("df", "image disk usage, as docker system df");
  df_->add_flag("-v,--verbose", verbose_);
  gc_ = app.add_subcommand("gc", "remove content blobs no image or layer refers to");
}

bool LayerCommands::selected() const {
  for (auto* c :
       {rw_create_, rw_mount_, rw_umount_, rw_rm_, diff_, export_, commit_, prune_, df_, gc_})
    if (c->parsed()) return true;
  return false;
}

int LayerCommands::run(image::Store& s) {
  if (rw_create_->parsed()) {
    auto r = s.create_container_layer(id_, image_);
    return r ? 0 : report(r.error());
  }
  if (rw_mount_->parsed()) {
    auto r = s.mount_container_layer(id_);
    if (!r) return report(r.error());
    std::printf("%s\n", r->c_str());
    return 0;
  }
  if (rw_umount_->parsed()) {
    auto r = s.unmount_container_layer(id_);
    return r ? 0 : report(r.error());
  }
  if (rw_rm_->parsed()) {
    auto r = s.remove_container_layer(id_);
    return r ? 0 : report(r.error());
  }
  if (diff_->parsed()) {
    auto r = s.container_changes(id_);
    if (!r) return report(r.error());
    for (const auto& c : *r) std::printf("%c %s\n", kind_letter(c.kind), c.path.c_str());
    return 0;
  }
  if (export_->parsed()) {
    UniqueFd fd(output_.empty()
                    ? dup(1)
                    : open(output_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return report(Error(ErrorKind::Internal, "open " + output_, errno));
    auto r = s.export_container(id_, fd.get());
    return r ? 0 : report(r.error());
  }
  if (commit_->parsed()) {
    image::CommitOptions o;
    o.container_id = id_;
    o.reference = reference_;
    o.author = author_;
    o.message = message_;
    o.changes = changes_;
    auto r = s.commit(o);
    if (!r) return report(r.error());
    std::printf("%s\n", r->c_str());
    return 0;
  }
  if (prune_->parsed()) {
    auto r = s.prune(all_, nullptr);
    if (!r) return report(r.error());
    std::string out;
    if (!r->items.empty()) {
      out = "Deleted Images:\n";
      for (const auto& i : r->items)
        out +=
            i.untagged.empty() ? "deleted: " + i.deleted + "\n" : "untagged: " + i.untagged + "\n";
    }
    // fmt.Fprintln(out, output, "Total reclaimed space:", ...) puts a space between them.
    std::printf("%s Total reclaimed space: %s\n", out.c_str(),
                human_size4(static_cast<double>(r->space_reclaimed)).c_str());
    return 0;
  }
  if (df_->parsed()) {
    auto r = s.disk_usage(nullptr);
    if (!r) return report(r.error());
    return print_df(*r, verbose_);
  }
  if (gc_->parsed()) {
    auto r = s.gc_content();
    if (!r) return report(r.error());
    std::printf("Total reclaimed space: %s\n", human_size4(static_cast<double>(*r)).c_str());
    return 0;
  }
  return 1;
}

}  // namespace berth::cli

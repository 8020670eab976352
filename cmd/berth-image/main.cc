// berth-image: drives the image store directly (load, save, import, images, tag, rmi,
// inspect, history, and container layers: commit, diff, export, prune, df) with Docker's
// command shapes, until berthd serves it over the API.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "base/log.h"
#include "base/time.h"
#include "image/check.h"
#include "image/store.h"
#include "layer_cmds.h"

using namespace berth;

namespace {

int report(const Error& e) {
  std::fprintf(stderr, "Error: %s\n", e.message().c_str());
  return e.kind() == ErrorKind::NotFound ? 1 : 1;
}

std::string human_size(int64_t b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{}B", b) : fmt::format("{:.3g}{}", v, units[u]);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"berth-image: the image store, driven directly", "berth-image"};
  app.require_subcommand(1);
  std::string root = "/var/lib/berth", driver;
  app.add_option("--data-root", root, "data root");
  app.add_option("-s,--storage-driver", driver, "overlay2, vfs or btrfs");

  std::string input, output, message;
  std::vector<std::string> names, changes;
  bool force = false, quiet = false;
  auto* load = app.add_subcommand("load", "load images from a tar (docker-archive or OCI layout)");
  load->add_option("-i,--input", input, "tar file (default stdin)");
  load->add_flag("-q,--quiet", quiet);
  auto* save = app.add_subcommand("save", "save images to a tar");
  save->add_option("-o,--output", output, "tar file (default stdout)");
  save->add_option("names", names)->required();
  std::string src, tag;
  auto* import = app.add_subcommand("import", "a rootfs tar as an image");
  // One value per -c: otherwise CLI11 hands it the positionals that follow.
  import->add_option("-c,--change", changes)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  import->add_option("-m,--message", message);
  import->add_option("file", src, "tar file or -")->required();
  import->add_option("reference", tag);
  auto* images = app.add_subcommand("images", "list images");
  images->add_flag("-q,--quiet", quiet);
  std::string target;
  auto* tagc = app.add_subcommand("tag", "name an image");
  tagc->add_option("source", src)->required();
  tagc->add_option("target", target)->required();
  auto* rmi = app.add_subcommand("rmi", "remove images");
  rmi->add_flag("-f,--force", force);
  rmi->add_option("names", names)->required();
  auto* inspect = app.add_subcommand("inspect", "image details as JSON");
  inspect->add_option("names", names)->required();
  auto* history = app.add_subcommand("history", "image history");
  history->add_option("name", src)->required();
  auto* checkc = app.add_subcommand("check", "verify the store's consistency (developers)");
  cli::LayerCommands layer_cmds(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::configure("", false, false);
  auto store = image::Store::open(root, driver);
  if (!store) return report(store.error());
  auto& s = **store;
  if (layer_cmds.selected()) return layer_cmds.run(s);

  if (*checkc) {
    auto problems = image::check(s);
    if (!problems) return report(problems.error());
    for (const auto& p : *problems) std::printf("%s\n", p.c_str());
    return problems->empty() ? 0 : 1;
  }
  if (*load) {
    UniqueFd fd(input.empty() ? dup(0) : open(input.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return report(Error(ErrorKind::NotFound, "open " + input, errno));
    auto r = s.load(fd.get());
    if (!r) return report(r.error());
    for (const auto& n : *r) {
      if (n.rfind("sha256:", 0) == 0)
        std::printf("Loaded image ID: %s\n", n.c_str());
      else if (auto ref = image::parse_reference(n))
        std::printf("Loaded image: %s\n", ref->familiar().c_str());
    }
    return 0;
  }
  if (*save) {
    UniqueFd fd(output.empty()
                    ? dup(1)
                    : open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return report(Error(ErrorKind::Internal, "open " + output, errno));
    auto r = s.save(names, fd.get());
    return r ? 0 : report(r.error());
  }
  if (*import) {
    UniqueFd fd(src == "-" ? dup(0) : open(src.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return report(Error(ErrorKind::NotFound, "open " + src, errno));
    auto r = s.import(fd.get(), changes, message, tag);
    if (!r) return report(r.error());
    std::printf("%s\n", r->c_str());
    return 0;
  }
  if (*images) {
    auto list = s.list();
    if (!list) return report(list.error());
    if (!quiet)
      std::printf("%-40s %-20s %-15s %-20s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED",
                  "SIZE");
    for (const auto& img : *list) {
      std::string id = img.record.id.substr(7, 12);
      if (quiet) {
        std::printf("%s\n", id.c_str());
        continue;
      }
      std::vector<std::pair<std::string, std::string>> rows;
      for (const auto& t : img.tags)
        if (auto r = image::parse_reference(t)) rows.emplace_back(r->familiar_name(), r->tag);
      if (rows.empty()) rows.emplace_back("<none>", "<none>");
      for (const auto& [repo, t] : rows)
        std::printf("%-40s %-20s %-15s %-20s %s\n", repo.c_str(), t.c_str(), id.c_str(),
                    img.config.created.substr(0, 19).c_str(), human_size(img.record.size).c_str());
    }
    return 0;
  }
  if (*tagc) {
    auto r = s.tag(src, target);
    return r ? 0 : report(r.error());
  }
  if (*rmi) {
    int rc = 0;
    for (const auto& n : names) {
      auto r = s.remove(n, force, nullptr);
      if (!r) {
        report(r.error());
        rc = 1;
        continue;
      }
      for (const auto& u : r->untagged) std::printf("Untagged: %s\n", u.c_str());
      for (const auto& d : r->deleted) std::printf("Deleted: %s\n", d.c_str());
    }
    // Blobs only the removed images used (their configs, layers gone with them).
    if (auto g = s.gc_content(); !g) return report(g.error());
    return rc;
  }
  if (*inspect) {
    nlohmann::json arr = nlohmann::json::array();
    int rc = 0;
    for (const auto& n : names) {
      auto r = s.inspect(n);
      if (!r) {
        report(r.error());
        rc = 1;
        continue;
      }
      arr.push_back(*r);
    }
    std::printf("%s\n", arr.dump(4).c_str());
    return rc;
  }
  if (*history) {
    auto r = s.history(src);
    if (!r) return report(r.error());
    std::printf("%-15s %-25s %-45s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE",
                "COMMENT");
    for (const auto& h : *r) {
      std::string id = h["Id"].get<std::string>();
      if (id.rfind("sha256:", 0) == 0) id = id.substr(7, 12);
      std::printf(
          "%-15s %-25s %-45s %-10s %s\n", id.c_str(),
          berth::rfc3339_from_ns(h["Created"].get<int64_t>() * 1000000000).substr(0, 19).c_str(),
          h["CreatedBy"].get<std::string>().substr(0, 45).c_str(),
          human_size(h["Size"].get<int64_t>()).c_str(), h["Comment"].get<std::string>().c_str());
    }
    return 0;
  }
  return 1;
}

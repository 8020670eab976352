// Image commands: images, rmi, tag, save, load, import, history, pull and image prune.
#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "commands.h"
#include "format.h"
#include "io.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {

// The daemon's JSON-lines progress ({"stream":...} or {"status":...}), printed as the CLI does;
// an {"error":...} line is the command's failure.
int print_progress(const std::string& body, const char* key) {
  for (auto& line : split(body, '\n')) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    if (j.contains("error")) return report(Error(ErrorKind::Internal, j.value("error", "")));
    if (j.contains(key)) {
      std::string s = j[key].get<std::string>();
      std::fputs(s.c_str(), stdout);
      if (!s.ends_with('\n')) std::fputs("\n", stdout);
    }
  }
  return 0;
}

}  // namespace

void add_image_commands(CLI::App& app, EngineRef engine) {
  auto quiet = std::make_shared<bool>(false), all = std::make_shared<bool>(false);
  auto no_trunc = std::make_shared<bool>(false), digests = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>();
  auto filters = std::make_shared<std::vector<std::string>>();
  auto* images = app.add_subcommand("images", "List images");
  images->add_flag("-q,--quiet", *quiet, "only show image IDs");
  images->add_flag("-a,--all", *all, "show all images");
  images->add_flag("--no-trunc", *no_trunc, "do not truncate output");
  images->add_flag("--digests", *digests, "show digests");
  images->add_option("--format", *format, "Go template, table or json");
  images->add_option("-f,--filter", *filters, "filter (key=value)")->allow_extra_args(false);
  images->callback([=] {
    std::string q = "/images/json";
    if (!filters->empty() || *all)
      q += "?" + filters_query(*filters) +
           (*all ? std::string(filters->empty() ? "" : "&") + "all=1" : "");
    auto r = engine().call("GET", Engine::api(q));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    int64_t now = ::time(nullptr);
    json rows = json::array();
    for (auto& img : r->json()) {
      std::string id = img.value("Id", "");
      std::string shown = *no_trunc ? id : id.substr(id.find(':') + 1, 12);
      json tags = img.value("RepoTags", json::array());
      if (!tags.is_array() || tags.empty()) tags = json::array({"<none>:<none>"});
      json ds = img.value("RepoDigests", json::array());
      std::string digest = ds.is_array() && !ds.empty() ? ds[0].get<std::string>() : "<none>";
      if (auto at = digest.find('@'); at != std::string::npos) digest = digest.substr(at + 1);
      int64_t created = img.value("Created", int64_t{0});
      for (auto& t : tags) {
        auto [repo, tag] = split_ref(t, "<none>");
        rows.push_back({{"ID", shown},
                        {"Repository", repo},
                        {"Tag", tag},
                        {"Digest", digest},
                        {"CreatedSince", human_duration(now - created) + " ago"},
                        {"CreatedAt", go_time(created)},
                        {"Size", human_size(static_cast<double>(img.value("Size", int64_t{0})))},
                        {"Containers", "N/A"}});
      }
    }
    std::string fmt = *format;
    if (*quiet) fmt = "{{.ID}}";
    if (fmt.empty() || fmt == "table")
      fmt = std::string("table {{.Repository}}\t{{.Tag}}\t") + (*digests ? "{{.Digest}}\t" : "") +
            "{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    exit_code = print_formatted(rows, fmt,
                                {{"ID", "IMAGE ID"},
                                 {"Repository", "REPOSITORY"},
                                 {"Tag", "TAG"},
                                 {"Digest", "DIGEST"},
                                 {"CreatedSince", "CREATED"},
                                 {"CreatedAt", "CREATED AT"},
                                 {"Size", "SIZE"},
                                 {"Containers", "CONTAINERS"}});
  });

  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* rmi = app.add_subcommand("rmi", "Remove one or more images");
  rmi->add_option("images", *names)->required();
  rmi->add_flag("-f,--force", *force, "force removal");
  rmi->callback([=] {
    exit_code = 0;
    for (auto& n : *names) {
      auto r = engine().call("DELETE", Engine::api("/images/" + n + (*force ? "?force=1" : "")));
      if (!r || r->status >= 400) {
        exit_code = fail_with(r);
        continue;
      }
      for (auto& item : r->json())
        for (auto& [k, v] : item.items())
          std::printf("%s: %s\n", k.c_str(), v.get<std::string>().c_str());
    }
  });

  auto* tag = app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  tag->add_option("names", *names)->required()->expected(2);
  tag->callback([=] {
    auto [repo, t] = split_ref((*names)[1], "latest");
    auto r = engine().call(
        "POST", Engine::api("/images/" + (*names)[0] + "/tag?repo=" + Engine::query_escape(repo) +
                            "&tag=" + Engine::query_escape(t)));
    exit_code = !r || r->status >= 400 ? fail_with(r) : 0;
  });

  auto output = std::make_shared<std::string>();
  auto* save = app.add_subcommand("save", "Save one or more images to a tar archive");
  save->add_option("images", *names)->required();
  save->add_option("-o,--output", *output, "write to a file, instead of STDOUT");
  save->callback([=] {
    std::string q = "/images/get?";
    for (size_t i = 0; i < names->size(); ++i)
      q += (i ? "&" : "") + std::string("names=") + Engine::query_escape((*names)[i]);
    exit_code = stream_to(engine(), q, *output);
  });

  auto file = std::make_shared<std::string>();
  auto* load = app.add_subcommand("load", "Load an image from a tar archive or STDIN");
  load->add_option("-i,--input", *file, "read from a tar archive file");
  load->add_flag("-q,--quiet", *quiet, "suppress the load output");
  load->callback([=] {
    int raw = file->empty() ? ::dup(STDIN_FILENO) : ::open(file->c_str(), O_RDONLY | O_CLOEXEC);
    UniqueFd fd(raw);
    if (!fd) {
      exit_code =
          report(Error(ErrorKind::NotFound, "open " + *file + ": no such file or directory"));
      return;
    }
    auto r = engine().call_raw(
        "POST", Engine::api(std::string("/images/load") + (*quiet ? "?quiet=1" : "")),
        "application/x-tar", fd.get());
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    exit_code = print_progress(r->body, "stream");
  });

  auto changes = std::make_shared<std::vector<std::string>>();
  auto message = std::make_shared<std::string>();
  auto* import_cmd = app.add_subcommand("import", "Import a tarball to create a filesystem image");
  import_cmd->add_option("args", *names, "FILE [REPOSITORY[:TAG]]")->required()->expected(1, 2);
  import_cmd->add_option("-c,--change", *changes, "Dockerfile instruction")
      ->allow_extra_args(false);
  import_cmd->add_option("-m,--message", *message, "commit message");
  import_cmd->callback([=] {
    int raw = (*names)[0] == "-" ? ::dup(STDIN_FILENO)
                                 : ::open((*names)[0].c_str(), O_RDONLY | O_CLOEXEC);
    UniqueFd fd(raw);
    if (!fd) {
      exit_code =
          report(Error(ErrorKind::NotFound, "open " + (*names)[0] + ": no such file or directory"));
      return;
    }
    std::string q = "/images/create?fromSrc=-";
    if (names->size() == 2) {
      auto [repo, t] = split_ref((*names)[1], "latest");
      q += "&repo=" + Engine::query_escape(repo) + "&tag=" + Engine::query_escape(t);
    }
    for (auto& c : *changes) q += "&changes=" + Engine::query_escape(c);
    if (!message->empty()) q += "&message=" + Engine::query_escape(*message);
    auto r = engine().call_raw("POST", Engine::api(q), "application/x-tar", fd.get());
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    exit_code = print_progress(r->body, "status");
  });

  auto one = std::make_shared<std::string>();
  auto human = std::make_shared<bool>(true);
  auto* history = app.add_subcommand("history", "Show the history of an image");
  history->add_option("image", *one)->required();
  history->add_flag("-q,--quiet", *quiet, "only show image IDs");
  history->add_flag("--no-trunc", *no_trunc, "do not truncate output");
  history->add_flag("-H,--human,!--no-human", *human, "sizes and dates in human form");
  history->add_option("--format", *format, "Go template, table or json");
  history->callback([=] {
    auto r = engine().call("GET", Engine::api("/images/" + *one + "/history"));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    int64_t now = ::time(nullptr);
    json rows = json::array();
    for (auto& h : r->json()) {
      std::string id = h.value("Id", "<missing>");
      if (!*no_trunc && id.starts_with("sha256:")) id = id.substr(7, 12);
      std::string by = h.value("CreatedBy", "");
      if (!*no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
      int64_t created = h.value("Created", int64_t{0});
      int64_t size = h.value("Size", int64_t{0});
      rows.push_back(
          {{"ID", id},
           {"CreatedSince", *human ? human_duration(now - created) + " ago" : go_time(created)},
           {"CreatedAt", go_time(created)},
           {"CreatedBy", by},
           {"Size", *human ? human_size(static_cast<double>(size)) : std::to_string(size)},
           {"Comment", h.value("Comment", "")}});
    }
    std::string fmt = *format;
    if (*quiet) fmt = "{{.ID}}";
    if (fmt.empty() || fmt == "table")
      fmt = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
    exit_code = print_formatted(rows, fmt,
                                {{"ID", "IMAGE"},
                                 {"CreatedSince", "CREATED"},
                                 {"CreatedAt", "CREATED AT"},
                                 {"CreatedBy", "CREATED BY"},
                                 {"Size", "SIZE"},
                                 {"Comment", "COMMENT"}});
  });

  auto* pull = app.add_subcommand("pull", "Download an image from a registry");
  pull->add_option("image", *one)->required();
  pull->callback([=] {
    auto [repo, t] = split_ref(*one, "latest");
    auto r =
        engine().call("POST", Engine::api("/images/create?fromImage=" + Engine::query_escape(repo) +
                                          "&tag=" + Engine::query_escape(t)));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    exit_code = print_progress(r->body, "status");
  });

  auto* prune = app.add_subcommand("image-prune", "Remove unused images");
  prune->group("");  // `image prune`
  prune->add_flag("-a,--all", *all, "remove all unused images, not just dangling ones");
  prune->add_flag("-f,--force", *force, "do not prompt for confirmation");
  prune->add_option("--filter", *filters, "filter (key=value)")->allow_extra_args(false);
  prune->callback([=] {
    auto f = *filters;
    if (*all) f.push_back("dangling=false");
    std::string q = "/images/prune";
    if (!f.empty()) q += "?" + filters_query(f);
    auto r = engine().call("POST", Engine::api(q));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    double n = print_pruned(r->json(), "ImagesDeleted", "Deleted Images");
    std::printf("Total reclaimed space: %s\n", human_size(n).c_str());
    exit_code = 0;
  });
}

}  // namespace berth::cli

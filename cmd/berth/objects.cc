// Images, volumes, networks, inspect and the system commands; and the output helpers.
#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "commands.h"
#include "format.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

int exit_code = 0;

int report(const Error& e, int code) {
  std::fprintf(stderr, "%s\n", e.message().c_str());
  return code;
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size())
        line += std::string(std::max<size_t>(width[i] + 3, 10) - r[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string human_duration(int64_t s) {
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  int64_t m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return std::to_string(m) + " minutes";
  int64_t h = (m + 30) / 60;
  if (h == 1) return "About an hour";
  if (h < 48) return std::to_string(h) + " hours";
  if (h < 24 * 7 * 2) return std::to_string(h / 24) + " days";
  if (h < 24 * 30 * 2) return std::to_string(h / 24 / 7) + " weeks";
  if (h < 24 * 365 * 2) return std::to_string(h / 24 / 30) + " months";
  return std::to_string(h / 24 / 365) + " years";
}

std::string human_size(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return fmt::format("{:.3g}{}", b, units[u]);
}

namespace {

// Calls and prints the JSON answer (or the daemon's error).
int call_print(Engine& e, const std::string& method, const std::string& path,
               const std::optional<json>& body = std::nullopt, bool print = false) {
  auto r = e.call(method, Engine::api(path), body);
  if (!r) return report(r.error());
  if (r->status >= 400) return report(client::daemon_error(*r));
  if (print) std::printf("%s\n", r->json().dump(4).c_str());
  return 0;
}

}  // namespace

void add_object_commands(CLI::App& app, EngineRef engine) {
  auto* version = app.add_subcommand("version", "Show the Docker version information");
  version->callback([=] {
    std::printf("Client:\n Version:           berth\n API version:       1.45\n\n");
    auto r = engine().call("GET", "/version");
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    json v = r->json();
    std::printf(
        "Server:\n Engine:\n  Version:          %s\n  API version:      %s (minimum version %s)\n  "
        "OS/Arch:          %s/%s\n",
        v.value("Version", "").c_str(), v.value("ApiVersion", "").c_str(),
        v.value("MinAPIVersion", "").c_str(), v.value("Os", "").c_str(),
        v.value("Arch", "").c_str());
    exit_code = 0;
  });
  auto* info = app.add_subcommand("info", "Display system-wide information");
  info->callback([=] { exit_code = call_print(engine(), "GET", "/info", std::nullopt, true); });

  auto quiet = std::make_shared<bool>(false);
  auto* images = app.add_subcommand("images", "List images");
  images->add_flag("-q,--quiet", *quiet, "only show image IDs");
  images->callback([=] {
    auto r = engine().call("GET", Engine::api("/images/json"));
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    std::vector<std::vector<std::string>> rows = {
        {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
    int64_t now = ::time(nullptr);
    for (auto& img : r->json()) {
      std::string id = img.value("Id", "").substr(7, 12);
      if (*quiet) {
        std::printf("%s\n", id.c_str());
        continue;
      }
      json tags = img.value("RepoTags", json::array());
      if (!tags.is_array() || tags.empty()) tags = json::array({"<none>:<none>"});
      for (auto& t : tags) {
        std::string s = t;
        auto colon = s.rfind(':');
        rows.push_back({s.substr(0, colon), s.substr(colon + 1), id,
                        human_duration(now - img.value("Created", int64_t{0})) + " ago",
                        human_size(static_cast<double>(img.value("Size", int64_t{0})))});
      }
    }
    if (!*quiet) std::fputs(table(rows).c_str(), stdout);
    exit_code = 0;
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
        exit_code = report(r ? client::daemon_error(*r) : r.error());
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
    std::string target = (*names)[1], repo = target, t = "latest";
    if (auto colon = target.rfind(':');
        colon != std::string::npos && target.find('/', colon) == std::string::npos) {
      repo = target.substr(0, colon);
      t = target.substr(colon + 1);
    }
    exit_code =
        call_print(engine(), "POST", "/images/" + (*names)[0] + "/tag?repo=" + repo + "&tag=" + t);
  });
  auto file = std::make_shared<std::string>();
  auto* load = app.add_subcommand("load", "Load an image from a tar archive");
  load->add_option("-i,--input", *file, "read from a tar archive file")->required();
  load->callback([=] {
    UniqueFd fd(::open(file->c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      exit_code =
          report(Error(ErrorKind::NotFound, "open " + *file + ": no such file or directory"));
      return;
    }
    auto r = engine().call_raw("POST", Engine::api("/images/load"), "application/x-tar", fd.get());
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    for (auto& line : split(r->body, '\n')) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("stream"))
        std::fputs(j["stream"].get<std::string>().c_str(), stdout);
    }
    exit_code = 0;
  });
  auto* import = app.add_subcommand("import", "Import a tarball to create a filesystem image");
  import->add_option("args", *names, "FILE [REPOSITORY[:TAG]]")->required()->expected(1, 2);
  import->callback([=] {
    UniqueFd fd((*names)[0] == "-" ? ::dup(STDIN_FILENO)
                                   : ::open((*names)[0].c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    exit_code =
        report(Error(ErrorKind::NotFound, "open " + (*names)[0] + ": no such file or directory"));
    return;
  }
  std::string target = "/images/create?fromSrc=-";
  if (names->size() == 2) {
    std::string ref = (*names)[1], tag = "latest";
    if (auto colon = ref.rfind(':');
        colon != std::string::npos && ref.find('/', colon) == std::string::npos) {
      tag = ref.substr(colon + 1);
      ref = ref.substr(0, colon);
    }
    target += "&repo=" + ref + "&tag=" + tag;
  }
  auto r = engine().call_raw("POST", Engine::api(target), "application/x-tar", fd.get());
  if (!r || r->status >= 400) {
    exit_code = report(r ? client::daemon_error(*r) : r.error());
    return;
  }
  for (auto& line : split(r->body, '\n')) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("status"))
      std::printf("%s\n", j["status"].get<std::string>().c_str());
  }
  exit_code = 0;
});
auto* pull = app.add_subcommand("pull", "Download an image from a registry");
pull->add_option("image", *file)->required();
pull->callback([=] {
  exit_code = call_print(engine(), "POST", "/images/create?fromImage=" + *file);
});

auto type = std::make_shared<std::string>();
auto* inspect = app.add_subcommand("inspect", "Return low-level information on objects");
inspect->add_option("names", *names)->required();
inspect->add_option("--type", *type, "container, image, volume or network");
auto format = std::make_shared<std::string>();
inspect->add_option("-f,--format", *format, "Go template");
inspect->callback([=] {
  json out = json::array();
  exit_code = 0;
  for (auto& n : *names) {
    bool found = false;
    for (std::string path : {"/containers/" + n + "/json", "/images/" + n + "/json",
                             "/volumes/" + n, "/networks/" + n}) {
      if (!type->empty() && path.find(*type) != 1) continue;
      auto r = engine().call("GET", Engine::api(path));
      if (r && r->status == 200) {
        out.push_back(r->json());
        found = true;
        break;
      }
    }
    if (!found) {
      std::fprintf(stderr, "Error: No such object: %s\n", n.c_str());
      exit_code = 1;
    }
  }
  if (!out.empty() || exit_code == 0)
    if (int rc = print_inspected(out, *format)) exit_code = rc;
});

// volume: the management commands
for (std::string kind : {"volume"}) {
  auto* m = app.add_subcommand(kind, "Manage " + kind + "s");
  m->require_subcommand(1);
  auto* create = m->add_subcommand("create", "Create a " + kind);
  auto name = std::make_shared<std::string>();
  create->add_option("name", *name);
  create->callback([=] {
    json body = {{"Name", *name}};
    auto r = engine().call("POST", Engine::api("/" + kind + "s/create"), body);
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    std::printf("%s\n", r->json().value(kind == "volume" ? "Name" : "Id", "").c_str());
    exit_code = 0;
  });
  auto* ls = m->add_subcommand("ls", "List " + kind + "s");
  ls->callback([=] {
    auto r = engine().call("GET", Engine::api("/" + kind + "s"));
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"DRIVER", "VOLUME NAME"});
    for (auto& v : r->json().value("Volumes", json::array()))
      rows.push_back({v.value("Driver", ""), v.value("Name", "")});
    std::fputs(table(rows).c_str(), stdout);
    exit_code = 0;
  });
  auto targets = std::make_shared<std::vector<std::string>>();
  auto* rm = m->add_subcommand("rm", "Remove " + kind + "s");
  rm->add_option("names", *targets)->required();
  rm->callback([=] {
    exit_code = 0;
    for (auto& t : *targets) {
      int rc = call_print(engine(), "DELETE", "/" + kind + "s/" + t);
      if (rc == 0) std::printf("%s\n", t.c_str());
      exit_code |= rc;
    }
  });
  auto* ins = m->add_subcommand("inspect", "Display detailed information");
  ins->add_option("names", *targets)->required();
  auto format = std::make_shared<std::string>();
  ins->add_option("-f,--format", *format, "Go template");
  ins->callback([=] {
    json out = json::array();
    exit_code = 0;
    for (auto& t : *targets) {
      auto r = engine().call("GET", Engine::api("/" + kind + "s/" + t));
      if (r && r->status == 200)
        out.push_back(r->json());
      else
        exit_code = report(r ? client::daemon_error(*r) : r.error());
    }
    if (!out.empty() || exit_code == 0)
      if (int rc = print_inspected(out, *format)) exit_code = rc;
  });
}
}  // namespace berth::cli

}  // namespace berth::cli

// version, info, events, inspect, and `system df` / `system prune`.
#include <ctime>

#include "base/strings.h"
#include "client/go_template.h"
#include "commands.h"
#include "format.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {

// /version in the Go field names the docker CLI's templates use (APIVersion, not ApiVersion).
json version_data(const json& server) {
  json s = server;
  s["APIVersion"] = server.value("ApiVersion", "");
  s["MinAPIVersion"] = server.value("MinAPIVersion", "");
  return {{"Client",
           {{"Version", "berth"},
            {"APIVersion", Engine::api("").substr(2)},
            {"DefaultAPIVersion", "1.45"},
            {"Os", "linux"},
            {"Arch", "amd64"}}},
          {"Server", s}};
}

// An event with the Go field names too (Scope, Time, TimeNano are lower case on the wire).
json event_data(json e) {
  e["Scope"] = e.value("scope", "");
  e["Time"] = e.value("time", int64_t{0});
  e["TimeNano"] = e.value("timeNano", int64_t{0});
  return e;
}

// Docker's line: "2026-11-28T03:00:00.123456789Z container die 0123... (exitCode=0, name=x)"
std::string event_line(const json& e) {
  int64_t ns = e.value("timeNano", int64_t{0});
  time_t secs = static_cast<time_t>(ns / 1000000000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line =
      fmt::format("{}.{:09d}Z {} {} {}", buf, ns % 1000000000, e.value("Type", ""),
                  e.value("Action", ""), e.value("Actor", json::object()).value("ID", ""));
  json attrs = e.value("Actor", json::object()).value("Attributes", json::object());
  if (attrs.is_object() && !attrs.empty()) {
    std::string a;
    for (auto& [k, v] : attrs.items())
      a += (a.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    line += " (" + a + ")";
  }
  return line;
}

std::string reclaimable(double bytes, double total) {
  if (total <= 0) return human_size(bytes);
  return fmt::format("{} ({}%)", human_size(bytes), static_cast<int>(bytes * 100 / total));
}

// The rows of `system df` from GET /system/df.
json df_rows(const json& df) {
  json rows = json::array();
  int images = 0, images_active = 0;
  double images_unused = 0;
  for (auto& i : df.value("Images", json::array())) {
    ++images;
    bool used = i.value("Containers", int64_t{0}) > 0;
    images_active += used;
    if (!used) images_unused += i.value("Size", 0.0);
  }
  double layers = df.value("LayersSize", 0.0);
  rows.push_back({{"Type", "Images"},
                  {"TotalCount", std::to_string(images)},
                  {"Active", std::to_string(images_active)},
                  {"Size", human_size(layers)},
                  {"Reclaimable", reclaimable(images_unused, layers)}});
  int ctrs = 0, running = 0;
  double ctr_size = 0, ctr_unused = 0;
  for (auto& c : df.value("Containers", json::array())) {
    ++ctrs;
    bool up = c.value("State", "") == "running";
    running += up;
    double sz = c.value("SizeRw", 0.0);
    ctr_size += sz;
    if (!up) ctr_unused += sz;
  }
  rows.push_back({{"Type", "Containers"},
                  {"TotalCount", std::to_string(ctrs)},
                  {"Active", std::to_string(running)},
                  {"Size", human_size(ctr_size)},
                  {"Reclaimable", reclaimable(ctr_unused, ctr_size)}});
  int vols = 0, vols_active = 0;
  double vol_size = 0, vol_unused = 0;
  for (auto& v : df.value("Volumes", json::array())) {
    ++vols;
    json usage = v.value("UsageData", json::object());
    bool used = usage.value("RefCount", int64_t{0}) > 0;
    vols_active += used;
    double sz = std::max(0.0, usage.value("Size", 0.0));
    vol_size += sz;
    if (!used) vol_unused += sz;
  }
  rows.push_back({{"Type", "Local Volumes"},
                  {"TotalCount", std::to_string(vols)},
                  {"Active", std::to_string(vols_active)},
                  {"Size", human_size(vol_size)},
                  {"Reclaimable", reclaimable(vol_unused, vol_size)}});
  rows.push_back({{"Type", "Build Cache"},
                  {"TotalCount", "0"},
                  {"Active", "0"},
                  {"Size", "0B"},
                  {"Reclaimable", "0B"}});
  return rows;
}

// POST a prune, print its deleted list under `title`; the reclaimed bytes.
double prune_section(Engine& e, const std::string& path, const char* key, const char* title,
                     int& rc) {
  auto r = e.call("POST", Engine::api(path));
  if (!r || r->status >= 400) {
    rc = fail_with(r);
    return 0;
  }
  return print_pruned(r->json(), key, title);
}

}  // namespace

void add_system_commands(CLI::App& app, EngineRef engine) {
  auto format = std::make_shared<std::string>();
  auto* version = app.add_subcommand("version", "Show the Docker version information");
  version->add_option("-f,--format", *format, "Go template");
  version->callback([=] {
    auto r = engine().call("GET", Engine::api("/version"));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    json data = version_data(r->json());
    if (!format->empty()) {
      exit_code = print_inspected(json::array({data}), *format);
      return;
    }
    const json& c = data["Client"];
    const json& s = data["Server"];
    std::printf("Client:\n Version:           %s\n API version:       %s\n\n",
                c.value("Version", "").c_str(), c.value("APIVersion", "").c_str());
    std::printf(
        "Server:\n Engine:\n  Version:          %s\n  API version:      %s (minimum version %s)\n  "
        "OS/Arch:          %s/%s\n",
        s.value("Version", "").c_str(), s.value("APIVersion", "").c_str(),
        s.value("MinAPIVersion", "").c_str(), s.value("Os", "").c_str(),
        s.value("Arch", "").c_str());
    exit_code = 0;
  });

  auto* info = app.add_subcommand("info", "Display system-wide information");
  info->add_option("-f,--format", *format, "Go template");
  info->callback([=] {
    auto r = engine().call("GET", Engine::api("/info"));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    json i = r->json();
    if (!format->empty()) {
      exit_code = print_inspected(json::array({i}), *format);
      return;
    }
    std::printf(
        "Server:\n Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n Images: %d\n"
        " Server Version: %s\n Storage Driver: %s\n Logging Driver: %s\n Cgroup Driver: %s\n"
        " Cgroup Version: %s\n Kernel Version: %s\n Operating System: %s\n OSType: %s\n"
        " Architecture: %s\n CPUs: %d\n Total Memory: %s\n Name: %s\n ID: %s\n"
        " Docker Root Dir: %s\n Live Restore Enabled: %s\n",
        i.value("Containers", 0), i.value("ContainersRunning", 0), i.value("ContainersPaused", 0),
        i.value("ContainersStopped", 0), i.value("Images", 0), i.value("ServerVersion", "").c_str(),
        i.value("Driver", "").c_str(), i.value("LoggingDriver", "").c_str(),
        i.value("CgroupDriver", "").c_str(), i.value("CgroupVersion", "").c_str(),
        i.value("KernelVersion", "").c_str(), i.value("OperatingSystem", "").c_str(),
        i.value("OSType", "").c_str(), i.value("Architecture", "").c_str(), i.value("NCPU", 0),
        human_size(i.value("MemTotal", 0.0)).c_str(), i.value("Name", "").c_str(),
        i.value("ID", "").c_str(), i.value("DockerRootDir", "").c_str(),
        i.value("LiveRestoreEnabled", false) ? "true" : "false");
    exit_code = 0;
  });

  auto since = std::make_shared<std::string>(), until = std::make_shared<std::string>();
  auto filters = std::make_shared<std::vector<std::string>>();
  auto* events = app.add_subcommand("events", "Get real time events from the server");
  events->add_option("--since", *since, "events since this time");
  events->add_option("--until", *until, "events until this time");
  events->add_option("-f,--filter", *filters, "filter (key=value)")->allow_extra_args(false);
  events->add_option("--format", *format, "Go template or json");
  events->callback([=] {
    std::string q = "/events?";
    if (!since->empty()) q += "since=" + Engine::query_escape(*since) + "&";
    if (!until->empty()) q += "until=" + Engine::query_escape(*until) + "&";
    if (!filters->empty()) q += filters_query(*filters);
    std::optional<client::GoTemplate> tmpl;
    if (!format->empty()) {
      auto t = client::GoTemplate::parse(*format == "json" ? "{{json .}}" : *format);
      if (!t) {
        exit_code = report(t.error());
        return;
      }
      tmpl = *t;
    }
    std::string pending;
    int rc = 0;
    auto r = engine().stream("GET", Engine::api(q), [&](std::string_view d) {
      pending += d;
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        auto e = json::parse(pending.substr(0, nl), nullptr, false);
        pending.erase(0, nl + 1);
        if (!e.is_object()) continue;
        if (tmpl) {
          auto text = tmpl->render(*format == "json" ? e : event_data(e));
          if (!text) {
            rc = report(text.error());
            return false;
          }
          std::printf("%s\n", text->c_str());
        } else {
          std::printf("%s\n", event_line(e).c_str());
        }
        std::fflush(stdout);
      }
      return true;
    });
    exit_code = r ? rc : report(r.error());
  });

  auto* df = app.add_subcommand("system-df", "Show docker disk usage");
  df->group("");  // `system df`
  df->add_option("--format", *format, "Go template, table or json");
  df->callback([=] {
    auto r = engine().call("GET", Engine::api("/system/df"));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    std::string fmt = format->empty() || *format == "table"
                          ? "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t"
                            "{{.Reclaimable}}"
                          : *format;
    exit_code = print_formatted(df_rows(r->json()), fmt,
                                {{"Type", "TYPE"},
                                 {"TotalCount", "TOTAL"},
                                 {"Active", "ACTIVE"},
                                 {"Size", "SIZE"},
                                 {"Reclaimable", "RECLAIMABLE"}});
  });

  auto all = std::make_shared<bool>(false), volumes = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  auto* prune = app.add_subcommand("system-prune", "Remove unused data");
  prune->group("");  // `system prune`
  prune->add_flag("-a,--all", *all, "remove all unused images, not just dangling ones");
  prune->add_flag("--volumes", *volumes, "prune anonymous volumes too");
  prune->add_flag("-f,--force", *force, "do not prompt for confirmation");
  prune->callback([=] {
    Engine& e = engine();
    int rc = 0;
    double total = 0;
    total += prune_section(e, "/containers/prune", "ContainersDeleted", "Deleted Containers", rc);
    total += prune_section(e, "/networks/prune", "NetworksDeleted", "Deleted Networks", rc);
    if (*volumes)
      total += prune_section(e, "/volumes/prune", "VolumesDeleted", "Deleted Volumes", rc);
    std::string images = "/images/prune";
    if (*all) images += "?" + filters_query({"dangling=false"});
    total += prune_section(e, images, "ImagesDeleted", "Deleted Images", rc);
    std::printf("Total reclaimed space: %s\n", human_size(total).c_str());
    exit_code = rc;
  });

  auto names = std::make_shared<std::vector<std::string>>();
  auto type = std::make_shared<std::string>();
  auto* inspect = app.add_subcommand("inspect", "Return low-level information on objects");
  inspect->add_option("names", *names)->required();
  inspect->add_option("--type", *type, "container, image, volume or network");
  inspect->add_option("-f,--format", *format, "Go template");
  inspect->callback([=] {
    json out = json::array();
    exit_code = 0;
    for (auto& n : *names) {
      bool found = false;
      for (auto [kind, path] :
           {std::pair{"container", "/containers/" + n + "/json"},
            std::pair{"image", "/images/" + n + "/json"}, std::pair{"volume", "/volumes/" + n},
            std::pair{"network", "/networks/" + n}}) {
        if (!type->empty() && *type != kind) continue;
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
}

}  // namespace berth::cli

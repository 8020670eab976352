// volume create/ls/inspect/rm/prune, with Docker's flags.
#include "commands.h"
#include "format.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {}  // namespace

void add_volume_commands(CLI::App& app, EngineRef engine) {
  auto* m = app.add_subcommand("volume", "Manage volumes");
  m->require_subcommand(1);

  auto name = std::make_shared<std::string>(), driver = std::make_shared<std::string>("local");
  auto opts = std::make_shared<std::vector<std::string>>();
  auto labels = std::make_shared<std::vector<std::string>>();
  auto* create = m->add_subcommand("create", "Create a volume");
  create->add_option("name", *name);
  create->add_option("-d,--driver", *driver, "volume driver");
  create->add_option("-o,--opt", *opts, "driver option")->allow_extra_args(false);
  create->add_option("--label", *labels, "label")->allow_extra_args(false);
  create->callback([=] {
    json body = {{"Name", *name},
                 {"Driver", *driver},
                 {"DriverOpts", json::object()},
                 {"Labels", json::object()}};
    for (auto& o : *opts) {
      auto [k, v] = key_value(o);
      body["DriverOpts"][k] = v;
    }
    for (auto& l : *labels) {
      auto [k, v] = key_value(l);
      body["Labels"][k] = v;
    }
    auto r = engine().call("POST", Engine::api("/volumes/create"), body);
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    std::printf("%s\n", r->json().value("Name", "").c_str());
    exit_code = 0;
  });

  auto quiet = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>();
  auto filters = std::make_shared<std::vector<std::string>>();
  auto* ls = m->add_subcommand("ls", "List volumes");
  ls->alias("list");
  ls->add_flag("-q,--quiet", *quiet, "only display volume names");
  ls->add_option("--format", *format, "Go template, table or json");
  ls->add_option("-f,--filter", *filters, "filter (key=value)")->allow_extra_args(false);
  ls->callback([=] {
    std::string q = "/volumes";
    if (!filters->empty()) q += "?" + filters_query(*filters);
    auto r = engine().call("GET", Engine::api(q));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    json rows = json::array();
    json vols = r->json().value("Volumes", json::array());
    if (vols.is_array())
      for (auto& v : vols) {
        std::string ls;
        if (v.contains("Labels") && v["Labels"].is_object())
          for (auto& [k, val] : v["Labels"].items())
            ls += (ls.empty() ? "" : ",") + k + "=" + val.get<std::string>();
        rows.push_back({{"Name", v.value("Name", "")},
                        {"Driver", v.value("Driver", "")},
                        {"Scope", v.value("Scope", "")},
                        {"Mountpoint", v.value("Mountpoint", "")},
                        {"Labels", ls}});
      }
    std::string fmt = *format;
    if (*quiet) fmt = "{{.Name}}";
    if (fmt.empty() || fmt == "table") fmt = "table {{.Driver}}\t{{.Name}}";
    exit_code = print_formatted(rows, fmt,
                                {{"Name", "VOLUME NAME"},
                                 {"Driver", "DRIVER"},
                                 {"Scope", "SCOPE"},
                                 {"Mountpoint", "MOUNTPOINT"},
                                 {"Labels", "LABELS"}});
  });

  auto targets = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* rm = m->add_subcommand("rm", "Remove one or more volumes");
  rm->alias("remove");
  rm->add_option("volumes", *targets)->required();
  rm->add_flag("-f,--force", *force, "force the removal");
  rm->callback([=] {
    exit_code = 0;
    for (auto& t : *targets) {
      auto r = engine().call("DELETE", Engine::api("/volumes/" + t + (*force ? "?force=1" : "")));
      if (!r || r->status >= 400) {
        exit_code = fail_with(r);
        continue;
      }
      std::printf("%s\n", t.c_str());
    }
  });

  auto* ins = m->add_subcommand("inspect", "Display detailed information on volumes");
  ins->add_option("volumes", *targets)->required();
  ins->add_option("-f,--format", *format, "Go template");
  ins->callback([=] {
    json out = json::array();
    exit_code = 0;
    for (auto& t : *targets) {
      auto r = engine().call("GET", Engine::api("/volumes/" + t));
      if (r && r->status == 200)
        out.push_back(r->json());
      else
        exit_code = fail_with(r);
    }
    if (!out.empty() || exit_code == 0)
      if (int rc = print_inspected(out, *format)) exit_code = rc;
  });

  auto all = std::make_shared<bool>(false);
  auto* prune = m->add_subcommand("prune", "Remove unused local volumes");
  prune->add_flag("-a,--all", *all, "all unused volumes, not just anonymous ones");
  prune->add_flag("-f,--force", *force, "do not prompt for confirmation");
  prune->add_option("--filter", *filters, "filter (key=value)")->allow_extra_args(false);
  prune->callback([=] {
    auto f = *filters;
    if (*all) f.push_back("all=true");
    std::string q = "/volumes/prune";
    if (!f.empty()) q += "?" + filters_query(f);
    auto r = engine().call("POST", Engine::api(q));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    double n = print_pruned(r->json(), "VolumesDeleted", "Deleted Volumes");
    std::printf("Total reclaimed space: %s\n", human_size(n).c_str());
    exit_code = 0;
  });
}

}  // namespace berth::cli

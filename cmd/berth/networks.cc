// network create/ls/inspect/rm/prune/connect/disconnect, with Docker's flags.
#include "base/strings.h"
#include "commands.h"
#include "format.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {

struct CreateOptions {
  std::string name, driver = "bridge";
  bool internal = false, ipv6 = false, attachable = false;
  std::vector<std::string> subnets, gateways, ranges, opts, labels;
};

bool is_v6(const std::string& s) {
  return s.find(':') != std::string::npos;
}

// Each --gateway and --ip-range goes with the --subnet of its family, in order, as the
// docker CLI pairs them (it checks containment; the daemon does that here).
json ipam_configs(const CreateOptions& o) {
  json cfgs = json::array();
  for (auto& s : o.subnets) cfgs.push_back({{"Subnet", s}});
  auto attach = [&](const std::vector<std::string>& values, const char* key) {
    for (auto& v : values)
      for (auto& c : cfgs)
        if (is_v6(c["Subnet"]) == is_v6(v) && !c.contains(key)) {
          c[key] = v;
          break;
        }
  };
  attach(o.gateways, "Gateway");
  attach(o.ranges, "IPRange");
  return cfgs;
}

}  // namespace

void add_network_commands(CLI::App& app, EngineRef engine) {
  auto* m = app.add_subcommand("network", "Manage networks");
  m->require_subcommand(1);

  auto co = std::make_shared<CreateOptions>();
  auto* create = m->add_subcommand("create", "Create a network");
  create->add_option("name", co->name)->required();
  create->add_option("-d,--driver", co->driver, "driver (bridge, macvlan)");
  create->add_option("--subnet", co->subnets, "subnet in CIDR form")->allow_extra_args(false);
  create->add_option("--gateway", co->gateways, "gateway of a subnet")->allow_extra_args(false);
  create->add_option("--ip-range", co->ranges, "where addresses come from")
      ->allow_extra_args(false);
  create->add_option("-o,--opt", co->opts, "driver option")->allow_extra_args(false);
  create->add_option("--label", co->labels, "label")->allow_extra_args(false);
  create->add_flag("--internal", co->internal, "no access to outside the network");
  create->add_flag("--ipv6", co->ipv6, "enable IPv6");
  create->add_flag("--attachable", co->attachable, "attachable by standalone containers");
  create->callback([=] {
    json body = {
        {"Name", co->name},        {"Driver", co->driver},         {"Internal", co->internal},
        {"EnableIPv6", co->ipv6},  {"Attachable", co->attachable}, {"Options", json::object()},
        {"Labels", json::object()}};
    for (auto& o : co->opts) {
      auto [k, v] = key_value(o);
      body["Options"][k] = v;
    }
    for (auto& l : co->labels) {
      auto [k, v] = key_value(l);
      body["Labels"][k] = v;
    }
    if (!co->subnets.empty()) body["IPAM"] = {{"Driver", "default"}, {"Config", ipam_configs(*co)}};
    auto r = engine().call("POST", Engine::api("/networks/create"), body);
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    std::printf("%s\n", r->json().value("Id", "").c_str());
    exit_code = 0;
  });

  auto quiet = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>();
  auto filters = std::make_shared<std::vector<std::string>>();
  auto* ls = m->add_subcommand("ls", "List networks");
  ls->alias("list");
  ls->add_flag("-q,--quiet", *quiet, "only display network IDs");
  ls->add_option("--format", *format, "Go template");
  ls->add_option("-f,--filter", *filters, "filter (name=..., driver=...)")->allow_extra_args(false);
  ls->callback([=] {
    std::string path = "/networks";
    if (!filters->empty()) {
      json f = json::object();
      for (auto& x : *filters) {
        auto [k, v] = key_value(x);
        f[k][v] = true;
      }
      path += "?filters=" + Engine::query_escape(f.dump());
    }
    auto r = engine().call("GET", Engine::api(path));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    json rows = json::array();
    for (auto& n : r->json())
      rows.push_back({{"ID", n.value("Id", "").substr(0, 12)},
                      {"Name", n.value("Name", "")},
                      {"Driver", n.value("Driver", "")},
                      {"Scope", n.value("Scope", "")},
                      {"IPv6", n.value("EnableIPv6", false)},
                      {"Internal", n.value("Internal", false)}});
    std::string fmt = *quiet            ? "{{.ID}}"
                      : format->empty() ? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
                                        : *format;
    exit_code = print_formatted(rows, fmt,
                                {{"ID", "NETWORK ID"},
                                 {"Name", "NAME"},
                                 {"Driver", "DRIVER"},
                                 {"Scope", "SCOPE"},
                                 {"IPv6", "IPV6"},
                                 {"Internal", "INTERNAL"}});
  });

  auto targets = std::make_shared<std::vector<std::string>>();
  auto* rm = m->add_subcommand("rm", "Remove one or more networks");
  rm->alias("remove");
  rm->add_option("networks", *targets)->required();
  rm->callback([=] {
    exit_code = 0;
    for (auto& t : *targets) {
      auto r = engine().call("DELETE", Engine::api("/networks/" + t));
      if (!r || r->status >= 400) {
        exit_code = fail_with(r);
        continue;
      }
      std::printf("%s\n", t.c_str());
    }
  });

  auto* ins = m->add_subcommand("inspect", "Display detailed information on networks");
  ins->add_option("networks", *targets)->required();
  ins->add_option("-f,--format", *format, "Go template");
  ins->callback([=] {
    json out = json::array();
    exit_code = 0;
    for (auto& t : *targets) {
      auto r = engine().call("GET", Engine::api("/networks/" + t));
      if (r && r->status == 200)
        out.push_back(r->json());
      else
        exit_code = fail_with(r);
    }
    if (!out.empty() || exit_code == 0) {
      int rc = print_inspected(out, *format);
      if (rc) exit_code = rc;
    }
  });

  auto force = std::make_shared<bool>(false);
  auto* prune = m->add_subcommand("prune", "Remove all unused networks");
  prune->add_flag("-f,--force", *force, "do not prompt for confirmation");
  prune->callback([=] {
    auto r = engine().call("POST", Engine::api("/networks/prune"));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    json gone = r->json().value("NetworksDeleted", json::array());
    if (gone.is_array() && !gone.empty()) {
      std::printf("Deleted Networks:\n");
      for (auto& n : gone) std::printf("%s\n", n.get<std::string>().c_str());
    }
    exit_code = 0;
  });

  auto aliases = std::make_shared<std::vector<std::string>>();
  auto ip = std::make_shared<std::string>(), ip6 = std::make_shared<std::string>();
  auto* connect = m->add_subcommand("connect", "Connect a container to a network");
  connect->add_option("args", *targets)->required()->expected(2);
  connect->add_option("--alias", *aliases, "network-scoped alias")->allow_extra_args(false);
  connect->add_option("--ip", *ip, "IPv4 address");
  connect->add_option("--ip6", *ip6, "IPv6 address");
  connect->callback([=] {
    json ep = json::object();
    if (!aliases->empty()) ep["Aliases"] = *aliases;
    if (!ip->empty()) ep["IPAMConfig"]["IPv4Address"] = *ip;
    if (!ip6->empty()) ep["IPAMConfig"]["IPv6Address"] = *ip6;
    auto r = engine().call("POST", Engine::api("/networks/" + (*targets)[0] + "/connect"),
                           json{{"Container", (*targets)[1]}, {"EndpointConfig", ep}});
    exit_code = !r || r->status >= 400 ? fail_with(r) : 0;
  });
  auto* disconnect = m->add_subcommand("disconnect", "Disconnect a container from a network");
  disconnect->add_option("args", *targets)->required()->expected(2);
  disconnect->add_flag("-f,--force", *force, "force the container to disconnect");
  disconnect->callback([=] {
    auto r = engine().call("POST", Engine::api("/networks/" + (*targets)[0] + "/disconnect"),
                           json{{"Container", (*targets)[1]}, {"Force", *force}});
    exit_code = !r || r->status >= 400 ? fail_with(r) : 0;
  });
}

}  // namespace berth::cli

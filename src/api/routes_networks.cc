// /networks/...: create, list, inspect, remove, prune, connect, disconnect.
#include <set>

#include "api/filters.h"
#include "api/routes.h"
#include "base/json_fields.h"

namespace berth::api {

using nlohmann::json;

namespace {

bool matches(const network::Network& n, Filters& f) {
  auto any = [&](const char* key, auto pred) {
    if (!f.count(key)) return true;
    for (auto& v : f[key])
      if (pred(v)) return true;
    return false;
  };
  json labels = n.labels;
  if (f.count("label"))
    for (auto& want : f["label"])
      if (!label_matches(labels, want)) return false;
  return any("name", [&](const std::string& v) { return n.name.find(v) != std::string::npos; }) &&
         any("id", [&](const std::string& v) { return n.id.starts_with(v); }) &&
         any("driver", [&](const std::string& v) { return n.driver == v; }) &&
         any("scope", [&](const std::string& v) { return v == "local"; }) &&
         any("type", [&](const std::string& v) {
           return (v == "builtin") == n.predefined && (v == "builtin" || v == "custom");
         });
}

}  // namespace

void add_network_routes(Router& r, daemon::Daemon& d) {
  r.add("GET", "/networks", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    static const std::set<std::string> known = {"name",  "id",   "driver",  "label",
                                                "scope", "type", "dangling"};
    for (auto& [k, v] : f)
      if (!known.count(k)) return fail(ErrorKind::InvalidArgument, "invalid filter '{}'", k);
    json out = json::array();
    for (auto& n : d.networks().list()) {
      if (!matches(n, f)) continue;
      json j = n.to_api();
      bool used = !d.network_containers(n).empty();
      if (f.count("dangling") && !f["dangling"].empty()) {
        bool want = f["dangling"][0] == "true" || f["dangling"][0] == "1";
        if (n.predefined || used == want) continue;
      }
      out.push_back(j);
    }
    c.json(200, out);
    return ok();
  });
  r.add("GET", "/networks/{id}", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto n, d.networks().get(req.params[0]));
    json j = n.to_api();
    j["Containers"] = d.network_containers(n);
    c.json(200, j);
    return ok();
  });
  r.add("POST", "/networks/create", [&d](Request&, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    if (!body.is_object())
      return fail(ErrorKind::InvalidArgument,
                  "json: cannot unmarshal {} into Go value of type network.CreateRequest",
                  go_json_type(body));
    for (auto* k : {"Name", "Driver", "Scope"})
      BERTH_TRY(want_field(body, k, GoType::String, "CreateRequest"));
    for (auto* k : {"Internal", "Attachable", "Ingress", "EnableIPv6", "CheckDuplicate"})
      BERTH_TRY(want_field(body, k, GoType::Bool, "CreateRequest"));
    for (auto* k : {"Options", "Labels"})
      BERTH_TRY(want_field(body, k, GoType::StringMap, "CreateRequest"));
    BERTH_TRY(want_field(body, "IPAM", GoType::Object, "CreateRequest", "network.IPAM"));
    BERTH_ASSIGN(auto n, d.networks().create_network(body));
    d.networks().sync_rules();
    d.emit_network(n, "create");
    c.json(201, {{"Id", n.id}, {"Warning", ""}});
    return ok();
  });
  r.add("DELETE", "/networks/{id}", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto n, d.networks().get(req.params[0]));
    if (!n.predefined && !d.network_containers(n).empty())
      return fail(ErrorKind::PermissionDenied,
                  "error while removing network: network {} id {} has active endpoints", n.name,
                  n.id);
    BERTH_TRY(d.networks().remove_network(n.id));
    d.emit_network(n, "destroy");
    c.no_content();
    return ok();
  });
  r.add("POST", "/networks/prune", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    json deleted = json::array();
    for (auto& n : d.networks().list()) {
      if (n.predefined || !d.network_containers(n).empty()) continue;
      json labels = n.labels;
      bool keep = false;
      for (auto& want : f["label"]) keep |= !label_matches(labels, want);
      if (keep || !d.networks().remove_network(n.id)) continue;
      d.emit_network(n, "destroy");
      deleted.push_back(n.name);
    }
    c.json(200, {{"NetworksDeleted", deleted}});
    return ok();
  });
  r.add("POST", "/networks/{id}/connect", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    if (!body.is_object() || !body.value("Container", json()).is_string())
      return fail(ErrorKind::InvalidArgument, "no container specified");
    BERTH_TRY(d.connect_network(req.params[0], body["Container"],
                                body.value("EndpointConfig", json::object())));
    c.reply(200, "", "");
    return ok();
  });
  r.add("POST", "/networks/{id}/disconnect", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    if (!body.is_object() || !body.value("Container", json()).is_string())
      return fail(ErrorKind::InvalidArgument, "no container specified");
    BERTH_TRY(d.disconnect_network(req.params[0], body["Container"], body.value("Force", false)));
    c.reply(200, "", "");
    return ok();
  });
}

}  // namespace berth::api

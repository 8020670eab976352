// /volumes/...: create, list, inspect, remove, prune (the local driver).
#include <set>

#include "api/filters.h"
#include "api/routes.h"
#include "base/json_fields.h"

namespace berth::api {

using nlohmann::json;

namespace {

Result<std::map<std::string, std::string>> string_map(const json& body, const char* key) {
  std::map<std::string, std::string> m;
  BERTH_TRY(want_field(body, key, GoType::StringMap, "CreateOptions"));
  if (!body.contains(key) || body[key].is_null()) return m;
  for (auto& [k, v] : body[key].items()) m[k] = v;
  return m;
}

Result<bool> bool_filter(const std::vector<std::string>& values, const char* name) {
  if (values.empty()) return false;
  const std::string& v = values[0];
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return fail(ErrorKind::InvalidArgument, "invalid filter '{}={}'", name, v);
}

bool labels_match(const daemon::Volume& v, const Filters& f) {
  json labels = v.labels;
  if (auto it = f.find("label"); it != f.end())
    for (auto& want : it->second)
      if (!label_matches(labels, want)) return false;
  if (auto it = f.find("label!"); it != f.end())
    for (auto& unwanted : it->second)
      if (label_matches(labels, unwanted)) return false;
  return true;
}

}  // namespace

void add_volume_routes(Router& r, daemon::Daemon& d) {
  r.add("POST", "/volumes/create", [&d](Request&, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    if (!body.is_object()) return fail(ErrorKind::InvalidArgument, "invalid volume options");
    for (auto* k : {"Name", "Driver"})
      BERTH_TRY(want_field(body, k, GoType::String, "CreateOptions"));
    BERTH_ASSIGN(auto opts, string_map(body, "DriverOpts"));
    BERTH_ASSIGN(auto labels, string_map(body, "Labels"));
    std::string name = body.value("Name", json("")).is_string() ? body.value("Name", "") : "";
    std::string driver = body.value("Driver", json("")).is_string() ? body.value("Driver", "") : "";
    bool existed = !name.empty() && d.volumes().get(name).has_value();
    BERTH_ASSIGN(auto v, d.volumes().create(name, driver, opts, labels));
    if (!existed) d.emit_volume(v.name, "create");
    c.json(201, v.to_api());
    return ok();
  });
  r.add("GET", "/volumes", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    static const std::set<std::string> known = {"name", "label", "label!", "dangling", "driver"};
    for (auto& [k, v] : f)
      if (!known.count(k)) return fail(ErrorKind::InvalidArgument, "invalid filter '{}'", k);
    std::optional<bool> dangling;
    if (f.count("dangling")) {
      BERTH_ASSIGN(bool dv, bool_filter(f["dangling"], "dangling"));
      dangling = dv;
    }
    json out = json::array();
    for (auto& v : d.volumes().list()) {
      if (f.count("name")) {
        bool any = false;
        for (auto& n : f["name"]) any |= v.name.find(n) != std::string::npos;
        if (!any) continue;
      }
      if (f.count("driver") &&
          std::find(f["driver"].begin(), f["driver"].end(), v.driver) == f["driver"].end())
        continue;
      if (!labels_match(v, f)) continue;
      if (dangling && d.volume_users(v.name).empty() != *dangling) continue;
      out.push_back(v.to_api());
    }
    c.json(200, {{"Volumes", out}, {"Warnings", nullptr}});
    return ok();
  });
  r.add("GET", "/volumes/{name}", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto v, d.volumes().get(req.params[0]));
    c.json(200, v.to_api());
    return ok();
  });
  r.add("DELETE", "/volumes/{name}", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(bool force, req.q_bool("force"));
    BERTH_TRY(d.remove_volume(req.params[0], force));
    c.no_content();
    return ok();
  });
  r.add("POST", "/volumes/prune", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    static const std::set<std::string> known = {"label", "label!", "all"};
    for (auto& [k, v] : f)
      if (!known.count(k)) return fail(ErrorKind::InvalidArgument, "invalid filter '{}'", k);
    // Since API 1.42 only anonymous volumes go, unless all=true.
    bool all = req.version.below(1, 42);
    if (f.count("all")) {
      BERTH_ASSIGN(all, bool_filter(f["all"], "all"));
    }
    json deleted = json::array();
    int64_t reclaimed = 0;
    for (auto& v : d.volumes().list()) {
      if (!all && !v.anonymous()) continue;
      if (!labels_match(v, f) || !d.volume_users(v.name).empty()) continue;
      int64_t size = d.volumes().size(v.name);
      if (!d.remove_volume(v.name, false)) continue;
      deleted.push_back(v.name);
      if (size > 0) reclaimed += size;
    }
    c.json(200, {{"VolumesDeleted", deleted}, {"SpaceReclaimed", reclaimed}});
    return ok();
  });
}

}  // namespace berth::api

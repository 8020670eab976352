// _ping, version, info, events.
#include <sys/utsname.h>
#include <unistd.h>

#include <set>

#include "api/filters.h"
#include "api/routes.h"
#include "base/file.h"
#include "base/time.h"
#include "daemon/spec.h"

namespace berth::api {

using nlohmann::json;

namespace {

// info's Runtimes: the built-in one and those configured, as dockerd lists them.
json runtimes_json(const daemon::Config& cfg) {
  json out = {{shim::kBuiltinRuntime, {{"path", "berth-runtime"}}}};
  for (auto& [name, r] : cfg.runtimes) {
    out[name] = {{"path", r.path}};
    if (!r.args.empty()) out[name]["runtimeArgs"] = r.args;
  }
  return out;
}

bool event_matches(const json& ev, const Filters& f) {
  for (auto& [k, vals] : f) {
    if (vals.empty()) continue;
    bool any = false;
    for (auto& v : vals) {
      if (k == "type")
        any |= ev.value("Type", "") == v;
      else if (k == "event")
        any |= ev.value("Action", "") == v;
      else if (k == "container")
        any |= ev.value("Type", "") == "container" &&
               (ev["Actor"].value("ID", "").starts_with(v) ||
                ev["Actor"]["Attributes"].value("name", "") == v);
      else if (k == "image")
        any |= ev.value("from", "") == v;
      else if (k == "label")
        any |= label_matches(ev["Actor"]["Attributes"], v);
      // the other keys (network, volume, daemon, ...) name objects that emit no events yet
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

void add_system_routes(Router& r, daemon::Daemon& d) {
  r.add("GET", "/_ping", [](Request& req, Conn& c) -> Status {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Builder-Version", "1"},
        {"Cache-Control", "no-cache, no-store, must-revalidate"},
        {"Pragma", "no-cache"},
        {"Swarm", "inactive"}};
    c.reply(200, "text/plain; charset=utf-8", req.method == "HEAD" ? "" : "OK", h);
    return ok();
  });
  r.add("GET", "/version", [](Request&, Conn& c) -> Status {
    struct utsname u;
    uname(&u);
    json comp = {{"Name", "Engine"},
                 {"Version", "0.4.0"},
                 {"Details",
                  {{"ApiVersion", kApiVersion.str()},
                   {"MinAPIVersion", kMinApiVersion.str()},
                   {"Os", "linux"},
                   {"Arch", "amd64"},
                   {"KernelVersion", u.release}}}};
    c.json(200, {{"Platform", {{"Name", "Berth"}}},
                 {"Components", json::array({comp})},
                 {"Version", "0.4.0"},
                 {"ApiVersion", kApiVersion.str()},
                 {"MinAPIVersion", kMinApiVersion.str()},
                 {"GitCommit", "berth"},
                 {"GoVersion", "n/a"},
                 {"Os", "linux"},
                 {"Arch", "amd64"},
                 {"KernelVersion", u.release},
                 {"BuildTime", ""}});
    return ok();
  });
  r.add("GET", "/system/df", [&d](Request&, Conn& c) -> Status {
    auto containers = d.list();
    auto users = [&](const std::string& image_id) -> int64_t {
      int64_t n = 0;
      for (auto& ct : containers) {
        std::lock_guard<std::mutex> l(ct->mu);
        n += ct->image_id == image_id;
      }
      return n;
    };
    BERTH_ASSIGN(auto usage, d.images()->disk_usage(users));
    json out = usage.to_json();
    json cs = json::array();
    for (auto& ct : containers) {
      json s = container_summary(*ct);
      add_sizes(d, *ct, s);
      cs.push_back(s);
    }
    out["Containers"] = cs;
    json vs = json::array();
    for (auto& v : d.volumes().list()) {
      json j = v.to_api();
      j["UsageData"] = {{"Size", d.volumes().size(v.name)},
                        {"RefCount", static_cast<int64_t>(d.volume_users(v.name).size())}};
      vs.push_back(j);
    }
    out["Volumes"] = vs;
    out["BuildCache"] = json::array();
    c.json(200, out);
    return ok();
  });
  r.add("GET", "/info", [&d](Request&, Conn& c) -> Status {
    struct utsname u;
    uname(&u);
    int running = 0, paused = 0, stopped = 0;
    auto all = d.list();
    for (auto& ct : all) {
      std::lock_guard<std::mutex> l(ct->mu);
      if (ct->state.paused)
        ++paused;
      else if (ct->state.running)
        ++running;
      else
        ++stopped;
    }
    size_t images = 0;
    if (auto l = d.images()->list()) images = l->size();
    std::string host = daemon::host_hostname();
    long mem = sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    bool v2 = path_exists("/sys/fs/cgroup/cgroup.controllers");
    c.json(200, {{"ID", "berth"},
                 {"Containers", all.size()},
                 {"ContainersRunning", running},
                 {"ContainersPaused", paused},
                 {"ContainersStopped", stopped},
                 {"Images", images},
                 {"Driver", d.images()->driver().name()},
                 {"DriverStatus", json::array()},
                 {"Plugins",
                  {{"Volume", {"local"}},
                   {"Network", {"bridge", "host", "none"}},
                   {"Log", {"json-file", "local", "none"}}}},
                 {"MemoryLimit", true},
                 {"SwapLimit", true},
                 {"CpuCfsPeriod", true},
                 {"CpuCfsQuota", true},
                 {"CPUShares", true},
                 {"CPUSet", true},
                 {"PidsLimit", true},
                 {"IPv4Forwarding", true},
                 {"Debug", false},
                 {"NFd", 0},
                 {"NGoroutines", 0},
                 {"SystemTime", now_rfc3339()},
                 {"LoggingDriver", "json-file"},
                 {"CgroupDriver", "cgroupfs"},
                 {"CgroupVersion", v2 ? "2" : "1"},
                 {"NEventsListener", 0},
                 {"KernelVersion", u.release},
                 {"OperatingSystem", "Berth"},
                 {"OSVersion", ""},
                 {"OSType", "linux"},
                 {"Architecture", u.machine},
                 {"NCPU", sysconf(_SC_NPROCESSORS_ONLN)},
                 {"MemTotal", mem},
                 {"DockerRootDir", d.config().data_root},
                 {"Name", host},
                 {"Labels", json::array()},
                 {"ExperimentalBuild", false},
                 {"ServerVersion", "0.4.0"},
                 {"Runtimes", runtimes_json(d.config())},
                 {"DefaultRuntime", d.config().default_runtime},
                 {"Swarm",
                  {{"LocalNodeState", "inactive"},
                   {"NodeID", ""},
                   {"NodeAddr", ""},
                   {"ControlAvailable", false},
                   {"Error", ""},
                   {"RemoteManagers", nullptr}}},
                 {"LiveRestoreEnabled", d.config().live_restore},
                 {"Isolation", ""},
                 {"InitBinary", ""},
                 {"SecurityOptions", {"name=seccomp,profile=builtin"}},
                 {"Warnings", json::array()}});
    return ok();
  });
  r.add("GET", "/events", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    static const std::set<std::string> known = {
        "type",   "event",  "container", "image",   "label",  "daemon", "network",
        "volume", "plugin", "node",      "service", "secret", "config", "scope"};
    for (auto& [k, v] : f)
      if (!known.count(k)) return fail(ErrorKind::InvalidArgument, "invalid filter '{}'", k);
    int64_t now = now_ns();
    std::optional<int64_t> since, until;
    if (auto s = req.q("since"); s && !s->empty()) {
      since = parse_timestamp_ns(*s, now);
      if (!since) return fail(ErrorKind::InvalidArgument, "invalid value for since: {:?}", *s);
    }
    if (auto s = req.q("until"); s && !s->empty()) {
      until = parse_timestamp_ns(*s, now);
      if (!until) return fail(ErrorKind::InvalidArgument, "invalid value for until: {:?}", *s);
    }
    uint64_t cursor = since ? d.events().first_seq() : ~uint64_t{0};
    if (!since) {
      d.events().next(&cursor, 0);  // start at "now"
    }
    c.begin(200, "application/json");
    for (;;) {
      for (auto& ev : d.events().next(&cursor, 500)) {
        int64_t t = ev.value("timeNano", int64_t{0});
        if (since && t < *since) continue;
        if (until && t > *until) break;
        if (!event_matches(ev, f)) continue;
        if (!c.chunk(ev.dump() + "\n")) return ok();
      }
      if (until && now_ns() > *until) break;
      if (c.client_gone()) return ok();
    }
    c.finish();
    return ok();
  });
}

}  // namespace berth::api

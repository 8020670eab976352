// Reading a container: top, stats, changes (docker diff), export; and prune.
#include <chrono>
#include <set>
#include <thread>

#include "api/filters.h"
#include "api/routes.h"
#include "api/streams.h"
#include "base/time.h"
#include "daemon/proc_stats.h"

namespace berth::api {

using nlohmann::json;

namespace {

int running_pid(daemon::Container& c) {
  std::lock_guard<std::mutex> l(c.mu);
  return c.state.running ? c.state.pid : 0;
}

// precpu_stats is the previous sample's cpu_stats, as the CLI computes CPU % from the two.
json with_previous(json sample, const json& previous, daemon::Container& c) {
  sample["precpu_stats"] = previous.is_null() ? json{{"cpu_usage", {{"total_usage", 0}}},
                                                     {"throttling_data", json::object()}}
                                              : previous["cpu_stats"];
  sample["preread"] = previous.is_null() ? "0001-01-01T00:00:00Z" : previous.value("read", "");
  std::lock_guard<std::mutex> l(c.mu);
  sample["name"] = c.name;
  sample["id"] = c.id;
  return sample;
}

}  // namespace

void add_container_read_routes(Router& r, daemon::Daemon& d) {
  r.add("GET", "/containers/{id}/top", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    std::string args = req.q("ps_args").value_or("");
    if (!args.empty() && args != "-ef" && args != "ef")
      return fail(ErrorKind::InvalidArgument, "ps_args {:?}: only -ef is supported", args);
    int pid = running_pid(*ct);
    if (!pid) return fail(ErrorKind::Conflict, "Container {} is not running", ct->id);
    BERTH_ASSIGN(json t, daemon::top(pid));
    c.json(200, t);
    return ok();
  });
  r.add("GET", "/containers/{id}/stats", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    BERTH_ASSIGN(bool stream, req.q_bool("stream", true));
    BERTH_ASSIGN(bool one_shot, req.q_bool("one-shot", false));
    auto sample = [&]() {
      int pid = running_pid(*ct);
      return pid ? daemon::stats_sample(pid) : daemon::empty_stats_sample();
    };
    if (!stream) {
      json prev;
      if (!one_shot && running_pid(*ct)) {
        prev = sample();
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
      c.json(200, with_previous(sample(), prev, *ct));
      return ok();
    }
    c.begin(200, "application/json");
    json prev;
    for (;;) {
      json s = sample();
      if (!c.chunk(with_previous(s, prev, *ct).dump() + "\n")) break;
      prev = s;
      // a second between samples; a client that went away is noticed within it
      for (int i = 0; i < 10 && !c.client_gone(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (c.client_gone()) break;
    }
    c.finish();
    return ok();
  });
  r.add("GET", "/containers/{id}/changes", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    BERTH_ASSIGN(auto changes, d.images()->container_changes(ct->id));
    json out = json::array();
    for (auto& ch : changes)
      out.push_back({{"Path", ch.path}, {"Kind", static_cast<int>(ch.kind)}});
    c.json(200, out);
    return ok();
  });
  r.add("GET", "/containers/{id}/export", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    return stream_out(c, "application/x-tar",
                      [&](int fd) { return d.images()->export_container(ct->id, fd); });
  });
  r.add("POST", "/containers/prune", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
    for (auto& [k, v] : f)
      if (k != "until" && k != "label" && k != "label!")
        return fail(ErrorKind::InvalidArgument, "invalid filter '{}'", k);
    std::optional<int64_t> until;
    if (f.count("until") && !f["until"].empty()) {
      until = parse_timestamp_ns(f["until"][0], now_ns());
      if (!until) return fail(ErrorKind::InvalidArgument, "invalid until: {}", f["until"][0]);
    }
    json deleted = json::array();
    for (auto& ct : d.list()) {
      {
        std::lock_guard<std::mutex> l(ct->mu);
        if (ct->state.running || ct->state.paused || ct->state.restarting) continue;
        if (until && parse_rfc3339_ns(ct->created).value_or(0) >= *until) continue;
        json labels = ct->config.value("Labels", json::object());
        bool keep = false;
        for (auto& want : f["label"]) keep |= !label_matches(labels, want);
        for (auto& unwanted : f["label!"]) keep |= label_matches(labels, unwanted);
        if (keep) continue;
      }
      if (d.remove(ct->id, false)) deleted.push_back(ct->id);
    }
    c.json(200, {{"ContainersDeleted", deleted}, {"SpaceReclaimed", 0}});
    return ok();
  });
}

}  // namespace berth::api

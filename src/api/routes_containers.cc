// /containers/...: create, list, inspect, lifecycle, wait, attach, logs.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "api/filters.h"
#include "api/routes.h"
#include "api/stream_proxy.h"
#include "base/io.h"
#include "base/strings.h"
#include "base/time.h"
#include "daemon/mount_points.h"
#include "logs/log_file.h"
#include "network/ports.h"

namespace berth::api {

using nlohmann::json;

Result<json> parse_body(Conn& c) {
  BERTH_ASSIGN(std::string body, c.body());
  if (body.empty()) return json::object();
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded())
    return fail(ErrorKind::InvalidArgument,
                "invalid JSON: unexpected end of JSON input or syntax error");
  return j;
}

json container_summary(daemon::Container& c) {
  std::lock_guard<std::mutex> l(c.mu);
  std::string cmd = c.path;
  for (auto& a : c.args) cmd += " " + a;
  std::string mode = c.host_config.value("NetworkMode", "default");
  return {{"Id", c.id},
          {"Names", {c.name}},
          {"Image", c.image_ref},
          {"ImageID", c.image_id},
          {"Command", cmd},
          {"Created", parse_rfc3339_ns(c.created).value_or(0) / 1000000000},
          {"Ports", network::ports_list(c.network_settings.value("Ports", json::object()))},
          {"Labels", c.config.value("Labels", json::object())},
          {"State", c.state.status},
          {"Status", c.status_text()},
          {"HostConfig", {{"NetworkMode", mode}}},
          {"NetworkSettings", {{"Networks", c.network_settings.value("Networks", json::object())}}},
          {"Mounts", daemon::mounts_for_inspect(c.mount_points)}};
}

void add_sizes(daemon::Daemon& d, daemon::Container& ct, json& summary) {
  std::string image_id;
  {
    std::lock_guard<std::mutex> l(ct.mu);
    image_id = ct.image_id;
  }
  auto sz = d.images()->container_size(ct.id, image_id);
  summary["SizeRw"] = sz ? sz->rw : 0;
  summary["SizeRootFs"] = sz ? sz->root_fs : 0;
}

namespace {

// ps --filter volume=: a volume's name or a mount's destination.
bool uses_volume(const json& mounts, const std::string& v) {
  for (auto& m : mounts)
    if (m.value("Name", "") == v || m.value("Destination", "") == v) return true;
  return false;
}

// ps --filter network=: a network's name, or its id or a prefix of it.
bool on_network(const json& networks, const std::string& v) {
  for (auto& [name, ep] : networks.items()) {
    if (name == v) return true;
    std::string id = ep.value("NetworkID", "");
    if (!id.empty() && id.starts_with(v)) return true;
  }
  return false;
}

// "80" -> "80/tcp", as ports are keyed.
std::string port_key(const std::string& v) {
  return v.find('/') == std::string::npos ? v + "/tcp" : v;
}

// ps --filter publish= (a host port) / expose= (a container port): "80", "80/udp".
bool publishes(const json& ports, const std::string& v, bool host_side) {
  std::string key = port_key(v);
  std::string port = key.substr(0, key.find('/')), proto = key.substr(key.find('/') + 1);
  for (auto& p : ports) {
    if (p.value("Type", "tcp") != proto) continue;
    const char* side = host_side ? "PublicPort" : "PrivatePort";
    if (p.contains(side) && std::to_string(p[side].get<int>()) == port) return true;
  }
  return false;
}

Status list_containers(daemon::Daemon& d, Request& req, Conn& c) {
  BERTH_ASSIGN(bool all, req.q_bool("all"));
  BERTH_ASSIGN(bool size, req.q_bool("size"));
  BERTH_ASSIGN(long long limit, req.q_int("limit", -1));
  BERTH_ASSIGN(auto f, parse_filters(req.q("filters").value_or("")));
  for (auto& [k, v] : f) {
    static const std::set<std::string> known = {"id",     "name",    "label",  "status", "ancestor",
                                                "exited", "before",  "since",  "volume", "network",
                                                "health", "publish", "expose", "is-task"};
    if (!known.count(k)) return fail(ErrorKind::InvalidArgument, "invalid filter '{}'", k);
  }
  if (f.count("status") || f.count("exited")) all = true;
  for (auto& v : f["health"])
    if (v != "starting" && v != "healthy" && v != "unhealthy" && v != "none")
      return fail(ErrorKind::InvalidArgument, "Unrecognised filter value for health: {}", v);
  for (auto& v : f["status"])
    if (v != "created" && v != "restarting" && v != "running" && v != "removing" && v != "paused" &&
        v != "exited" && v != "dead")
      return fail(ErrorKind::InvalidArgument, "Unrecognised filter value for status: {}", v);
  std::string before_created, since_created;
  for (auto* key : {"before", "since"}) {
    if (!f.count(key) || f[key].empty()) continue;
    BERTH_ASSIGN(auto ref, d.get(f[key][0]));
    std::lock_guard<std::mutex> l(ref->mu);
    (std::string(key) == "before" ? before_created : since_created) = ref->created;
  }
  std::set<std::string> ancestor_ids;  // resolved once, not per container
  for (auto& v : f["ancestor"])
    if (auto img = d.images()->get(v)) ancestor_ids.insert(img->record.id);
  json out = json::array();
  for (auto& ct : d.list()) {
    // one consistent look at the container
    json s = container_summary(*ct);
    bool running, started;
    int exit_code;
    std::string created, image_id, health;
    json exposed;
    {
      std::lock_guard<std::mutex> l(ct->mu);
      running = ct->state.running;
      started = ct->has_been_started;
      exit_code = ct->state.exit_code;
      created = ct->created;
      image_id = ct->image_id;
      health = ct->state.health.status;
      exposed = ct->config.value("ExposedPorts", json::object());
    }
    if (!all && !running) continue;
    std::string name = s["Names"][0];
    bool keep = true;
    for (auto& [k, vals] : f) {
      if (vals.empty()) continue;
      bool any = false;
      for (auto& v : vals) {
        if (k == "id")
          any |= ct->id.starts_with(v);
        else if (k == "name")
          any |= name.find(v) != std::string::npos;
        else if (k == "label")
          any |= label_matches(s["Labels"], v);
        else if (k == "status")
          any |= s["State"] == v;
        else if (k == "exited")
          any |= !running && started && std::to_string(exit_code) == v;
        else if (k == "ancestor")
          any |= s["Image"] == v || ancestor_ids.count(image_id);
        else if (k == "before")
          any |= created < before_created;
        else if (k == "since")
          any |= created > since_created;
        else if (k == "volume")
          any |= uses_volume(s["Mounts"], v);
        else if (k == "network")
          any |= on_network(s["NetworkSettings"]["Networks"], v);
        else if (k == "health")
          any |= (health.empty() ? "none" : health) == v;
        else if (k == "publish")
          any |= publishes(s["Ports"], v, true);
        else if (k == "expose")
          any |= publishes(s["Ports"], v, false) || exposed.contains(port_key(v));
        else if (k == "is-task")
          any |= v == "false";  // no swarm tasks here
      }
      if (!any) keep = false;
    }
    if (!keep) continue;
    if (size) add_sizes(d, *ct, s);
    out.push_back(s);
    if (limit > 0 && static_cast<long long>(out.size()) >= limit) break;
  }
  c.json(200, out);
  return ok();
}

// Writes the json-file log of a container as the logs endpoint streams it.
Status stream_logs(daemon::Daemon& d, Request& req, Conn& c) {
  BERTH_ASSIGN(auto ct, d.get(req.params[0]));
  BERTH_ASSIGN(bool follow, req.q_bool("follow"));
  BERTH_ASSIGN(bool want_out, req.q_bool("stdout"));
  BERTH_ASSIGN(bool want_err, req.q_bool("stderr"));
  BERTH_ASSIGN(bool ts, req.q_bool("timestamps"));
  if (!want_out && !want_err)
    return fail(ErrorKind::InvalidArgument, "Bad parameters: you must choose at least one stream");
  std::string driver =
      ct->host_config.value("LogConfig", json::object()).value("Type", "json-file");
  if (driver == "none")
    return fail(ErrorKind::InvalidArgument, "configured logging driver does not support reading");
  int64_t now = now_ns();
  int64_t since = 0, until = 0;
  if (auto s = req.q("since"); s && !s->empty() && *s != "0") {
    auto v = parse_timestamp_ns(*s, now);
    if (!v) return fail(ErrorKind::InvalidArgument, "invalid value for since: {:?}", *s);
    since = *v;
  }
  if (auto s = req.q("until"); s && !s->empty() && *s != "0") {
    auto v = parse_timestamp_ns(*s, now);
    if (!v) return fail(ErrorKind::InvalidArgument, "invalid value for until: {:?}", *s);
    until = *v;
  }
  long long tail = -1;
  if (auto t = req.q("tail"); t && !t->empty() && *t != "all") {
    auto n = parse_int(*t);
    if (!n) return fail(ErrorKind::InvalidArgument, "invalid value for tail: {:?}", *t);
    tail = *n;
  }
  bool tty = ct->tty();
  auto emit = [&](const logs::Entry& e) {
    if ((e.stream == 1 && !want_out) || (e.stream == 2 && !want_err)) return true;
    if (since && e.time_ns < since) return true;
    if (until && e.time_ns > until) return true;
    std::string line = ts ? rfc3339_from_ns(e.time_ns) + " " + e.line : e.line;
    if (tty) return c.chunk(line);
    std::string f(8, '\0');
    f[0] = static_cast<char>(e.stream);
    uint32_t n = static_cast<uint32_t>(line.size());
    f[4] = static_cast<char>(n >> 24);
    f[5] = static_cast<char>(n >> 16);
    f[6] = static_cast<char>(n >> 8);
    f[7] = static_cast<char>(n);
    return c.chunk(f + line);
  };
  std::string ctype =
      tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";
  c.begin(200, ctype);
  // what is on disk now
  std::vector<logs::Entry> entries;
  for (auto& file : logs::files_oldest_first(ct->log_path, 10)) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      logs::Entry e;
      if (logs::parse_line(line, e)) entries.push_back(std::move(e));
    }
  }
  size_t start = 0;
  if (tail >= 0 && static_cast<size_t>(tail) < entries.size())
    start = entries.size() - static_cast<size_t>(tail);
  for (size_t i = start; i < entries.size(); ++i)
    if (!emit(entries[i])) return ok();
  if (follow) {
    // new lines as the shim appends them; rotation starts a new file (new inode)
    std::ifstream in(ct->log_path);
    in.seekg(0, std::ios::end);
    struct stat st0;
    ino_t ino = ::stat(ct->log_path.c_str(), &st0) == 0 ? st0.st_ino : 0;
    std::string partial;
    bool last_pass = false;
    for (;;) {
      std::string line;
      bool got = false;
      while (std::getline(in, line)) {
        if (in.eof()) {  // no newline yet: keep for the next round
          partial += line;
          break;
        }
        got = true;
        logs::Entry e;
        if (logs::parse_line(partial + line, e) && !emit(e)) return ok();
        partial.clear();
      }
      in.clear();
      if (!got) {
        bool running;
        {
          std::lock_guard<std::mutex> l(ct->mu);
          running = (ct->state.running || ct->state.restarting) && !ct->removed;
        }
        if (last_pass || c.client_gone() || (until && now_ns() > until)) break;
        // the shim writes the last lines before it reports the exit: read once more
        if (!running) last_pass = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        struct stat st;
        if (::stat(ct->log_path.c_str(), &st) == 0 && st.st_ino != ino) {
          ino = st.st_ino;
          in.close();
          in.open(ct->log_path);
        }
      }
    }
  }
  c.finish();
  return ok();
}

}  // namespace

void add_container_routes(Router& r, daemon::Daemon& d) {
  r.add("POST", "/containers/create", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    BERTH_ASSIGN(auto res, d.create(req.q("name").value_or(""), body));
    c.json(201, {{"Id", res.id}, {"Warnings", res.warnings}});
    return ok();
  });
  r.add("GET", "/containers/json",
        [&d](Request& req, Conn& c) { return list_containers(d, req, c); });
  r.add("GET", "/containers/{id}/json", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    json j;
    {
      std::lock_guard<std::mutex> l(ct->mu);
      j = d.inspect(*ct);
    }
    c.json(200, j);
    return ok();
  });
  r.add("POST", "/containers/{id}/start", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(bool started, d.start(req.params[0]));
    c.reply(started ? 204 : 304, "", "");
    return ok();
  });
  auto timeout_of = [](Request& req) -> Result<std::optional<int>> {
    auto t = req.q("t");
    if (!t) t = req.q("timeout");
    if (!t || t->empty()) return std::optional<int>();
    auto n = parse_int(*t);
    if (!n) return fail(ErrorKind::InvalidArgument, "invalid value for t: {:?}", *t);
    return std::optional<int>(static_cast<int>(*n));
  };
  r.add("POST", "/containers/{id}/stop", [&d, timeout_of](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto t, timeout_of(req));
    BERTH_ASSIGN(bool stopped, d.stop(req.params[0], t));
    c.reply(stopped ? 204 : 304, "", "");
    return ok();
  });
  r.add("POST", "/containers/{id}/restart", [&d, timeout_of](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto t, timeout_of(req));
    BERTH_TRY(d.restart(req.params[0], t));
    c.no_content();
    return ok();
  });
  r.add("POST", "/containers/{id}/kill", [&d](Request& req, Conn& c) -> Status {
    BERTH_TRY(d.kill(req.params[0], req.q("signal").value_or("")));
    c.no_content();
    return ok();
  });
  r.add("POST", "/containers/{id}/pause", [&d](Request& req, Conn& c) -> Status {
    BERTH_TRY(d.pause(req.params[0], true));
    c.no_content();
    return ok();
  });
  r.add("POST", "/containers/{id}/unpause", [&d](Request& req, Conn& c) -> Status {
    BERTH_TRY(d.pause(req.params[0], false));
    c.no_content();
    return ok();
  });
  r.add("POST", "/containers/{id}/rename", [&d](Request& req, Conn& c) -> Status {
    BERTH_TRY(d.rename(req.params[0], req.q("name").value_or("")));
    c.no_content();
    return ok();
  });
  r.add("POST", "/containers/{id}/update", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    BERTH_ASSIGN(json res, d.update(req.params[0], body));
    c.json(200, res);
    return ok();
  });
  r.add("DELETE", "/containers/{id}", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(bool force, req.q_bool("force"));
    BERTH_ASSIGN(bool volumes, req.q_bool("v"));
    BERTH_TRY(d.remove(req.params[0], force, volumes));
    c.no_content();
    return ok();
  });
  r.add("POST", "/containers/{id}/wait", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    std::string cond = req.q("condition").value_or("");
    if (!cond.empty() && cond != "not-running" && cond != "next-exit" && cond != "removed")
      return fail(ErrorKind::InvalidArgument, "invalid condition: {:?}", cond);
    // headers go out now: the CLI waits for them before it starts the container
    c.begin(200, "application/json");
    auto st = d.wait(ct->id, cond, [&c] { return c.client_gone(); });
    if (!st) {
      c.chunk(json{{"Error", {{"Message", st.error().message()}}}, {"StatusCode", -1}}.dump() +
              "\n");
    } else {
      json e = st->error.empty() ? json(nullptr) : json{{"Message", st->error}};
      c.chunk(json{{"Error", e}, {"StatusCode", st->exit_code}}.dump() + "\n");
    }
    c.finish();
    return ok();
  });
  r.add("POST", "/containers/{id}/attach", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    BERTH_ASSIGN(bool in, req.q_bool("stdin"));
    BERTH_ASSIGN(bool out, req.q_bool("stdout"));
    BERTH_ASSIGN(bool err, req.q_bool("stderr"));
    BERTH_ASSIGN(bool stream, req.q_bool("stream"));
    (void)stream;
    bool tty = ct->tty();
    auto client = c.hijack(tty ? "application/vnd.docker.raw-stream"
                               : "application/vnd.docker.multiplexed-stream");
    int cfd = client->fd();
    shim::FrameReader frames;
    auto shim_fd = d.attach(
        ct, in, out, err,
        [cfd] {
          struct pollfd p {
            cfd, POLLRDHUP, 0
          };
          return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
        },
        frames);
    if (!shim_fd) return ok();  // the stream is ours now; closing it tells the client
    proxy_stream(*client, shim_fd->get(),
                 {.tty = tty,
                  .client_stdin = in,
                  .detach_keys = req.q("detachKeys").value_or(""),
                  .frames = &frames});
    return ok();
  });
  r.add("POST", "/containers/{id}/resize", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto ct, d.get(req.params[0]));
    BERTH_ASSIGN(long long h, req.q_int("h", 0));
    BERTH_ASSIGN(long long w, req.q_int("w", 0));
    {
      std::lock_guard<std::mutex> l(ct->mu);
      if (!ct->state.running)
        return fail(ErrorKind::Conflict, "Container {} is not running", ct->id);
    }
    auto fd = shim::connect(d.shim_dir(ct->id), {{"op", "resize"}, {"h", h}, {"w", w}});
    if (fd) {
      char b[8];
      [[maybe_unused]] auto n = ::read(fd->get(), b, sizeof b);
    }
    c.reply(200, "text/plain", "");
    return ok();
  });
  r.add("GET", "/containers/{id}/logs",
        [&d](Request& req, Conn& c) { return stream_logs(d, req, c); });
}

}  // namespace berth::api

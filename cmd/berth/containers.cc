// Container commands: run, create, start, stop, restart, kill, rm, ps, logs, exec, wait,
// inspect, port.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <future>
#include <thread>

#include "base/io.h"
#include "base/strings.h"
#include "base/time.h"
#include "commands.h"
#include "format.h"
#include "io.h"
#include "run_options.h"
#include "shim/protocol.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {

Result<std::string> create(Engine& e, const RunOptions& o) {
  BERTH_ASSIGN(json cfg, container_config(o));
  std::string target = Engine::api("/containers/create");
  if (!o.name.empty()) target += "?name=" + o.name;
  BERTH_ASSIGN(auto r, e.call("POST", target, cfg));
  if (r.status != 201) return std::unexpected(client::daemon_error(r));
  return r.json().value("Id", "");
}

void resize(Engine& e, const std::string& what) {
  int rows, cols;
  if (terminal_size(rows, cols))
    e.call("POST",
           Engine::api(what + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(cols)));
}

// The docker CLI's exit code for a start that failed: 127 for a missing command, 126 for
// one that cannot run, else 125.
int start_failed(const Error& err) {
  const std::string& m = err.message();
  int code = 125;
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos)
    code = 127;
  else if (m.find("permission denied") != std::string::npos ||
           m.find("is a directory") != std::string::npos)
    code = 126;
  return report(err, code);
}

// Attaches (stdin too when `interactive`), registers the wait, starts and streams until the
// output ends, as the docker CLI does for `run` and `start -a`: nothing is missed. Returns
// the container's exit code (the start's error code when it did not start).
int attach_start_wait(Engine& e, const std::string& id, bool tty, bool interactive, bool removed) {
  // attach and wait before start, as the docker CLI does: nothing is missed. The two requests
  // go at once (one round trip, not two); the start waits for both.
  int status = 125;
  std::string cond = removed ? "removed" : "next-exit";
  std::promise<void> waiting;
  std::thread waiter([&] {
    bool told = false;
    auto r = e.stream(
        "POST", Engine::api("/containers/" + id + "/wait?condition=" + cond),
        [&](std::string_view d) {
          auto j = json::parse(d, nullptr, false);
          if (j.is_object()) status = j.value("StatusCode", 125);
          return true;
        },
        std::nullopt,
        [&](int) {
          told = true;
          waiting.set_value();
        });
    if (!told) waiting.set_value();
    if (!r) report(r.error());
  });
  auto h = e.hijack(Engine::api("/containers/" + id + "/attach?stream=1&stdout=1&stderr=1" +
                                (interactive ? "&stdin=1" : "")),
                    std::nullopt);
  waiting.get_future().wait();  // the wait is registered: the exit cannot be missed
  if (!h) {
    // Nothing is started, so the wait would never end, and it cannot be called off: the
    // command ends here, as it would once this returned.
    report(h.error(), 125);
    std::fflush(nullptr);
    _exit(125);
  }
  // framed unless there is a tty (older dockerd labels every attach a raw stream)
  h->multiplexed = !tty;
  auto r = e.call("POST", Engine::api("/containers/" + id + "/start"));
  if (!r || r->status >= 400) {
    int code = start_failed(r ? client::daemon_error(*r) : r.error());
    ::shutdown(h->fd.get(), SHUT_RDWR);
    waiter.join();
    return code;
  }
  {
    RawTerminal raw(tty && interactive);
    if (tty) resize(e, "/containers/" + id);
    pump(*h, interactive);
  }
  waiter.join();
  return status;
}

int run(Engine& e, const RunOptions& o) {
  auto id = create(e, o);
  if (!id) return report(id.error(), 125);
  if (o.detach) {
    auto r = e.call("POST", Engine::api("/containers/" + *id + "/start"));
    if (!r || r->status >= 400) return start_failed(r ? client::daemon_error(*r) : r.error());
    std::printf("%s\n", id->c_str());
    return 0;
  }
  return attach_start_wait(e, *id, o.tty, o.interactive, o.rm);
}

std::string short_id(const std::string& id) {
  std::string s = id.starts_with("sha256:") ? id.substr(7) : id;
  return s.substr(0, 12);
}

std::string ports_text(const json& ports) {
  std::string out;
  for (auto& p : ports) {
    if (!out.empty()) out += ", ";
    std::string ip = p.value("IP", "0.0.0.0");
    if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
    if (p.contains("PublicPort"))
      out += fmt::format("{}:{}->{}/{}", ip, p.value("PublicPort", 0), p.value("PrivatePort", 0),
                         p.value("Type", "tcp"));
    else
      out += fmt::format("{}/{}", p.value("PrivatePort", 0), p.value("Type", "tcp"));
  }
  return out;
}

struct PsOptions {
  bool all = false, quiet = false, size = false, latest = false, no_trunc = false;
  int last = -1;
  std::string format;
  std::vector<std::string> filters;
};

int list_containers(Engine& e, const PsOptions& o) {
  std::string q =
      std::string("/containers/json?all=") + (o.all || o.latest || o.last > 0 ? "1" : "0");
  if (o.latest || o.last > 0) q += "&limit=" + std::to_string(o.latest ? 1 : o.last);
  if (o.size) q += "&size=1";
  if (!o.filters.empty()) {
    json f = json::object();
    for (auto& x : o.filters) {
      auto eq = x.find('=');
      if (eq == std::string::npos)
        return report(Error(ErrorKind::InvalidArgument,
                            fmt::format("invalid argument \"{}\" for \"-f, --filter\" flag: bad "
                                        "format of filter (expected name=value)",
                                        x)));
      f[x.substr(0, eq)][x.substr(eq + 1)] = true;
    }
    q += "&filters=" + Engine::query_escape(f.dump());
  }
  auto r = e.call("GET", Engine::api(q));
  if (!r || r->status >= 400) return report(r ? client::daemon_error(*r) : r.error());
  int64_t now = ::time(nullptr);
  json rows = json::array();
  for (auto& c : r->json()) {
    std::string cmd = c.value("Command", "");
    if (!o.no_trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
    std::string names;
    for (auto& n : c.value("Names", json::array()))
      names += (names.empty() ? "" : ",") + n.get<std::string>().substr(1);
    std::string labels;
    if (c.contains("Labels") && c["Labels"].is_object())
      for (auto& [k, v] : c["Labels"].items())
        labels += (labels.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    std::string networks;
    json nets = c.value("NetworkSettings", json::object()).value("Networks", json::object());
    if (nets.is_object())
      for (auto& [k, v] : nets.items()) networks += (networks.empty() ? "" : ",") + k;
    std::string id = c.value("Id", "");
    int64_t created = c.value("Created", int64_t{0});
    rows.push_back(
        {{"ID", o.no_trunc ? id : short_id(id)},
         {"Image", c.value("Image", "")},
         {"Command", "\"" + cmd + "\""},
         {"CreatedAt", go_time(created)},
         {"RunningFor", human_duration(now - created) + " ago"},
         {"Ports", ports_text(c.value("Ports", json::array()))},
         {"State", c.value("State", "")},
         {"Status", c.value("Status", "")},
         {"Size", human_size(static_cast<double>(c.value("SizeRw", int64_t{0}))) + " (virtual " +
                      human_size(static_cast<double>(c.value("SizeRootFs", int64_t{0}))) + ")"},
         {"Names", names},
         {"Labels", labels},
         {"Networks", networks}});
  }
  std::string fmt = o.format;
  if (o.quiet) fmt = "{{.ID}}";
  if (fmt.empty() || fmt == "table")
    fmt = std::string(
              "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t"
              "{{.Ports}}\t{{.Names}}") +
          (o.size ? "\t{{.Size}}" : "");
  return print_formatted(rows, fmt,
                         {{"ID", "CONTAINER ID"},
                          {"Image", "IMAGE"},
                          {"Command", "COMMAND"},
                          {"CreatedAt", "CREATED AT"},
                          {"RunningFor", "CREATED"},
                          {"Ports", "PORTS"},
                          {"State", "STATE"},
                          {"Status", "STATUS"},
                          {"Size", "SIZE"},
                          {"Names", "NAMES"},
                          {"Labels", "LABELS"},
                          {"Networks", "NETWORKS"}});
}

int simple(Engine& e, const std::vector<std::string>& ids, const std::string& method,
           const std::string& suffix, bool print = true) {
  int rc = 0;
  for (auto& id : ids) {
    auto r = e.call(method, Engine::api("/containers/" + id + suffix));
    if (!r || r->status >= 400) {
      rc = report(r ? client::daemon_error(*r) : r.error());
      continue;
    }
    if (print) std::printf("%s\n", id.c_str());
  }
  return rc;
}

}  // namespace

void add_container_commands(CLI::App& app, EngineRef engine) {
  auto ro = std::make_shared<RunOptions>();
  auto* run_cmd = app.add_subcommand("run", "Create and run a new container from an image");
  add_run_flags(run_cmd, *ro);
  run_cmd->callback([=] {
    ro->args = run_cmd->remaining();
    if (ro->args.empty()) {
      exit_code = report(
          Error(ErrorKind::InvalidArgument, "\"berth run\" requires at least 1 argument."), 125);
      return;
    }
    exit_code = run(engine(), *ro);
  });

  auto co = std::make_shared<RunOptions>();
  auto* create_cmd = app.add_subcommand("create", "Create a new container");
  add_run_flags(create_cmd, *co);
  create_cmd->callback([=] {
    co->args = create_cmd->remaining();
    if (co->args.empty()) {
      exit_code = report(
          Error(ErrorKind::InvalidArgument, "\"berth create\" requires at least 1 argument."), 125);
      return;
    }
    auto id = create(engine(), *co);
    exit_code = id ? (std::printf("%s\n", id->c_str()), 0) : report(id.error(), 125);
  });

  auto ids = std::make_shared<std::vector<std::string>>();
  auto t = std::make_shared<int>(-1);
  auto* start = app.add_subcommand("start", "Start one or more stopped containers");
  start->add_option("containers", *ids)->required();
  auto attach = std::make_shared<bool>(false), interactive = std::make_shared<bool>(false);
  start->add_flag("-a,--attach", *attach, "attach STDOUT/STDERR");
  start->add_flag("-i,--interactive", *interactive, "attach the container's STDIN");
  start->callback([=] {
    if (!*attach && !*interactive) {
      exit_code = simple(engine(), *ids, "POST", "/start");
      return;
    }
    if (ids->size() > 1) {
      exit_code = report(Error(ErrorKind::InvalidArgument,
                               "you cannot start and attach multiple containers at once"));
      return;
    }
    auto r = engine().call("GET", Engine::api("/containers/" + ids->front() + "/json"));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    json c = r->json();
    json cfg = c.value("Config", json::object());
    exit_code = attach_start_wait(engine(), c.value("Id", ids->front()), cfg.value("Tty", false),
                                  *interactive && cfg.value("OpenStdin", false),
                                  c.value("HostConfig", json::object()).value("AutoRemove", false));
  });
  for (auto [name, what] : {std::pair{"stop", "Stop one or more running containers"},
                            std::pair{"restart", "Restart one or more containers"}}) {
    auto* c = app.add_subcommand(name, what);
    c->add_option("containers", *ids)->required();
    c->add_option("-t,--time", *t, "seconds to wait before killing");
    std::string verb = name;
    c->callback([=] {
      exit_code =
          simple(engine(), *ids, "POST", "/" + verb + (*t >= 0 ? "?t=" + std::to_string(*t) : ""));
    });
  }
  auto sig = std::make_shared<std::string>();
  auto* kill = app.add_subcommand("kill", "Kill one or more running containers");
  kill->add_option("containers", *ids)->required();
  kill->add_option("-s,--signal", *sig, "signal to send");
  kill->callback([=] {
    exit_code = simple(engine(), *ids, "POST", "/kill" + (sig->empty() ? "" : "?signal=" + *sig));
  });
  auto force = std::make_shared<bool>(false), vols = std::make_shared<bool>(false);
  auto* rm = app.add_subcommand("rm", "Remove one or more containers");
  rm->add_option("containers", *ids)->required();
  rm->add_flag("-f,--force", *force, "force the removal of a running container");
  rm->add_flag("-v,--volumes", *vols, "remove anonymous volumes");
  rm->callback([=] {
    exit_code = simple(engine(), *ids, "DELETE",
                       std::string("?force=") + (*force ? "1" : "0") + "&v=" + (*vols ? "1" : "0"));
  });
  auto* wait =
      app.add_subcommand("wait", "Block until containers stop, then print their exit codes");
  wait->add_option("containers", *ids)->required();
  wait->callback([=] {
    exit_code = 0;
    for (auto& id : *ids) {
      auto r = engine().call("POST", Engine::api("/containers/" + id + "/wait"));
      if (!r || r->status >= 400) {
        exit_code = report(r ? client::daemon_error(*r) : r.error());
        continue;
      }
      std::printf("%d\n", r->json().value("StatusCode", -1));
    }
  });

  auto ps = std::make_shared<PsOptions>();
  auto* ps_cmd = app.add_subcommand("ps", "List containers");
  ps_cmd->add_flag("-a,--all", ps->all, "show all containers");
  ps_cmd->add_flag("-q,--quiet", ps->quiet, "only display container IDs");
  ps_cmd->add_flag("-s,--size", ps->size, "display total file sizes");
  ps_cmd->add_flag("-l,--latest", ps->latest, "show the latest created container");
  ps_cmd->add_flag("--no-trunc", ps->no_trunc, "do not truncate output");
  ps_cmd->add_option("-n,--last", ps->last, "show n last created containers");
  ps_cmd->add_option("--format", ps->format, "Go template, table or json");
  ps_cmd->add_option("-f,--filter", ps->filters, "filter (key=value)")->allow_extra_args(false);
  ps_cmd->callback([=] { exit_code = list_containers(engine(), *ps); });

  auto follow = std::make_shared<bool>(false), stamps = std::make_shared<bool>(false);
  auto tail = std::make_shared<std::string>("all");
  auto one = std::make_shared<std::string>();
  auto* logs = app.add_subcommand("logs", "Fetch the logs of a container");
  logs->add_option("container", *one)->required();
  logs->add_flag("-f,--follow", *follow, "follow log output");
  logs->add_flag("-t,--timestamps", *stamps, "show timestamps");
  logs->add_option("-n,--tail", *tail, "lines from the end");
  auto since = std::make_shared<std::string>(), until = std::make_shared<std::string>();
  logs->add_option("--since", *since, "logs since a timestamp or relative time (42m)");
  logs->add_option("--until", *until, "logs before a timestamp or relative time");
  logs->callback([=] {
    Engine& e = engine();
    auto info = e.call("GET", Engine::api("/containers/" + *one + "/json"));
    if (!info || info->status >= 400) {
      exit_code = report(info ? client::daemon_error(*info) : info.error());
      return;
    }
    bool tty = info->json().value("Config", json::object()).value("Tty", false);
    shim::FrameReader fr;
    auto r = e.stream("GET",
                      Engine::api("/containers/" + *one + "/logs?stdout=1&stderr=1&tail=" + *tail +
                                  (*follow ? "&follow=1" : "") + (*stamps ? "&timestamps=1" : "") +
                                  (since->empty() ? "" : "&since=" + Engine::query_escape(*since)) +
                                  (until->empty() ? "" : "&until=" + Engine::query_escape(*until))),
                      [&](std::string_view d) {
                        if (tty) return write_all(STDOUT_FILENO, d);
                        fr.feed(d.data(), d.size());
                        uint8_t s;
                        std::string p;
                        while (fr.next(s, p)) write_all(s == 2 ? STDERR_FILENO : STDOUT_FILENO, p);
                        return true;
                      });
    exit_code = r ? 0 : report(r.error());
  });

  auto xo = std::make_shared<RunOptions>();
  auto* exec = app.add_subcommand("exec", "Execute a command in a running container");
  exec->add_flag("-d,--detach", xo->detach, "detached mode");
  exec->add_flag("-i,--interactive", xo->interactive, "keep STDIN open");
  exec->add_flag("-t,--tty", xo->tty, "allocate a pseudo-TTY");
  exec->add_option("-e,--env", xo->env, "environment variable")->allow_extra_args(false);
  exec->add_option("-w,--workdir", xo->workdir, "working directory");
  exec->add_option("-u,--user", xo->user, "user[:group]");
  exec->prefix_command();  // CONTAINER COMMAND [ARG...]
  exec->callback([=] {
    xo->args = exec->remaining();
    Engine& e = engine();
    if (xo->args.size() < 2) {
      exit_code = report(Error(ErrorKind::InvalidArgument, "exec needs a container and a command"));
      return;
    }
    json body = {{"AttachStdin", xo->interactive && !xo->detach},
                 {"AttachStdout", !xo->detach},
                 {"AttachStderr", !xo->detach},
                 {"Tty", xo->tty},
                 {"Cmd", std::vector<std::string>(xo->args.begin() + 1, xo->args.end())}};
    if (!xo->env.empty()) body["Env"] = xo->env;
    if (!xo->workdir.empty()) body["WorkingDir"] = xo->workdir;
    if (!xo->user.empty()) body["User"] = xo->user;
    int rows, cols;
    if (xo->tty && terminal_size(rows, cols)) body["ConsoleSize"] = {rows, cols};
    auto r = e.call("POST", Engine::api("/containers/" + xo->args[0] + "/exec"), body);
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    std::string id = r->json().value("Id", "");
    if (xo->detach) {
      auto s = e.call("POST", Engine::api("/exec/" + id + "/start"), json{{"Detach", true}});
      exit_code = s && s->status < 400 ? 0 : report(s ? client::daemon_error(*s) : s.error());
      return;
    }
    auto h =
        e.hijack(Engine::api("/exec/" + id + "/start"), json{{"Detach", false}, {"Tty", xo->tty}});
    if (!h) {
      exit_code = report(h.error(), 126);
      return;
    }
    h->multiplexed = !xo->tty;
    {
      RawTerminal raw(xo->tty && xo->interactive);
      pump(*h, xo->interactive);
    }
    auto i = e.call("GET", Engine::api("/exec/" + id + "/json"));
    exit_code = i && i->status < 400 && i->json().value("ExitCode", json()).is_number()
                    ? i->json()["ExitCode"].get<int>()
                    : 126;
  });

  auto* port = app.add_subcommand("port", "List port mappings of a container");
  port->add_option("container", *one)->required();
  auto private_port = std::make_shared<std::string>();
  port->add_option("private_port", *private_port, "PRIVATE_PORT[/PROTO]");
  port->callback([=] {
    auto r = engine().call("GET", Engine::api("/containers/" + *one + "/json"));
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    json ports = r->json().value("NetworkSettings", json::object()).value("Ports", json::object());
    std::string want = *private_port;
    if (!want.empty() && want.find('/') == std::string::npos) want += "/tcp";
    bool found = false;
    if (ports.is_object())
      for (auto& [k, v] : ports.items()) {
        if (!v.is_array() || (!want.empty() && k != want)) continue;
        for (auto& b : v) {
          std::string ip = b.value("HostIp", "");
          if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";  // as net.JoinHostPort
          std::string host = ip + ":" + b.value("HostPort", "");
          // with a port asked for, only the host side, as the docker CLI prints it
          if (want.empty())
            std::printf("%s -> %s\n", k.c_str(), host.c_str());
          else
            std::printf("%s\n", host.c_str());
          found = true;
        }
      }
    if (!want.empty() && !found) {
      std::fprintf(stderr, "Error: No public port '%s' published for %s\n", want.c_str(),
                   one->c_str());
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

}  // namespace berth::cli

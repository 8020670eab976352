// Container commands: run, create, start, stop, restart, kill, rm, ps, logs, exec, wait,
// inspect, port.
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <future>
#include <thread>

#include "base/io.h"
#include "base/strings.h"
#include "base/time.h"
#include "commands.h"
#include "io.h"
#include "shim/protocol.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {

struct RunOptions {
  bool detach = false, interactive = false, tty = false, rm = false, init = false;
  bool privileged = false, read_only = false, publish_all = false;
  std::string name, network, workdir, user, entrypoint, restart, memory, cpus, hostname;
  std::vector<std::string> env, volumes, publish, labels, tmpfs, cap_add, cap_drop, expose;
  std::vector<std::string> args;  // IMAGE [COMMAND...]
};

void add_run_flags(CLI::App* c, RunOptions& o) {
  c->set_help_flag("--help");  // -h is --hostname, as in Docker
  c->add_flag("-d,--detach", o.detach, "run in the background and print the container ID");
  c->add_flag("-i,--interactive", o.interactive, "keep STDIN open");
  c->add_flag("-t,--tty", o.tty, "allocate a pseudo-TTY");
  c->add_flag("--rm", o.rm, "remove the container when it exits");
  c->add_flag("--init", o.init, "run an init inside the container");
  c->add_flag("--privileged", o.privileged, "give extended privileges");
  c->add_flag("--read-only", o.read_only, "mount the root filesystem read-only");
  c->add_flag("-P,--publish-all", o.publish_all, "publish all exposed ports to random ports");
  c->add_option("--name", o.name, "container name");
  c->add_option("--network,--net", o.network, "network to connect to");
  c->add_option("-w,--workdir", o.workdir, "working directory");
  c->add_option("-u,--user", o.user, "user[:group]");
  c->add_option("--entrypoint", o.entrypoint, "overwrite the image's entrypoint");
  c->add_option("--restart", o.restart, "restart policy");
  c->add_option("-m,--memory", o.memory, "memory limit");
  c->add_option("--cpus", o.cpus, "number of CPUs");
  c->add_option("-h,--hostname", o.hostname, "container host name");
  c->add_option("-e,--env", o.env, "environment variable")->allow_extra_args(false);
  c->add_option("-v,--volume", o.volumes, "bind mount or volume")->allow_extra_args(false);
  c->add_option("-p,--publish", o.publish, "publish a port")->allow_extra_args(false);
  c->add_option("-l,--label", o.labels, "label")->allow_extra_args(false);
  c->add_option("--tmpfs", o.tmpfs, "tmpfs mount")->allow_extra_args(false);
  c->add_option("--cap-add", o.cap_add, "add a capability")->allow_extra_args(false);
  c->add_option("--cap-drop", o.cap_drop, "drop a capability")->allow_extra_args(false);
  c->add_option("--expose", o.expose, "expose a port")->allow_extra_args(false);
  // IMAGE [COMMAND] [ARG...]: flags after the image belong to the command
  c->prefix_command();
}

Result<int64_t> parse_bytes(const std::string& s) {
  if (s.empty()) return int64_t{0};
  char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(s.back())));
  int64_t mult = unit == 'k' ? 1024 : unit == 'm' ? 1 << 20 : unit == 'g' ? int64_t{1} << 30 : 1;
  auto n = parse_uint(mult == 1 && unit != 'b' ? s : s.substr(0, s.size() - 1));
  if (!n) return fail(ErrorKind::InvalidArgument, "invalid size: {:?}", s);
  return static_cast<int64_t>(*n) * mult;
}

Result<json> container_config(const RunOptions& o, std::vector<std::string> args) {
  json cfg = {{"Image", args[0]},
              {"Tty", o.tty},
              {"OpenStdin", o.interactive},
              {"StdinOnce", o.interactive},
              {"AttachStdin", o.interactive && !o.detach},
              {"AttachStdout", !o.detach},
              {"AttachStderr", !o.detach}};
  if (args.size() > 1) cfg["Cmd"] = std::vector<std::string>(args.begin() + 1, args.end());
  if (!o.entrypoint.empty()) cfg["Entrypoint"] = {o.entrypoint};
  if (!o.env.empty()) cfg["Env"] = o.env;
  if (!o.workdir.empty()) cfg["WorkingDir"] = o.workdir;
  if (!o.user.empty()) cfg["User"] = o.user;
  if (!o.hostname.empty()) cfg["Hostname"] = o.hostname;
  json labels = json::object();
  for (auto& l : o.labels) {
    auto eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  cfg["Labels"] = labels;
  json hc = {{"AutoRemove", o.rm},
             {"Init", o.init},
             {"Privileged", o.privileged},
             {"ReadonlyRootfs", o.read_only},
             {"PublishAllPorts", o.publish_all}};
  hc["NetworkMode"] = o.network.empty() ? "default" : o.network;
  json binds = json::array(), vols = json::object(), exposed = json::object(),
       bindings = json::object(), tmpfs = json::object();
  for (auto& v : o.volumes) {
    if (v.find(':') == std::string::npos)
      vols[v] = json::object();
    else
      binds.push_back(v);
  }
  for (auto& e : o.expose)
    exposed[e.find('/') == std::string::npos ? e + "/tcp" : e] = json::object();
  for (auto& p : o.publish) {
    // [ip:][hostPort:]containerPort[/proto]
    std::string spec = p, proto = "tcp";
    if (auto slash = spec.find('/'); slash != std::string::npos) {
      proto = spec.substr(slash + 1);
      spec = spec.substr(0, slash);
    }
    auto parts = split(spec, ':');
    std::string ip, host, ctr = parts.back();
    if (parts.size() == 2) host = parts[0];
    if (parts.size() == 3) {
      ip = parts[0];
      host = parts[1];
    }
    if (parts.size() > 3 || ctr.empty())
      return fail(ErrorKind::InvalidArgument, "invalid publish spec: {}", p);
    std::string key = ctr + "/" + proto;
    exposed[key] = json::object();
    bindings[key].push_back({{"HostIp", ip}, {"HostPort", host}});
  }
  for (auto& t : o.tmpfs) {
    auto colon = t.find(':');
    tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }
  if (!binds.empty()) hc["Binds"] = binds;
  if (!vols.empty()) cfg["Volumes"] = vols;
  if (!exposed.empty()) cfg["ExposedPorts"] = exposed;
  if (!bindings.empty()) hc["PortBindings"] = bindings;
  if (!tmpfs.empty()) hc["Tmpfs"] = tmpfs;
  if (!o.cap_add.empty()) hc["CapAdd"] = o.cap_add;
  if (!o.cap_drop.empty()) hc["CapDrop"] = o.cap_drop;
  if (!o.restart.empty()) {
    auto colon = o.restart.find(':');
    hc["RestartPolicy"] = {{"Name", o.restart.substr(0, colon)}};
    if (colon != std::string::npos)
      hc["RestartPolicy"]["MaximumRetryCount"] = std::atoi(o.restart.c_str() + colon + 1);
  }
  BERTH_ASSIGN(int64_t mem, parse_bytes(o.memory));
  if (mem) hc["Memory"] = mem;
  if (!o.cpus.empty()) hc["NanoCpus"] = static_cast<int64_t>(std::atof(o.cpus.c_str()) * 1e9);
  int rows, cols;
  if (o.tty && terminal_size(rows, cols)) hc["ConsoleSize"] = {rows, cols};
  cfg["HostConfig"] = hc;
  return cfg;
}

Result<std::string> create(Engine& e, const RunOptions& o) {
  BERTH_ASSIGN(json cfg, container_config(o, o.args));
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

int run(Engine& e, const RunOptions& o) {
  auto id = create(e, o);
  if (!id) return report(id.error(), 125);
  if (o.detach) {
    auto r = e.call("POST", Engine::api("/containers/" + *id + "/start"));
    if (!r || r->status >= 400) return report(r ? client::daemon_error(*r) : r.error(), 125);
    std::printf("%s\n", id->c_str());
    return 0;
  }
  // attach and wait before start, as the docker CLI does: nothing is missed
  auto h = e.hijack(Engine::api("/containers/" + *id + "/attach?stream=1&stdout=1&stderr=1" +
                                (o.interactive ? "&stdin=1" : "")),
                    std::nullopt);
  if (!h) return report(h.error(), 125);
  // framed unless there is a tty (older dockerd labels every attach a raw stream)
  h->multiplexed = !o.tty;
  int status = 125;
  std::string cond = o.rm ? "removed" : "next-exit";
  std::promise<void> waiting;
  std::thread waiter([&] {
    bool told = false;
    auto r = e.stream(
        "POST", Engine::api("/containers/" + *id + "/wait?condition=" + cond),
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
  waiting.get_future().wait();  // the wait is registered: the exit cannot be missed
  auto r = e.call("POST", Engine::api("/containers/" + *id + "/start"));
  if (!r || r->status >= 400) {
    report(r ? client::daemon_error(*r) : r.error(), 125);
    ::shutdown(h->fd.get(), SHUT_RDWR);
    waiter.join();
    return status == 0 ? 125 : status;
  }
  {
    RawTerminal raw(o.tty && o.interactive);
    if (o.tty) resize(e, "/containers/" + *id);
    pump(*h, o.interactive);
  }
  waiter.join();
  return status;
}

std::string short_id(const std::string& id) {
  std::string s = id.starts_with("sha256:") ? id.substr(7) : id;
  return s.substr(0, 12);
}

std::string ports_text(const json& ports) {
  std::string out;
  for (auto& p : ports) {
    if (!out.empty()) out += ", ";
    if (p.contains("PublicPort"))
      out += fmt::format("{}:{}->{}/{}", p.value("IP", "0.0.0.0"), p.value("PublicPort", 0),
                         p.value("PrivatePort", 0), p.value("Type", "tcp"));
    else
      out += fmt::format("{}/{}", p.value("PrivatePort", 0), p.value("Type", "tcp"));
  }
  return out;
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
  start->callback([=] { exit_code = simple(engine(), *ids, "POST", "/start"); });
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

  auto all = std::make_shared<bool>(false), quiet = std::make_shared<bool>(false);
  auto* ps = app.add_subcommand("ps", "List containers");
  ps->add_flag("-a,--all", *all, "show all containers");
  ps->add_flag("-q,--quiet", *quiet, "only display container IDs");
  ps->callback([=] {
    auto r = engine().call("GET",
                           Engine::api(std::string("/containers/json?all=") + (*all ? "1" : "0")));
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    std::vector<std::vector<std::string>> rows = {
        {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}};
    int64_t now = ::time(nullptr);
    for (auto& c : r->json()) {
      if (*quiet) {
        std::printf("%s\n", short_id(c.value("Id", "")).c_str());
        continue;
      }
      std::string cmd = c.value("Command", "");
      if (cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
      std::string names;
      for (auto& n : c.value("Names", json::array()))
        names += (names.empty() ? "" : ",") + n.get<std::string>().substr(1);
      rows.push_back({short_id(c.value("Id", "")), c.value("Image", ""), "\"" + cmd + "\"",
                      human_duration(now - c.value("Created", int64_t{0})) + " ago",
                      c.value("Status", ""), ports_text(c.value("Ports", json::array())), names});
    }
    if (!*quiet) std::fputs(table(rows).c_str(), stdout);
    exit_code = 0;
  });

  auto follow = std::make_shared<bool>(false), stamps = std::make_shared<bool>(false);
  auto tail = std::make_shared<std::string>("all");
  auto one = std::make_shared<std::string>();
  auto* logs = app.add_subcommand("logs", "Fetch the logs of a container");
  logs->add_option("container", *one)->required();
  logs->add_flag("-f,--follow", *follow, "follow log output");
  logs->add_flag("-t,--timestamps", *stamps, "show timestamps");
  logs->add_option("-n,--tail", *tail, "lines from the end");
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
                                  (*follow ? "&follow=1" : "") + (*stamps ? "&timestamps=1" : "")),
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
    exit_code = i && i->status < 400 ? i->json().value("ExitCode", json(126)).is_number()
                                           ? i->json()["ExitCode"].get<int>()
                                           : 126
                                     : 126;
  });

  auto* port = app.add_subcommand("port", "List port mappings of a container");
  port->add_option("container", *one)->required();
  port->callback([=] {
    auto r = engine().call("GET", Engine::api("/containers/" + *one + "/json"));
    if (!r || r->status >= 400) {
      exit_code = report(r ? client::daemon_error(*r) : r.error());
      return;
    }
    json ports = r->json().value("NetworkSettings", json::object()).value("Ports", json::object());
    if (ports.is_object())
      for (auto& [k, v] : ports.items())
        if (v.is_array())
          for (auto& b : v) {
            std::string ip = b.value("HostIp", "");
            if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";  // as net.JoinHostPort
            std::printf("%s -> %s:%s\n", k.c_str(), ip.c_str(), b.value("HostPort", "").c_str());
          }
    exit_code = 0;
  });
}

}  // namespace berth::cli

// Container commands beyond the lifecycle: pause, unpause, rename, update, top, diff,
// export, commit, attach, stats and container prune.
#include <fcntl.h>
#include <unistd.h>

#include <cmath>

#include "base/io.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "commands.h"
#include "format.h"
#include "io.h"
#include "run_options.h"

namespace berth::cli {

using client::Engine;
using nlohmann::json;

namespace {

// GET and return the JSON answer, or report the error (exit code in `rc`).
std::optional<json> get_json(Engine& e, const std::string& path, int& rc) {
  auto r = e.call("GET", Engine::api(path));
  if (!r || r->status >= 400) {
    rc = fail_with(r);
    return std::nullopt;
  }
  return r->json();
}

std::string percent(double v) {
  return fmt::format("{:.2f}%", v);
}

// One row of `docker stats` from a stats object (cgroup v1 and v2 shapes alike).
std::vector<std::string> stats_row(const json& s, bool no_trunc) {
  const json& cpu = s.value("cpu_stats", json::object());
  const json& pre = s.value("precpu_stats", json::object());
  double cpu_delta = cpu.value("cpu_usage", json::object()).value("total_usage", 0.0) -
                     pre.value("cpu_usage", json::object()).value("total_usage", 0.0);
  double sys_delta = cpu.value("system_cpu_usage", 0.0) - pre.value("system_cpu_usage", 0.0);
  int cpus = cpu.value("online_cpus", 1);
  double cpu_pct = sys_delta > 0 && cpu_delta > 0 ? cpu_delta / sys_delta * cpus * 100.0 : 0.0;
  const json& mem = s.value("memory_stats", json::object());
  double usage = mem.value("usage", 0.0);
  const json& ms = mem.value("stats", json::object());
  // Docker subtracts the page cache: inactive_file (v2) or total_inactive_file (v1)
  if (ms.contains("inactive_file"))
    usage -= ms.value("inactive_file", 0.0);
  else if (ms.contains("total_inactive_file"))
    usage -= ms.value("total_inactive_file", 0.0);
  double limit = mem.value("limit", 0.0);
  double rx = 0, tx = 0;
  if (s.contains("networks") && s["networks"].is_object())
    for (auto& [n, v] : s["networks"].items()) {
      rx += v.value("rx_bytes", 0.0);
      tx += v.value("tx_bytes", 0.0);
    }
  double rd = 0, wr = 0;
  json io = s.value("blkio_stats", json::object()).value("io_service_bytes_recursive", json());
  if (io.is_array())
    for (auto& e : io) {
      std::string op = e.value("op", "");
      for (char& ch : op) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (op == "read") rd += e.value("value", 0.0);
      if (op == "write") wr += e.value("value", 0.0);
    }
  auto iec = [](double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
      b /= 1024;
      ++u;
    }
    return fmt::format("{:.4g}{}", b, units[u]);
  };
  std::string id = s.value("id", "");
  std::string name = s.value("name", "");
  if (name.starts_with("/")) name = name.substr(1);
  return {no_trunc ? id : id.substr(0, 12),
          name,
          percent(cpu_pct),
          iec(usage) + " / " + iec(limit),
          percent(limit > 0 ? usage / limit * 100.0 : 0.0),
          human_size(rx) + " / " + human_size(tx),
          human_size(rd) + " / " + human_size(wr),
          std::to_string(s.value("pids_stats", json::object()).value("current", 0))};
}

}  // namespace

void add_container_op_commands(CLI::App& app, EngineRef engine) {
  auto ids = std::make_shared<std::vector<std::string>>();
  for (std::string verb : {"pause", "unpause"}) {
    auto* c = app.add_subcommand(verb, verb == "pause"
                                           ? "Pause all processes within one or more containers"
                                           : "Unpause all processes within one or more containers");
    c->add_option("containers", *ids)->required();
    c->callback([=] {
      exit_code = 0;
      for (auto& id : *ids) {
        auto r = engine().call("POST", Engine::api("/containers/" + id + "/" + verb));
        if (!r || r->status >= 400)
          exit_code = fail_with(r);
        else
          std::printf("%s\n", id.c_str());
      }
    });
  }

  auto two = std::make_shared<std::vector<std::string>>();
  auto* rename = app.add_subcommand("rename", "Rename a container");
  rename->add_option("names", *two)->required()->expected(2);
  rename->callback([=] {
    auto r = engine().call("POST", Engine::api("/containers/" + (*two)[0] +
                                               "/rename?name=" + Engine::query_escape((*two)[1])));
    exit_code = !r || r->status >= 400 ? fail_with(r) : 0;
  });

  auto uo = std::make_shared<RunOptions>();
  auto* update = app.add_subcommand("update", "Update configuration of one or more containers");
  update->add_option("containers", *ids)->required();
  update->add_option("--cpus", uo->cpus, "number of CPUs");
  update->add_option("-c,--cpu-shares", uo->cpu_shares, "CPU shares");
  update->add_option("--cpu-period", uo->cpu_period, "CFS period");
  update->add_option("--cpu-quota", uo->cpu_quota, "CFS quota");
  update->add_option("--cpuset-cpus", uo->cpuset_cpus, "CPUs to run on");
  update->add_option("--cpuset-mems", uo->cpuset_mems, "memory nodes");
  update->add_option("-m,--memory", uo->memory, "memory limit");
  update->add_option("--memory-swap", uo->memory_swap, "memory plus swap (-1: unlimited)");
  update->add_option("--memory-reservation", uo->memory_reservation, "memory soft limit");
  update->add_option("--pids-limit", uo->pids_limit, "pids limit (-1: unlimited)");
  update->add_option("--blkio-weight", uo->blkio_weight, "block IO weight");
  update->add_option("--restart", uo->restart, "restart policy");
  update->callback([=] {
    uo->args = {"unused"};  // container_config wants an image
    auto cfg = container_config(*uo);
    if (!cfg) {
      exit_code = report(cfg.error());
      return;
    }
    json hc = (*cfg)["HostConfig"], body = json::object();
    for (const char* k :
         {"Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuPeriod",
          "CpuQuota", "CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight", "RestartPolicy"})
      if (hc.contains(k)) body[k] = hc[k];
    exit_code = 0;
    for (auto& id : *ids) {
      auto r = engine().call("POST", Engine::api("/containers/" + id + "/update"), body);
      if (!r || r->status >= 400)
        exit_code = fail_with(r);
      else
        std::printf("%s\n", id.c_str());
    }
  });

  auto one = std::make_shared<std::string>();
  auto ps_args = std::make_shared<std::vector<std::string>>();
  auto* top = app.add_subcommand("top", "Display the running processes of a container");
  top->add_option("container", *one)->required();
  top->add_option("ps_options", *ps_args);
  top->callback([=] {
    std::string q = "/containers/" + *one + "/top";
    std::string args;
    for (auto& a : *ps_args) args += (args.empty() ? "" : " ") + a;
    if (!args.empty()) q += "?ps_args=" + Engine::query_escape(args);
    auto j = get_json(engine(), q, exit_code);
    if (!j) return;
    std::vector<std::vector<std::string>> rows;
    rows.push_back(j->value("Titles", std::vector<std::string>{}));
    for (auto& p : j->value("Processes", json::array()))
      rows.push_back(p.get<std::vector<std::string>>());
    std::fputs(table(rows).c_str(), stdout);
    exit_code = 0;
  });

  auto* diff = app.add_subcommand("diff", "Inspect changes to files on a container's filesystem");
  diff->add_option("container", *one)->required();
  diff->callback([=] {
    auto j = get_json(engine(), "/containers/" + *one + "/changes", exit_code);
    if (!j) return;
    if (j->is_array())
      for (auto& ch : *j) {
        int kind = ch.value("Kind", 0);
        std::printf("%c %s\n",
                    kind == 1   ? 'A'
                    : kind == 2 ? 'D'
                                : 'C',
                    ch.value("Path", "").c_str());
      }
    exit_code = 0;
  });

  auto output = std::make_shared<std::string>();
  auto* exp = app.add_subcommand("export", "Export a container's filesystem as a tar archive");
  exp->add_option("container", *one)->required();
  exp->add_option("-o,--output", *output, "write to a file, instead of STDOUT");
  exp->callback(
      [=] { exit_code = stream_to(engine(), "/containers/" + *one + "/export", *output); });

  auto message = std::make_shared<std::string>(), author = std::make_shared<std::string>();
  auto changes = std::make_shared<std::vector<std::string>>();
  auto pause = std::make_shared<bool>(true);
  auto* commit = app.add_subcommand("commit", "Create a new image from a container's changes");
  commit->add_option("args", *ids)->required()->expected(1, 2);
  commit->add_option("-m,--message", *message, "commit message");
  commit->add_option("-a,--author", *author, "author");
  commit->add_option("-c,--change", *changes, "Dockerfile instruction")->allow_extra_args(false);
  commit->add_flag("-p,--pause,!--no-pause", *pause, "pause the container during the commit");
  commit->callback([=] {
    std::string q =
        "/commit?container=" + Engine::query_escape((*ids)[0]) + "&pause=" + (*pause ? "1" : "0");
    if (ids->size() > 1) {
      auto [ref, tag] = split_ref((*ids)[1], "");
      q += "&repo=" + Engine::query_escape(ref);
      if (!tag.empty()) q += "&tag=" + Engine::query_escape(tag);
    }
    if (!message->empty()) q += "&comment=" + Engine::query_escape(*message);
    if (!author->empty()) q += "&author=" + Engine::query_escape(*author);
    for (auto& c : *changes) q += "&changes=" + Engine::query_escape(c);
    auto r = engine().call("POST", Engine::api(q), json::object());
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    std::printf("%s\n", r->json().value("Id", "").c_str());
    exit_code = 0;
  });

  auto force = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  auto* prune = app.add_subcommand("container-prune", "Remove all stopped containers");
  prune->group("");  // `container prune`
  prune->add_flag("-f,--force", *force, "do not prompt for confirmation");
  prune->add_option("--filter", *filters, "filter (key=value)")->allow_extra_args(false);
  prune->callback([=] {
    auto r = engine().call(
        "POST", Engine::api("/containers/prune" +
                            (filters->empty() ? std::string() : "?" + filters_query(*filters))));
    if (!r || r->status >= 400) {
      exit_code = fail_with(r);
      return;
    }
    double n = print_pruned(r->json(), "ContainersDeleted", "Deleted Containers");
    std::printf("Total reclaimed space: %s\n", human_size(n).c_str());
    exit_code = 0;
  });

  auto no_stdin = std::make_shared<bool>(false);
  auto keys = std::make_shared<std::string>();
  auto* attach = app.add_subcommand(
      "attach", "Attach local standard input, output, and error streams to a running container");
  attach->add_option("container", *one)->required();
  attach->add_flag("--no-stdin", *no_stdin, "do not attach STDIN");
  attach->add_option("--detach-keys", *keys, "key sequence for detaching");
  attach->callback([=] {
    Engine& e = engine();
    auto info = get_json(e, "/containers/" + *one + "/json", exit_code);
    if (!info) return;
    if (!info->value("State", json::object()).value("Running", false)) {
      exit_code = report(
          Error(ErrorKind::Conflict, "You cannot attach to a stopped container, start it first"));
      return;
    }
    bool tty = info->value("Config", json::object()).value("Tty", false);
    bool in = !*no_stdin && info->value("Config", json::object()).value("OpenStdin", false);
    std::string q = "/containers/" + *one + "/attach?stream=1&stdout=1&stderr=1";
    if (in) q += "&stdin=1";
    if (!keys->empty()) q += "&detachKeys=" + Engine::query_escape(*keys);
    auto h = e.hijack(Engine::api(q), std::nullopt);
    if (!h) {
      exit_code = report(h.error());
      return;
    }
    h->multiplexed = !tty;
    {
      RawTerminal raw(tty && in);
      pump(*h, in);
    }
    // the container's exit code once it ended; 0 after a detach
    int rc = 0;
    if (auto after = get_json(e, "/containers/" + *one + "/json", rc))
      if (!after->value("State", json::object()).value("Running", false))
        rc = after->value("State", json::object()).value("ExitCode", 0);
    exit_code = rc;
  });

  auto no_stream = std::make_shared<bool>(false), no_trunc = std::make_shared<bool>(false);
  auto all = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>();
  auto* stats = app.add_subcommand("stats", "Display a live stream of resource usage statistics");
  stats->add_option("--format", *format, "Go template, table or json");
  stats->add_option("containers", *ids);
  stats->add_flag("--no-stream", *no_stream, "print the first result only");
  stats->add_flag("--no-trunc", *no_trunc, "do not truncate output");
  stats->add_flag("-a,--all", *all, "show all containers (default: running)");
  stats->callback([=] {
    Engine& e = engine();
    std::vector<std::string> which = *ids;
    if (which.empty()) {
      auto list = get_json(e, std::string("/containers/json") + (*all ? "?all=1" : ""), exit_code);
      if (!list) return;
      for (auto& c : *list) which.push_back(c.value("Id", ""));
    }
    std::string fmt = format->empty() || *format == "table"
                          ? "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
                            "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
                          : *format;
    const json header = {
        {"ID", "CONTAINER ID"}, {"Container", "CONTAINER"},        {"Name", "NAME"},
        {"CPUPerc", "CPU %"},   {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"},
        {"NetIO", "NET I/O"},   {"BlockIO", "BLOCK I/O"},          {"PIDs", "PIDS"}};
    for (;;) {
      json rows = json::array();
      for (auto& id : which) {
        auto s = get_json(e, "/containers/" + id + "/stats?stream=0", exit_code);
        if (!s) return;
        auto c = stats_row(*s, *no_trunc);
        rows.push_back({{"ID", c[0]},
                        {"Container", id},
                        {"Name", c[1]},
                        {"CPUPerc", c[2]},
                        {"MemUsage", c[3]},
                        {"MemPerc", c[4]},
                        {"NetIO", c[5]},
                        {"BlockIO", c[6]},
                        {"PIDs", c[7]}});
      }
      if (!*no_stream) std::fputs("\033[2J\033[H", stdout);  // a screen per sample
      exit_code = print_formatted(rows, fmt, header);
      std::fflush(stdout);
      if (*no_stream || exit_code) break;
      ::sleep(1);
    }
  });
}

}  // namespace berth::cli

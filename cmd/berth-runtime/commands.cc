#include "commands.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "oci/spec.h"
#include "runtime/cgroup/manager.h"
#include "runtime/container.h"
#include "runtime/features.h"
#include "runtime/names.h"
#include "runtime/sync.h"

namespace berth::runtime_cli {

using namespace berth::runtime;

namespace {

struct Globals {
  std::string root = "/run/berth-runtime";
  std::string log_path;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
};

int report(const Error& e) {
  log::error("{}", e.message());
  return 1;
}

// Prints a Go text/tabwriter-like table (minwidth 12, padding 3), as runc's list does.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size())
        line += std::string(std::max<size_t>(widths[i] + 3, 12) - r[i].size(), ' ');
    }
    std::puts(line.c_str());
  }
}

int cmd_state(const StateStore& store, const std::string& id) {
  auto st = store.load(id);
  if (!st) return report(st.error());
  auto status = store.status(*st);
  if (!status) return report(status.error());
  std::puts(state_json(*st, *status).c_str());
  return 0;
}

int cmd_list(const StateStore& store, const std::string& format, bool quiet) {
  auto ids = store.list();
  if (!ids) return report(ids.error());
  nlohmann::json arr = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& id : *ids) {
    auto st = store.load(id);
    if (!st) continue;
    auto status = store.status(*st).value_or(ContainerStatus::Stopped);
    pid_t pid = status == ContainerStatus::Stopped ? 0 : st->pid;
    if (quiet) {
      std::puts(id.c_str());
      continue;
    }
    arr.push_back(nlohmann::json::parse(state_json(*st, status)));
    rows.push_back(
        {id, std::to_string(pid), status_name(status), st->bundle, st->created, st->owner});
  }
  if (quiet) return 0;
  if (format == "json") {
    std::puts(arr.dump().c_str());
  } else {
    print_table(rows);
  }
  return 0;
}

int cmd_ps(const StateStore& store, const std::string& id, const std::string& format,
           std::vector<std::string> ps_args) {
  auto st = store.load(id);
  if (!st) return report(st.error());
  auto mgr = open_cgroup(*st);
  if (!mgr) return report(mgr.error());
  auto pids = (*mgr)->pids();
  if (!pids) return report(pids.error());
  if (format == "json") {
    std::puts(nlohmann::json(*pids).dump().c_str());
    return 0;
  }
  if (format != "table") return report(Error(ErrorKind::InvalidArgument, "invalid format option"));
  // As runc: run ps(1) on the host and keep the header and the container's rows.
  if (ps_args.empty()) ps_args = {"-ef"};
  // Arguments go to ps as argv, never through a shell, so quotes in them mean nothing.
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return report(Error(ErrorKind::Internal, "pipe", errno));
  std::vector<char*> argv = {const_cast<char*>("ps")};
  for (auto& a : ps_args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = fork();
  if (child == 0) {
    dup2(out[1], STDOUT_FILENO);
    execvp("ps", argv.data());
    _exit(127);
  }
  close(out[1]);
  if (child < 0) {
    close(out[0]);
    return report(Error(ErrorKind::Internal, "run ps", errno));
  }
  FILE* f = fdopen(out[0], "r");
  char line[4096];
  int pid_col = -1;
  bool header = true;
  while (fgets(line, sizeof line, f)) {
    auto fields = split(trim(line), ' ');
    std::vector<std::string> cols;
    for (auto& c : fields)
      if (!c.empty()) cols.push_back(c);
    if (header) {
      for (size_t i = 0; i < cols.size(); ++i)
        if (cols[i] == "PID") pid_col = static_cast<int>(i);
      std::fputs(line, stdout);
      header = false;
      if (pid_col < 0) break;
      continue;
    }
    if (pid_col < static_cast<int>(cols.size())) {
      auto p = parse_int(cols[static_cast<size_t>(pid_col)]);
      if (p && std::find(pids->begin(), pids->end(), *p) != pids->end()) std::fputs(line, stdout);
    }
  }
  fclose(f);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  int rc = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
  if (pid_col < 0)
    return report(Error(ErrorKind::InvalidArgument, "couldn't find PID field in ps output"));
  return rc == 0 ? 0 : 1;
}

int cmd_events(const StateStore& store, const std::string& id, bool stats_once, int interval) {
  auto st = store.load(id);
  if (!st) return report(st.error());
  for (;;) {
    auto mgr = open_cgroup(*st);
    if (!mgr) return report(mgr.error());
    auto stats = (*mgr)->stats();
    if (!stats) return report(stats.error());
    nlohmann::json ev = {{"type", "stats"}, {"id", id}, {"data", *stats}};
    std::puts(ev.dump().c_str());
    std::fflush(stdout);
    if (stats_once) return 0;
    std::this_thread::sleep_for(std::chrono::seconds(interval));
    auto status = store.status(*st);
    if (!status || *status == ContainerStatus::Stopped) return 0;
  }
}

Result<oci::Process> exec_process_from_flags(
    const StateStore& store, const std::string& id, const std::string& process_file,
    const std::vector<std::string>& args, const std::vector<std::string>& env,
    const std::string& cwd, const std::string& user, const std::vector<std::string>& caps, bool tty,
    bool no_new_privs, const std::vector<uint32_t>& additional_gids) {
  if (!process_file.empty()) {
    std::string text;
    if (process_file == "-") {
      std::string line;
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) text.append(buf, n);
    } else {
      BERTH_ASSIGN(text, read_file(process_file));
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return fail(ErrorKind::InvalidArgument, "{}: invalid JSON", process_file);
    return oci::parse_process(j, "process");
  }
  // As runc: start from the container's own process and override with the flags.
  BERTH_ASSIGN(oci::Spec spec, load_container_spec(store, id));
  oci::Process p = *spec.process;
  p.args = args;
  p.terminal = tty;
  p.env.insert(p.env.end(), env.begin(), env.end());
  if (!cwd.empty()) p.cwd = cwd;
  if (!user.empty()) {
    auto parts = split(user, ':');
    auto uid = parse_uint(parts[0]);
    if (!uid) return fail(ErrorKind::InvalidArgument, "invalid --user {:?}: need uid[:gid]", user);
    p.user.uid = static_cast<uint32_t>(*uid);
    if (parts.size() > 1) {
      auto gid = parse_uint(parts[1]);
      if (!gid)
        return fail(ErrorKind::InvalidArgument, "invalid --user {:?}: need uid[:gid]", user);
      p.user.gid = static_cast<uint32_t>(*gid);
    }
  }
  if (!additional_gids.empty()) p.user.additional_gids = additional_gids;
  if (!caps.empty()) {
    if (!p.capabilities) p.capabilities = oci::Capabilities{};
    for (const auto& c : caps) {
      if (!capability_from_name(c))
        return fail(ErrorKind::InvalidArgument, "unknown capability {:?}", c);
      for (auto* set :
           {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
            &p.capabilities->ambient, &p.capabilities->inheritable})
        set->push_back(c);
    }
  }
  if (no_new_privs) p.no_new_privileges = true;
  return p;
}

int cmd_update(const StateStore& store, const std::string& id, const std::string& resources_file,
               const std::map<std::string, std::string>& flags) {
  auto st = store.load(id);
  if (!st) return report(st.error());
  oci::Resources res;
  if (!resources_file.empty()) {
    std::string text;
    if (resources_file == "-") {
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) text.append(buf, n);
    } else {
      auto t = read_file(resources_file);
      if (!t) return report(t.error());
      text = *t;
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded())
      return report(Error(ErrorKind::InvalidArgument, "resources: invalid JSON"));
    auto r = oci::parse_resources_json(j, "resources");
    if (!r) return report(r.error());
    res = *r;
    // Device rules are fixed at create time; update must not reset them.
    res.devices.clear();
  }
  auto num = [&](const char* k) -> std::optional<int64_t> {
    auto it = flags.find(k);
    if (it == flags.end() || it->second.empty()) return std::nullopt;
    return parse_int(it->second);
  };
  if (auto v = num("memory"))
    res.memory = res.memory.value_or(oci::Memory{}), res.memory->limit = *v;
  if (auto v = num("memory-swap"))
    res.memory = res.memory.value_or(oci::Memory{}), res.memory->swap = *v;
  if (auto v = num("pids-limit")) res.pids_limit = *v;
  if (auto v = num("cpu-quota")) res.cpu = res.cpu.value_or(oci::Cpu{}), res.cpu->quota = *v;
  if (auto v = num("cpu-period"))
    res.cpu = res.cpu.value_or(oci::Cpu{}), res.cpu->period = static_cast<uint64_t>(*v);
  if (auto v = num("cpu-share"))
    res.cpu = res.cpu.value_or(oci::Cpu{}), res.cpu->shares = static_cast<uint64_t>(*v);
  if (auto r = update_container(store, id, res); !r) return report(r.error());
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"berth-runtime: an OCI runtime (runc's command line)", "berth-runtime"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--root", g.root, "root directory for container state");
  app.add_option("--log", g.log_path, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "cgroupsPath in slice:prefix:name form");
  std::string criu;
  bool rootless = false;
  app.add_option("--criu", criu, "ignored (no checkpoint support)");
  app.add_option("--rootless", rootless, "ignored");
  app.set_version_flag("-v,--version", "berth-runtime version 0.1.0\nspec: 1.2.0");

  CreateOptions copts;
  bool no_new_keyring = false;
  auto add_create_flags = [&](CLI::App* s) {
    s->add_option("-b,--bundle", copts.bundle, "bundle directory");
    s->add_option("--pid-file", copts.pid_file, "file to write the init pid to");
    s->add_option("--console-socket", copts.console_socket,
                  "unix socket to send the pty master to");
    s->add_flag("--no-pivot", copts.no_pivot, "use MS_MOVE + chroot instead of pivot_root");
    s->add_option("--preserve-fds", copts.preserve_fds, "pass N extra fds (from 3)");
    s->add_flag("--no-new-keyring", no_new_keyring, "accepted for compatibility");
    s->add_option("id", copts.id, "container id")->required();
  };
  auto* create = app.add_subcommand("create", "create a container");
  add_create_flags(create);
  auto* runc = app.add_subcommand("run", "create and start a container");
  add_create_flags(runc);
  bool detach = false;
  runc->add_flag("-d,--detach", detach, "detach from the container's process");
  bool keep = false;
  runc->add_flag("--keep", keep, "do not delete the container after it exits");

  std::string id;
  auto* start = app.add_subcommand("start", "start a created container");
  start->add_option("id", id)->required();
  auto* state = app.add_subcommand("state", "print the container's state");
  state->add_option("id", id)->required();

  bool all = false;
  std::string sig = "SIGTERM";
  auto* killc = app.add_subcommand("kill", "send a signal to the container's init");
  killc->add_flag("-a,--all", all, "signal every process in the container");
  killc->add_option("id", id)->required();
  killc->add_option("signal", sig);

  bool force = false;
  auto* del = app.add_subcommand("delete", "delete a container");
  del->add_flag("-f,--force", force, "kill it first if it is running");
  del->add_option("id", id)->required();

  std::string format = "table";
  bool quiet = false;
  auto* list = app.add_subcommand("list", "list containers");
  list->alias("ls");
  list->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
  list->add_flag("-q,--quiet", quiet);

  auto* ps = app.add_subcommand("ps", "list the container's processes");
  ps->add_option("-f,--format", format)->check(CLI::IsMember({"table", "json"}));
  ps->add_option("id", id)->required();
  ps->prefix_command();  // everything after the id goes to ps(1), options included

  auto* pause = app.add_subcommand("pause", "freeze the container");
  pause->add_option("id", id)->required();
  auto* resume = app.add_subcommand("resume", "thaw the container");
  resume->add_option("id", id)->required();

  bool stats = false;
  std::string interval = "5s";
  auto* events = app.add_subcommand("events", "container stats");
  events->add_flag("--stats", stats, "print stats once and exit");
  events->add_option("--interval", interval);
  events->add_option("id", id)->required();

  std::string spec_bundle;
  auto* specc = app.add_subcommand("spec", "write a default config.json");
  specc->add_option("-b,--bundle", spec_bundle);
  specc->add_flag("--rootless", rootless);

  auto* features = app.add_subcommand("features", "print what this runtime supports");

  ExecOptions eopts;
  std::string process_file, cwd, user;
  std::vector<std::string> env, caps, exec_args;
  std::vector<uint32_t> gids;
  bool tty = false, nnp = false;
  std::string apparmor, label, cgroup_sel;
  bool ignore_paused = false;
  auto* exec = app.add_subcommand("exec", "run a process in a running container");
  exec->add_option("-p,--process", process_file, "process.json");
  exec->add_flag("-t,--tty", tty);
  exec->add_option("--console-socket", eopts.console_socket);
  exec->add_option("-e,--env", env)
      ->take_last()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  exec->add_option("--cwd", cwd);
  exec->add_option("-u,--user", user, "uid[:gid]");
  exec->add_option("-g,--additional-gids", gids)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  exec->add_flag("-d,--detach", eopts.detach);
  exec->add_option("--pid-file", eopts.pid_file);
  exec->add_option("-c,--cap", caps)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  exec->add_flag("--no-new-privs", nnp);
  exec->add_option("--preserve-fds", eopts.preserve_fds);
  exec->add_option("--apparmor", apparmor);
  exec->add_option("--process-label", label);
  exec->add_option("--cgroup", cgroup_sel);
  exec->add_flag("--ignore-paused", ignore_paused);
  exec->add_option("id", eopts.id)->required();
  exec->prefix_command();

  std::string resources_file;
  std::map<std::string, std::string> upd;
  auto* update = app.add_subcommand("update", "update the container's resource limits");
  update->add_option("-r,--resources", resources_file, "JSON file, or - for stdin");
  for (const char* f :
       {"memory", "memory-swap", "pids-limit", "cpu-quota", "cpu-period", "cpu-share"})
    update->add_option(std::string("--") + f, upd[f]);
  update->add_option("id", id)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::configure(g.log_path, g.log_format == "json", g.debug);
  log::debug("berth-runtime: arguments parsed");
  StateStore store(g.root);

  if (*create) {
    auto pid = create_container(store, copts);
    return pid ? 0 : report(pid.error());
  }
  if (*runc) {
    if (detach) {
      auto pid = create_container(store, copts);
      if (!pid) return report(pid.error());
      auto st = start_container(store, copts.id);
      return st ? 0 : report(st.error());
    }
    // Foreground: signals go to the container; a tty without console socket is proxied here.
    int sp[2] = {-1, -1};
    UniqueFd ours, theirs;
    if (copts.console_socket.empty()) {
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0) {
        ours.reset(sp[0]);
        theirs.reset(sp[1]);
        copts.internal_console_sock = theirs.get();
      }
    }
    auto pid = create_container(store, copts);
    if (!pid) return report(pid.error());
    theirs.reset();
    // A terminal's master was sent during create (before the init reported ready); none means
    // the process has plain stdio. The config is not read a second time to find out.
    UniqueFd master;
    pollfd pending{ours.get(), POLLIN, 0};
    if (ours && poll(&pending, 1, 0) > 0 && (pending.revents & POLLIN)) {
      auto fd = recv_fd(ours.get());
      if (fd) master.reset(*fd);
    }
    if (auto st = start_container(store, copts.id); !st) {
      (void)delete_container(store, copts.id, true);
      return report(st.error());
    }
    log::debug("run {}: started", copts.id);
    int code = wait_and_forward(*pid, master ? master.get() : -1);
    log::debug("run {}: exited with {}", copts.id, code);
    if (!keep) {
      if (auto d = delete_container(store, copts.id, true); !d) report(d.error());
      log::debug("run {}: deleted", copts.id);
    }
    return code;
  }
  if (*start) {
    auto st = start_container(store, id);
    return st ? 0 : report(st.error());
  }
  if (*state) return cmd_state(store, id);
  if (*killc) {
    auto signo = parse_signal(sig);
    if (!signo) return report(signo.error());
    auto st = kill_container(store, id, *signo, all);
    return st ? 0 : report(st.error());
  }
  if (*del) {
    auto st = delete_container(store, id, force);
    return st ? 0 : report(st.error());
  }
  if (*list) return cmd_list(store, format, quiet);
  if (*ps) return cmd_ps(store, id, format, ps->remaining());
  if (*pause || *resume) {
    auto st = pause_container(store, id, pause->parsed());
    return st ? 0 : report(st.error());
  }
  if (*events) {
    int secs = 5;
    if (auto v = parse_int(
            std::string_view(interval).substr(0, interval.find_first_not_of("0123456789"))))
      secs = static_cast<int>(std::max<long long>(1, *v));
    return cmd_events(store, id, stats, secs);
  }
  if (*specc) {
    std::string path = (spec_bundle.empty() ? std::string(".") : spec_bundle) + "/config.json";
    if (rootless) return report(Error(ErrorKind::InvalidArgument, "--rootless is not supported"));
    if (path_exists(path))
      return report(Error(ErrorKind::Conflict, "File config.json exists. Remove it first"));
    auto st = write_file_atomic(path, oci::default_spec_json(), 0666);
    return st ? 0 : report(st.error());
  }
  if (*features) {
    std::puts(features_json().c_str());
    return 0;
  }
  if (*exec) {
    exec_args = exec->remaining();
    if (process_file.empty() && exec_args.empty())
      return report(
          Error(ErrorKind::InvalidArgument, "exec: no command given (args or --process)"));
    auto p = exec_process_from_flags(store, eopts.id, process_file, exec_args, env, cwd, user, caps,
                                     tty, nnp, gids);
    if (!p) return report(p.error());
    eopts.process = std::move(*p);
    if (!apparmor.empty()) eopts.process.apparmor_profile = apparmor;
    if (!label.empty()) eopts.process.selinux_label = label;
    int sp[2] = {-1, -1};
    UniqueFd ours, theirs;
    bool proxy = eopts.process.terminal && eopts.console_socket.empty() && !eopts.detach;
    if (proxy && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0) {
      ours.reset(sp[0]);
      theirs.reset(sp[1]);
      eopts.internal_console_sock = theirs.get();
    }
    auto pid = exec_in_container(store, eopts);
    if (!pid) return report(pid.error());
    if (eopts.detach) return 0;
    theirs.reset();
    UniqueFd master;
    if (proxy) {
      auto fd = recv_fd(ours.get());
      if (fd) master.reset(*fd);
    }
    return wait_and_forward(*pid, master ? master.get() : -1);
  }
  if (*update) return cmd_update(store, id, resources_file, upd);
  return 1;
}

}  // namespace berth::runtime_cli

#include "shim/runtime_driver.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "base/file.h"
#include "base/io.h"
#include "base/random.h"
#include "base/strings.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "runtime/sync.h"
#include "shim/protocol.h"

extern char** environ;

namespace berth::shim {

using nlohmann::json;

namespace {

// Runs `fn` with fds 0, 1 and 2 pointing at the given ones: the runtime library gives a
// container (or exec) process the caller's stdio.
template <typename F>
auto with_stdio(const Stdio& io, F fn) {
  int saved[3] = {dup(0), dup(1), dup(2)};
  dup2(io.in, 0);
  dup2(io.out, 1);
  dup2(io.err, 2);
  auto r = fn();
  for (int i = 0; i < 3; ++i) {
    dup2(saved[i], i);
    close(saved[i]);
  }
  return r;
}

// The last error an external runtime logged (runc and crun: JSON lines with level/msg).
std::string logged_error(const std::string& log_file) {
  auto text = read_file(log_file);
  if (!text) return "";
  std::string last;
  for (auto& line : split(*text, '\n')) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("level", "") == "error" && j.contains("msg") &&
        j["msg"].is_string())
      last = j["msg"];
  }
  return last;
}

// The built-in runtime's create or exec, in process: the process gets `io` as its stdio, and a
// tty's master comes back over a socketpair whose end `console_sock` names for the call.
template <typename Call>
Result<Started> start_builtin(const Stdio& io, int& console_sock, Call call) {
  Started s;
  UniqueFd ours, theirs;
  if (io.tty) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) return sys_fail("socketpair");
    ours.reset(sp[0]);
    theirs.reset(sp[1]);
    console_sock = theirs.get();
  }
  BERTH_ASSIGN(s.pid, with_stdio(io, call));
  if (io.tty) {
    theirs.reset();
    BERTH_ASSIGN(int m, runtime::recv_fd(ours.get()));
    fcntl(m, F_SETFD, FD_CLOEXEC);
    s.console.reset(m);
  }
  return s;
}

Result<pid_t> read_pid_file(const std::string& path) {
  BERTH_ASSIGN(std::string text, read_file(path));
  auto n = parse_int(trim(text));
  if (!n || *n <= 0) return fail(ErrorKind::Internal, "bad pid file {}", path);
  return static_cast<pid_t>(*n);
}

// A console socket the external runtime can reach: bound in work_dir (through /proc when
// the path is too long for sun_path), named for the runtime by our pid's /proc entry.
struct ConsoleSocket {
  UniqueFd dirfd, listener;
  std::string path_for_runtime;

  Status open(const std::string& work_dir) {
    std::string full = work_dir + "/console.sock";
    std::string path = short_path(full, dirfd);
    ::unlink(path.c_str());
    listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener) return sys_fail("socket");
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path)
      return fail(ErrorKind::Internal, "console socket path too long: {}", path);
    path.copy(sa.sun_path, sizeof sa.sun_path - 1);
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
      return sys_fail("bind {}", full);
    if (::listen(listener.get(), 1) < 0) return sys_fail("listen {}", full);
    path_for_runtime = path;
    if (path.starts_with("/proc/self/"))
      path_for_runtime = "/proc/" + std::to_string(getpid()) + path.substr(10);
    return ok();
  }

  // The pty master the runtime sent (it has, by the time its create or exec returned).
  Result<UniqueFd> take() {
    pollfd p{listener.get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return fail(ErrorKind::Internal, "the runtime sent no console");
    UniqueFd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c) return sys_fail("accept console");
    BERTH_ASSIGN(int m, runtime::recv_fd(c.get()));
    fcntl(m, F_SETFD, FD_CLOEXEC);
    return UniqueFd(m);
  }
};

}  // namespace

Status RuntimeDriver::run(const std::vector<std::string>& cmd, const Stdio& io,
                          const std::string& log_file, const std::string& input) const {
  std::vector<std::string> argv = {rt_.path};
  argv.insert(argv.end(), rt_.args.begin(), rt_.args.end());
  argv.insert(argv.end(), {"--root", root_, "--log", log_file, "--log-format", "json"});
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd in_r, in_w;
  if (io.in < 0 && !input.empty()) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return sys_fail("pipe");
    in_r.reset(p[0]);
    in_w.reset(p[1]);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, io.in >= 0 ? io.in : in_r ? in_r.get() : null.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, io.out >= 0 ? io.out : null.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, io.err >= 0 ? io.err : null.get(), 2);
  // the shim blocks SIGCHLD and friends for its signalfd: the runtime must not inherit that
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int rc = posix_spawnp(&pid, rt_.path.c_str(), &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return sys_fail("runtime {:?}: exec {}", rt_.name, rt_.path);
  }
  if (in_w) {
    in_r.reset();
    write_all(in_w.get(), input);
    in_w.reset();
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return ok();
  std::string why = logged_error(log_file);
  if (why.empty())
    why = WIFEXITED(st) ? fmt::format("exit status {}", WEXITSTATUS(st))
                        : fmt::format("killed by signal {}", WTERMSIG(st));
  return fail(ErrorKind::Internal, "{}", why);
}

namespace {

// A log file for one call of an external runtime, removed afterwards.
struct CallLog {
  std::string path;
  explicit CallLog(const std::string& dir) : path(dir + "/.log-" + random_hex(8) + ".json") {
    (void)mkdir_all(dir, 0700);
  }
  ~CallLog() { ::unlink(path.c_str()); }
};

}  // namespace

Result<Started> RuntimeDriver::create(const std::string& id, const std::string& bundle,
                                      const Stdio& io, const std::string& work_dir) const {
  if (rt_.builtin()) {
    runtime::StateStore store(root_);
    runtime::CreateOptions opts;
    opts.id = id;
    opts.bundle = bundle;
    return start_builtin(io, opts.internal_console_sock,
                         [&] { return runtime::create_container(store, opts); });
  }
  Started s;
  std::string pid_file = work_dir + "/init.pid";
  std::vector<std::string> cmd = {"create", "--bundle", bundle, "--pid-file", pid_file};
  ConsoleSocket console;
  if (io.tty) {
    BERTH_TRY(console.open(work_dir));
    cmd.insert(cmd.end(), {"--console-socket", console.path_for_runtime});
  }
  cmd.push_back(id);
  std::string log = work_dir + "/runtime-log.json";
  BERTH_TRY(run(cmd, io, log));
  BERTH_ASSIGN(s.pid, read_pid_file(pid_file));
  if (io.tty) {
    BERTH_ASSIGN(s.console, console.take());
  }
  return s;
}

Result<Started> RuntimeDriver::exec(const std::string& id, const json& process, const Stdio& io,
                                    const std::string& work_dir) const {
  if (rt_.builtin()) {
    runtime::StateStore store(root_);
    BERTH_ASSIGN(auto proc, oci::parse_process(process, "process"));
    runtime::ExecOptions eo;
    eo.id = id;
    eo.process = std::move(proc);
    eo.detach = true;
    return start_builtin(io, eo.internal_console_sock,
                         [&] { return runtime::exec_in_container(store, eo); });
  }
  Started s;
  // each exec gets its own files: several can start at once
  std::string tag = random_hex(8);
  std::string dir = work_dir + "/exec-" + tag;
  BERTH_TRY(mkdir_all(dir, 0700));
  struct Cleanup {
    std::string d;
    ~Cleanup() { remove_all(d); }
  } cleanup{dir};
  BERTH_TRY(write_file_atomic(dir + "/process.json", process.dump(), 0600, false));
  std::vector<std::string> cmd = {"exec",       "--detach",  "--pid-file",
                                  dir + "/pid", "--process", dir + "/process.json"};
  ConsoleSocket console;
  if (io.tty) {
    BERTH_TRY(console.open(dir));
    cmd.insert(cmd.end(), {"--console-socket", console.path_for_runtime});
  }
  cmd.push_back(id);
  BERTH_TRY(run(cmd, io, dir + "/log.json"));
  BERTH_ASSIGN(s.pid, read_pid_file(dir + "/pid"));
  if (io.tty) {
    BERTH_ASSIGN(s.console, console.take());
  }
  return s;
}

Status RuntimeDriver::start(const std::string& id) const {
  if (rt_.builtin()) return runtime::start_container(runtime::StateStore(root_), id);
  CallLog log(root_);
  return run({"start", id}, {}, log.path);
}

Status RuntimeDriver::kill(const std::string& id, int sig) const {
  if (rt_.builtin()) return runtime::kill_container(runtime::StateStore(root_), id, sig, false);
  CallLog log(root_);
  return run({"kill", id, std::to_string(sig)}, {}, log.path);
}

Status RuntimeDriver::pause(const std::string& id, bool pause) const {
  if (rt_.builtin()) return runtime::pause_container(runtime::StateStore(root_), id, pause);
  CallLog log(root_);
  return run({pause ? "pause" : "resume", id}, {}, log.path);
}

Status RuntimeDriver::update(const std::string& id, const json& resources) const {
  if (rt_.builtin()) {
    BERTH_ASSIGN(auto res, oci::parse_resources_json(resources, "resources"));
    return runtime::update_container(runtime::StateStore(root_), id, res);
  }
  CallLog log(root_);
  return run({"update", "--resources", "-", id}, {}, log.path, resources.dump());
}

Status RuntimeDriver::remove(const std::string& id) const {
  if (rt_.builtin()) return runtime::delete_container(runtime::StateStore(root_), id, true);
  CallLog log(root_);
  return run({"delete", "--force", id}, {}, log.path);
}

}  // namespace berth::shim

#include "shim/shim.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "base/file.h"
#include "base/io.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/time.h"
#include "base/trace.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "runtime/sync.h"
#include "shim/protocol.h"

namespace berth::shim {
namespace {

int status_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

// The memory cgroup dirs of `pid` (v1's memory hierarchy, or the v2 one), read from
// /proc/<pid>/cgroup while it runs: any runtime's layout, hybrids included.
std::vector<std::string> memory_cgroups(pid_t pid) {
  std::vector<std::string> dirs;
  auto text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return dirs;
  for (auto& line : split(*text, '\n')) {
    auto parts = split(line, ':');
    if (parts.size() < 3) continue;
    std::string path = line.substr(parts[0].size() + parts[1].size() + 2);
    if (parts[0] == "0" && parts[1].empty()) {
      for (const char* root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"})
        if (path_exists(std::string(root) + "/cgroup.controllers")) {
          dirs.push_back(root + path);
          break;
        }
    } else {
      for (auto& c : split(parts[1], ','))
        if (c == "memory") dirs.push_back("/sys/fs/cgroup/memory" + path);
    }
  }
  return dirs;
}

// Whether the kernel's OOM killer acted in any of the container's memory cgroups.
bool oom_killed(const std::vector<std::string>& dirs) {
  for (auto& path : dirs) {
    for (const char* f : {"/memory.oom_control", "/memory.events"}) {
      auto text = read_file(path + f);
      if (!text) continue;
      auto pos = text->find("oom_kill ");
      if (pos != std::string::npos && atoll(text->c_str() + pos + 9) > 0) return true;
    }
  }
  return false;
}

Result<UniqueFd> listen_at(const std::string& full_path) {
  UniqueFd dirfd;
  std::string path = short_path(full_path, dirfd);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return fail(ErrorKind::Internal, "path too long");
  strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  ::unlink(path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return sys_fail("socket");
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    return sys_fail("bind {}", path);
  if (::listen(fd.get(), 64) < 0) return sys_fail("listen");
  return fd;
}

struct Pipes {
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
  Status make(bool want_stdin) {
    int p[2];
    if (want_stdin) {
      if (pipe2(p, O_CLOEXEC) < 0) return sys_fail("pipe");
      in_r.reset(p[0]);
      in_w.reset(p[1]);
    } else {
      in_r.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    if (pipe2(p, O_CLOEXEC) < 0) return sys_fail("pipe");
    out_r.reset(p[0]);
    out_w.reset(p[1]);
    if (pipe2(p, O_CLOEXEC) < 0) return sys_fail("pipe");
    err_r.reset(p[0]);
    err_w.reset(p[1]);
    return ok();
  }
};

struct Client {
  UniqueFd fd;
  std::string request;  // until its newline
  bool have_request = false;
  std::string op;
  bool want_out = false, want_err = false, want_in = false;
  pid_t exec_pid = 0;
};

// A process started by `exec`: its stdio and the client that receives its output.
struct ExecProc {
  bool tty = false;
  UniqueFd in, out, err;  // with a tty, `out` is the master and `in` is unused
  Client* client = nullptr;
  bool exited = false;
  int code = 0;
};

class Shim {
 public:
  Shim(const Config& cfg) : cfg_(cfg), runtime_(cfg.runtime, cfg.state_root) {}

  Status create(int ready_fd);
  int serve();

 private:
  void accept_clients();
  void on_client_readable(Client& c);
  void handle_request(Client& c);
  void start_exec(Client& c, const nlohmann::json& req);
  void resize(const nlohmann::json& req);
  void pump_output(int fd, int stream, bool tty);
  void pump_exec(ExecProc& e, int fd, int stream);
  void reap();
  void finish_exec(pid_t pid, ExecProc& e);
  void drop(Client* c);
  void broadcast(int stream, std::string_view data);

  Config cfg_;
  RuntimeDriver runtime_;
  std::vector<std::string> memory_cgroups_;  // for the OOM verdict after the exit
  std::unique_ptr<logs::Writer> log_;
  UniqueFd listen_, sigfd_;
  UniqueFd master_;                   // tty
  UniqueFd stdin_w_, out_r_, err_r_;  // pipes
  pid_t init_ = 0;
  bool init_exited_ = false;
  int init_code_ = 0;
  std::vector<std::unique_ptr<Client>> clients_;
  std::map<pid_t, std::unique_ptr<ExecProc>> execs_;
};

Status Shim::create(int ready_fd) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigfd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_) return sys_fail("signalfd");

  BERTH_ASSIGN(log_, logs::Writer::open(cfg_.log_path, cfg_.log));
  BERTH_ASSIGN(listen_, listen_at(socket_path(cfg_.dir)));

  Pipes p;
  if (!cfg_.tty) BERTH_TRY(p.make(cfg_.open_stdin));
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  Stdio io{p.in_r ? p.in_r.get() : null.get(), p.out_w ? p.out_w.get() : null.get(),
           p.err_w ? p.err_w.get() : null.get(), cfg_.tty};
  BERTH_ASSIGN(Started started, runtime_.create(cfg_.id, cfg_.bundle, io, cfg_.dir));
  init_ = started.pid;
  memory_cgroups_ = memory_cgroups(init_);
  if (cfg_.tty) {
    master_ = std::move(started.console);
  } else {
    stdin_w_ = std::move(p.in_w);
    out_r_ = std::move(p.out_r);
    err_r_ = std::move(p.err_r);
  }
  write_file_atomic(pid_path(cfg_.dir), std::to_string(getpid()) + "\n", 0644, false);
  write_all(ready_fd, "ok " + std::to_string(init_) + "\n");
  close(ready_fd);
  return ok();
}

void Shim::broadcast(int stream, std::string_view data) {
  log_->write(stream, data);
  std::string f;
  for (auto& c : clients_) {
    if (c->op != "attach" || (stream == 1 && !c->want_out) || (stream == 2 && !c->want_err))
      continue;
    if (f.empty()) f = frame(static_cast<uint8_t>(stream), data);
    if (!send_all(c->fd.get(), f)) c->fd.reset();  // dropped at the end of the turn
  }
}

void Shim::pump_output(int fd, int stream, bool tty) {
  char buf[32768];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    broadcast(stream, std::string_view(buf, static_cast<size_t>(n)));
    return;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  // EOF (pipe) or EIO (pty with no slave left)
  if (tty)
    master_.reset();
  else if (stream == 1)
    out_r_.reset();
  else
    err_r_.reset();
}

void Shim::accept_clients() {
  for (;;) {
    int c = accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    auto cl = std::make_unique<Client>();
    cl->fd.reset(c);
    clients_.push_back(std::move(cl));
  }
}

void Shim::handle_request(Client& c) {
  auto req = nlohmann::json::parse(c.request, nullptr, false);
  if (req.is_discarded() || !req.is_object()) {
    c.fd.reset();
    return;
  }
  c.op = req.value("op", "");
  if (c.op == "attach") {
    c.want_in = req.value("stdin", false);
    c.want_out = req.value("stdout", true);
    c.want_err = req.value("stderr", true);
    // From here on this client gets the output: tell it, so a start can wait for that.
    send_all(c.fd.get(), frame(kAttached, ""));
  } else if (c.op == "exec") {
    start_exec(c, req);
  } else if (c.op == "resize") {
    resize(req);
    send_all(c.fd.get(), "ok\n");
    c.fd.reset();
  } else if (c.op != "wait") {
    c.fd.reset();
  }
}

void Shim::resize(const nlohmann::json& req) {
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(req.value("h", 0));
  ws.ws_col = static_cast<unsigned short>(req.value("w", 0));
  if (ws.ws_row == 0 || ws.ws_col == 0) return;  // a 0x0 tty breaks full-screen programs
  pid_t ep = req.value("exec_pid", 0);
  int fd = master_.get();
  if (ep != 0) {
    auto it = execs_.find(ep);
    fd = (it != execs_.end() && it->second->tty) ? it->second->out.get() : -1;
  }
  if (fd >= 0) ioctl(fd, TIOCSWINSZ, &ws);
}

void Shim::start_exec(Client& c, const nlohmann::json& req) {
  auto fail_exec = [&](int code, const std::string& msg) {
    send_all(c.fd.get(), frame(kStderr, msg + "\n"));
    ExitStatus s;
    s.exit_code = code;
    s.error = msg;
    send_all(c.fd.get(), frame(kExit, s.to_json().dump()));
    c.fd.reset();
  };
  // the runtime parses and checks the process; only whether it has a tty matters here
  nlohmann::json process = req.value("process", nlohmann::json::object());
  if (!process.is_object()) return fail_exec(126, "process: expected an object");
  auto e = std::make_unique<ExecProc>();
  e->tty = process.value("terminal", nlohmann::json(false)) == true;
  e->client = &c;
  Result<Started> started = fail(ErrorKind::Internal, "exec not started");
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (e->tty) {
    started = runtime_.exec(cfg_.id, process, {null.get(), null.get(), null.get(), true}, cfg_.dir);
    if (started) e->out = std::move(started->console);
  } else {
    Pipes p;
    if (auto st = p.make(req.value("stdin", false)); !st)
      return fail_exec(126, st.error().message());
    started = runtime_.exec(cfg_.id, process, {p.in_r.get(), p.out_w.get(), p.err_w.get(), false},
                            cfg_.dir);
    e->in = std::move(p.in_w);
    e->out = std::move(p.out_r);
    e->err = std::move(p.err_r);
  }
  Result<pid_t> pid = started ? Result<pid_t>(started->pid) : std::unexpected(started.error());
  if (!pid) {
    std::string m = pid.error().message();
    // Docker reports any exec that could not start as 126, a missing binary included.
    return fail_exec(126, "OCI runtime exec failed: " + m);
  }
  c.exec_pid = *pid;
  // The pid goes first, so the daemon can resize this exec's tty.
  send_all(c.fd.get(), frame(kStarted, std::to_string(*pid)));
  execs_[*pid] = std::move(e);
}

void Shim::on_client_readable(Client& c) {
  char buf[32768];
  ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (!c.have_request) {
    if (n <= 0) {
      c.fd.reset();
      return;
    }
    c.request.append(buf, static_cast<size_t>(n));
    auto nl = c.request.find('\n');
    if (nl == std::string::npos) {
      if (c.request.size() > (1 << 20)) c.fd.reset();
      return;
    }
    std::string rest = c.request.substr(nl + 1);
    c.request.resize(nl);
    c.have_request = true;
    handle_request(c);
    if (!c.fd || rest.empty()) return;
    memcpy(buf, rest.data(), rest.size());
    n = static_cast<ssize_t>(rest.size());
  }
  // stdin for the container or the exec'd process
  int target = -1;
  ExecProc* e = nullptr;
  if (c.op == "attach" && c.want_in) {
    target = cfg_.tty ? master_.get() : stdin_w_.get();
  } else if (c.op == "exec") {
    auto it = execs_.find(c.exec_pid);
    if (it != execs_.end()) {
      e = it->second.get();
      target = e->tty ? e->out.get() : e->in.get();
    }
  }
  if (n <= 0) {
    // stdin's EOF: the client half-closed (or went away)
    if (c.op == "attach" && c.want_in && !cfg_.tty && cfg_.stdin_once) stdin_w_.reset();
    if (e && !e->tty) e->in.reset();
    c.want_in = false;
    if (n < 0 || c.op == "wait" || (c.op != "attach" && c.op != "exec"))
      c.fd.reset();
    else if (c.op == "attach" && !c.want_out && !c.want_err)
      c.fd.reset();
    return;
  }
  if (target >= 0) write_all(target, std::string_view(buf, static_cast<size_t>(n)));
}

void Shim::pump_exec(ExecProc& e, int fd, int stream) {
  char buf[32768];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    if (e.client && e.client->fd &&
        !send_all(e.client->fd.get(),
                  frame(static_cast<uint8_t>(stream), std::string_view(buf, size_t(n)))))
      e.client->fd.reset();
    return;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (fd == e.out.get())
    e.out.reset();
  else
    e.err.reset();
}

void Shim::finish_exec(pid_t pid, ExecProc& e) {
  // Output still in the pipes belongs before the exit frame.
  for (int i = 0; i < 50 && (e.out || e.err); ++i) {
    struct pollfd p[2] = {{e.out.get(), POLLIN, 0}, {e.err.get(), POLLIN, 0}};
    if (poll(p, 2, 20) <= 0) break;
    if (p[0].revents) pump_exec(e, e.out.get(), 1);
    if (e.err && p[1].revents) pump_exec(e, e.err.get(), 2);
  }
  if (e.client && e.client->fd) {
    ExitStatus s;
    s.exit_code = e.code;
    send_all(e.client->fd.get(), frame(kExit, s.to_json().dump()));
    e.client->fd.reset();
  }
  execs_.erase(pid);
}

void Shim::reap() {
  struct signalfd_siginfo si;
  bool term = false;
  while (::read(sigfd_.get(), &si, sizeof si) == sizeof si)
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) term = true;
  if (term && init_ && !init_exited_) kill(init_, SIGTERM);
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) break;
    if (pid == init_) {
      init_exited_ = true;
      init_code_ = status_code(st);
    } else if (auto it = execs_.find(pid); it != execs_.end()) {
      it->second->exited = true;
      it->second->code = status_code(st);
    }
  }
  std::vector<pid_t> done;
  for (auto& [pid, e] : execs_)
    if (e->exited) done.push_back(pid);
  for (pid_t pid : done) finish_exec(pid, *execs_[pid]);
}

int Shim::serve() {
  while (!init_exited_) {
    std::vector<struct pollfd> fds;
    std::vector<std::function<void()>> on;
    auto add = [&](int fd, std::function<void()> f) {
      if (fd < 0) return;
      fds.push_back({fd, POLLIN, 0});
      on.push_back(std::move(f));
    };
    add(sigfd_.get(), [&] { reap(); });
    add(listen_.get(), [&] { accept_clients(); });
    add(master_.get(), [&] { pump_output(master_.get(), 1, true); });
    add(out_r_.get(), [&] { pump_output(out_r_.get(), 1, false); });
    add(err_r_.get(), [&] { pump_output(err_r_.get(), 2, false); });
    for (auto& c : clients_) {
      Client* cp = c.get();
      if (!cp->have_request || cp->want_in || cp->op == "wait" || cp->op == "exec")
        add(cp->fd.get(), [this, cp] {
          if (cp->fd) on_client_readable(*cp);
        });
    }
    for (auto& [pid, e] : execs_) {
      ExecProc* ep = e.get();
      add(ep->out.get(), [this, ep] {
        if (ep->out) pump_exec(*ep, ep->out.get(), 1);
      });
      add(ep->err.get(), [this, ep] {
        if (ep->err) pump_exec(*ep, ep->err.get(), 2);
      });
    }
    int n = poll(fds.data(), fds.size(), -1);
    if (n < 0 && errno != EINTR) break;
    for (size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents) on[i]();
    // forget clients that went away (an exec's process keeps running without its client)
    for (auto& [pid, e] : execs_)
      if (e->client && !e->client->fd) e->client = nullptr;
    std::erase_if(clients_, [](auto& c) { return !c->fd; });
  }

  // The init is gone: drain its output, then record the exit.
  for (int i = 0; i < 100 && (master_ || out_r_ || err_r_); ++i) {
    struct pollfd p[3] = {
        {master_.get(), POLLIN, 0}, {out_r_.get(), POLLIN, 0}, {err_r_.get(), POLLIN, 0}};
    if (poll(p, 3, 20) <= 0) break;
    if (p[0].revents) pump_output(master_.get(), 1, true);
    if (out_r_ && p[1].revents) pump_output(out_r_.get(), 1, false);
    if (err_r_ && p[2].revents) pump_output(err_r_.get(), 2, false);
  }
  trace_step("shim-reaped");
  log_->flush_partial();
  ExitStatus s;
  s.exit_code = init_code_;
  s.oom_killed = oom_killed(memory_cgroups_);
  s.finished_at = now_rfc3339();
  // under the exec root (a tmpfs in production, gone at reboot): berthd reads it, also after
  // its own crash, which the page cache survives
  write_file_atomic(exit_path(cfg_.dir), s.to_json().dump(), 0644, false);
  // The exit is told first, the runtime's cleanup (cgroups, state) follows: berthd holds
  // back a new start of this container until our connections close, after the cleanup.
  std::string f = frame(kExit, s.to_json().dump());
  for (auto& c : clients_)
    if (c->fd && c->op == "wait") send_all(c->fd.get(), f);
  // The output is all sent: attached clients are done now, not after the cleanup below
  // (`run` returns when its attach stream ends).
  for (auto& c : clients_)
    if (c->op == "attach") c->fd.reset();
  trace_step("shim-notified");
  // let berthd's waiting thread run before the cleanup takes the CPU (on 2 cores the exit
  // reached it ~0.7 ms later without this; bench/run-steps, onexit-begin)
  sched_yield();
  if (auto st = runtime_.remove(cfg_.id); !st)
    log::warn("delete {}: {}", cfg_.id, st.error().message());
  trace_step("shim-runtime-removed");
  for (auto& c : clients_)
    if (c->fd) ::shutdown(c->fd.get(), SHUT_RDWR);
  ::unlink(socket_path(cfg_.dir).c_str());
  return 0;
}

}  // namespace

int run(const Config& cfg, int ready_fd) {
  Shim shim(cfg);
  if (auto st = shim.create(ready_fd); !st) {
    write_all(ready_fd, "error: " + st.error().message() + "\n");
    close(ready_fd);
    return 1;
  }
  return shim.serve();
}

}  // namespace berth::shim

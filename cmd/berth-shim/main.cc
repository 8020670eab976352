// berth-shim: started by berthd for each container start; see src/shim/shim.h.
#include <fcntl.h>
#include <linux/prctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/file.h"
#include "base/log.h"
#include "base/trace.h"
#include "shim/shim.h"

namespace {

// Detach from berthd: the shim must outlive it. The parent exits at once (berthd reaps it).
void detach() {
  pid_t pid = fork();
  if (pid < 0) _exit(1);
  if (pid > 0) _exit(0);
  setsid();
}

// What ps and /proc/PID/cmdline show becomes `args` (NUL-separated), as if given on the
// command line: tools and benches find a container's shim by its arguments. PR_SET_MM_MAP
// replaces the whole map of the process's memory layout, so the other fields are given as
// they are (from /proc/self/stat); unlike the single-field PR_SET_MM calls it needs no
// CAP_SYS_RESOURCE. Best effort.
void show_as_command_line(const std::string& args) {
  auto stat = berth::read_file("/proc/self/stat");
  if (!stat) return;
  auto paren = stat->rfind(')');
  if (paren == std::string::npos) return;
  std::vector<unsigned long> field(3, 0);  // field[i] is stat's field i (1-based); 3 on here
  std::istringstream in(stat->substr(paren + 2));
  std::string word;
  while (in >> word) field.push_back(std::strtoul(word.c_str(), nullptr, 10));
  if (field.size() <= 51) return;
  prctl_mm_map m{};
  m.start_code = field[26];
  m.end_code = field[27];
  m.start_stack = field[28];
  m.start_data = field[45];
  m.end_data = field[46];
  m.start_brk = field[47];
  m.brk = reinterpret_cast<unsigned long>(sbrk(0));
  m.arg_start = reinterpret_cast<unsigned long>(args.data());
  m.arg_end = m.arg_start + args.size();
  m.env_start = field[50];
  m.env_end = field[51];
  m.exe_fd = static_cast<__u32>(-1);
  (void)prctl(PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<unsigned long>(&m), sizeof m, 0);
}

// --standby (daemon/shim_spawner.h): started (and detached) ahead of need; the arguments come
// later on fd 4, each ended by NUL. EOF without any (berthd closing, or gone): nothing to do.
std::vector<std::string> standby_args(const char* argv0) {
  std::string blob;
  char buf[4096];
  for (;;) {
    ssize_t n = read(4, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    blob.append(buf, static_cast<size_t>(n));
  }
  close(4);
  if (blob.empty()) _exit(0);
  static std::string shown;  // lives as long as the process
  shown = std::string(argv0) + '\0' + blob;
  show_as_command_line(shown);
  std::vector<std::string> args = {argv0};
  for (size_t at = 0; at < blob.size();) {
    size_t end = blob.find('\0', at);
    if (end == std::string::npos) end = blob.size();
    args.push_back(blob.substr(at, end - at));
    at = end + 1;
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> given;
  std::vector<char*> given_argv;
  const bool standby = argc == 2 && std::string_view(argv[1]) == "--standby";
  if (standby) {
    // only fds 3 and 4 are ours: berthd's without close-on-exec (sockets libraries open) must
    // not stay pinned for as long as the spare waits
    close_range(5, ~0U, 0);
    detach();
    // while it waits it holds nothing of berthd's: not its stdio (a pipe a caller may wait
    // on to end), not its working directory
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; ++fd) dup2(null, fd);
    if (null > 2) close(null);
    if (chdir("/") != 0) _exit(1);
    given = standby_args(argv[0]);
    for (auto& a : given) given_argv.push_back(a.data());
    given_argv.push_back(nullptr);
    argc = static_cast<int>(given.size());
    argv = given_argv.data();
  }
  berth::trace_step("shim-main");
  berth::shim::Config cfg;
  std::string log_driver = "json-file";
  uint64_t max_size = 0;
  int max_file = 1;
  int ready_fd = 3;
  CLI::App app{"berth-shim: holds one container's stdio, logs and exit status"};
  app.add_option("--id", cfg.id)->required();
  app.add_option("--bundle", cfg.bundle)->required();
  app.add_option("--state-root", cfg.state_root)->required();
  // an external runtime (runc's command line); none: the built-in one
  app.add_option("--runtime-name", cfg.runtime.name);
  app.add_option("--runtime-path", cfg.runtime.path);
  app.add_option("--runtime-arg", cfg.runtime.args)->allow_extra_args(false);
  app.add_option("--dir", cfg.dir)->required();
  app.add_option("--log-path", cfg.log_path);
  app.add_option("--log-driver", log_driver);
  app.add_option("--log-max-size", max_size);
  app.add_option("--log-max-file", max_file);
  app.add_option("--ready-fd", ready_fd);
  app.add_flag("--tty", cfg.tty);
  app.add_flag("--stdin", cfg.open_stdin);
  app.add_flag("--stdin-once", cfg.stdin_once);
  CLI11_PARSE(app, argc, argv);
  cfg.log.driver = log_driver;
  cfg.log.max_size = max_size;
  cfg.log.max_file = max_file;
  if (cfg.log_path.empty()) cfg.log.driver = "none";

  // reports on ready_fd when the container is created
  if (!standby) detach();
  // Nothing berthd's own parent left open lives on in the shim (or its containers).
  if (ready_fd > 3) close_range(3, static_cast<unsigned>(ready_fd) - 1, 0);
  close_range(static_cast<unsigned>(ready_fd) + 1, ~0U, 0);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  dup2(null, 0);
  dup2(null, 1);
  int logfd =
      open((cfg.dir + "/shim.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  dup2(logfd >= 0 ? logfd : null, 2);
  if (logfd > 2) close(logfd);
  if (null > 2) close(null);
  if (chdir("/") != 0) return 1;
  berth::log::configure("", false, false);
  return berth::shim::run(cfg, ready_fd);
}

// berth-probe: runs inside test containers and reports what the process sees, one fact per
// command, so system tests can check that each config setting took effect.
#include <errno.h>
#include <fcntl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: berth-probe ns|status KEY|rlimit N|syscall NAME|umask|personality|"
               "write PATH|mknod PATH|domainname|sleep SECS|exit CODE\n");
  return 2;
}

// Prints the value of a /proc/self/status line such as "CapEff" or "NoNewPrivs".
int status_field(const char* key) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 1;
  char line[512];
  size_t klen = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, klen) == 0 && line[klen] == ':') {
      const char* v = line + klen + 1;
      while (*v == ' ' || *v == '\t') ++v;
      std::fputs(v, stdout);
      std::fclose(f);
      return 0;
    }
  }
  std::fclose(f);
  return 1;
}

int print_rlimit(const char* name) {
  int res = -1;
  if (!std::strcmp(name, "NOFILE")) res = RLIMIT_NOFILE;
  if (!std::strcmp(name, "NPROC")) res = RLIMIT_NPROC;
  if (!std::strcmp(name, "CORE")) res = RLIMIT_CORE;
  if (!std::strcmp(name, "STACK")) res = RLIMIT_STACK;
  if (res < 0) return usage();
  struct rlimit r;
  getrlimit(static_cast<__rlimit_resource>(res), &r);
  std::printf("%llu %llu\n", static_cast<unsigned long long>(r.rlim_cur),
              static_cast<unsigned long long>(r.rlim_max));
  return 0;
}

// Calls a syscall with harmless arguments; prints "ok" or the errno number.
int try_syscall(const char* name) {
  long r;
  if (!std::strcmp(name, "getppid"))
    r = syscall(SYS_getppid);
  else if (!std::strcmp(name, "mkdir"))
    r = syscall(SYS_mkdir, "/tmp/probe-dir", 0755);
  else if (!std::strcmp(name, "chmod"))
    r = syscall(SYS_chmod, "/", 0755);
  else if (!std::strcmp(name, "unshare"))
    r = syscall(SYS_unshare, 0);
  else if (!std::strcmp(name, "personality"))
    r = syscall(SYS_personality, 0xffffffff);
  else if (!std::strcmp(name, "sethostname"))
    r = syscall(SYS_sethostname, "x", 1);
  else if (!std::strcmp(name, "mount"))
    r = syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, nullptr);
  else
    return usage();
  if (r < 0)
    std::printf("%d\n", errno);
  else
    std::puts("ok");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  if (cmd == "ns") {
    static const char* kinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
    for (const char* k : kinds) {
      char path[64], target[128] = {};
      std::snprintf(path, sizeof path, "/proc/self/ns/%s", k);
      if (readlink(path, target, sizeof target - 1) > 0) std::printf("%s %s\n", k, target);
    }
    return 0;
  }
  if (cmd == "status" && argc > 2) return status_field(argv[2]);
  if (cmd == "rlimit" && argc > 2) return print_rlimit(argv[2]);
  if (cmd == "syscall" && argc > 2) return try_syscall(argv[2]);
  if (cmd == "umask") {
    mode_t m = umask(0);
    std::printf("%04o\n", m);
    return 0;
  }
  if (cmd == "personality") {
    std::printf("0x%x\n", personality(0xffffffff));
    return 0;
  }
  if (cmd == "domainname") {
    utsname u;
    uname(&u);
    std::printf("%s\n", u.domainname);
    return 0;
  }
  if (cmd == "write" && argc > 2) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      std::printf("%d\n", errno);
      return 0;
    }
    close(fd);
    std::puts("ok");
    return 0;
  }
  if (cmd == "sleep" && argc > 2) {
    sleep(static_cast<unsigned>(std::atoi(argv[2])));
    return 0;
  }
  if (cmd == "exit" && argc > 2) return std::atoi(argv[2]);
  return usage();
}

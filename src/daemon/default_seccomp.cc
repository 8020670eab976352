// Docker's default seccomp profile as data: which syscalls a container may make, with the
// rules that depend on its capabilities, the architecture and the kernel. The lists follow
// moby's profiles/seccomp/default.json (Docker 25 and later); everything not listed fails
// with EPERM.
#include "daemon/seccomp_profile.h"

#include <initializer_list>

namespace berth::daemon {

using nlohmann::json;

namespace {

// Allowed for every container on every architecture.
constexpr const char* kAlways[] = {"accept",
                                   "accept4",
                                   "access",
                                   "adjtimex",
                                   "alarm",
                                   "bind",
                                   "brk",
                                   "capget",
                                   "capset",
                                   "chdir",
                                   "chmod",
                                   "chown",
                                   "chown32",
                                   "clock_adjtime",
                                   "clock_adjtime64",
                                   "clock_getres",
                                   "clock_getres_time64",
                                   "clock_gettime",
                                   "clock_gettime64",
                                   "clock_nanosleep",
                                   "clock_nanosleep_time64",
                                   "close",
                                   "close_range",
                                   "connect",
                                   "copy_file_range",
                                   "creat",
                                   "dup",
                                   "dup2",
                                   "dup3",
                                   "epoll_create",
                                   "epoll_create1",
                                   "epoll_ctl",
                                   "epoll_ctl_old",
                                   "epoll_pwait",
                                   "epoll_pwait2",
                                   "epoll_wait",
                                   "epoll_wait_old",
                                   "eventfd",
                                   "eventfd2",
                                   "execve",
                                   "execveat",
                                   "exit",
                                   "exit_group",
                                   "faccessat",
                                   "faccessat2",
                                   "fadvise64",
                                   "fadvise64_64",
                                   "fallocate",
                                   "fanotify_mark",
                                   "fchdir",
                                   "fchmod",
                                   "fchmodat",
                                   "fchown",
                                   "fchown32",
                                   "fchownat",
                                   "fcntl",
                                   "fcntl64",
                                   "fdatasync",
                                   "fgetxattr",
                                   "flistxattr",
                                   "flock",
                                   "fork",
                                   "fremovexattr",
                                   "fsetxattr",
                                   "fstat",
                                   "fstat64",
                                   "fstatat64",
                                   "fstatfs",
                                   "fstatfs64",
                                   "fsync",
                                   "ftruncate",
                                   "ftruncate64",
                                   "futex",
                                   "futex_time64",
                                   "futex_waitv",
                                   "futimesat",
                                   "getcpu",
                                   "getcwd",
                                   "getdents",
                                   "getdents64",
                                   "getegid",
                                   "getegid32",
                                   "geteuid",
                                   "geteuid32",
                                   "getgid",
                                   "getgid32",
                                   "getgroups",
                                   "getgroups32",
                                   "getitimer",
                                   "getpeername",
                                   "getpgid",
                                   "getpgrp",
                                   "getpid",
                                   "getppid",
                                   "getpriority",
                                   "getrandom",
                                   "getresgid",
                                   "getresgid32",
                                   "getresuid",
                                   "getresuid32",
                                   "getrlimit",
                                   "get_robust_list",
                                   "getrusage",
                                   "getsid",
                                   "getsockname",
                                   "getsockopt",
                                   "get_thread_area",
                                   "gettid",
                                   "gettimeofday",
                                   "getuid",
                                   "getuid32",
                                   "getxattr",
                                   "inotify_add_watch",
                                   "inotify_init",
                                   "inotify_init1",
                                   "inotify_rm_watch",
                                   "io_cancel",
                                   "ioctl",
                                   "io_destroy",
                                   "io_getevents",
                                   "io_pgetevents",
                                   "io_pgetevents_time64",
                                   "ioprio_get",
                                   "ioprio_set",
                                   "io_setup",
                                   "io_submit",
                                   "io_uring_enter",
                                   "io_uring_register",
                                   "io_uring_setup",
                                   "ipc",
                                   "kill",
                                   "landlock_add_rule",
                                   "landlock_create_ruleset",
                                   "landlock_restrict_self",
                                   "lchown",
                                   "lchown32",
                                   "lgetxattr",
                                   "link",
                                   "linkat",
                                   "listen",
                                   "listxattr",
                                   "llistxattr",
                                   "_llseek",
                                   "lremovexattr",
                                   "lseek",
                                   "lsetxattr",
                                   "lstat",
                                   "lstat64",
                                   "madvise",
                                   "membarrier",
                                   "memfd_create",
                                   "memfd_secret",
                                   "mincore",
                                   "mkdir",
                                   "mkdirat",
                                   "mknod",
                                   "mknodat",
                                   "mlock",
                                   "mlock2",
                                   "mlockall",
                                   "mmap",
                                   "mmap2",
                                   "mprotect",
                                   "mq_getsetattr",
                                   "mq_notify",
                                   "mq_open",
                                   "mq_timedreceive",
                                   "mq_timedreceive_time64",
                                   "mq_timedsend",
                                   "mq_timedsend_time64",
                                   "mq_unlink",
                                   "mremap",
                                   "msgctl",
                                   "msgget",
                                   "msgrcv",
                                   "msgsnd",
                                   "msync",
                                   "munlock",
                                   "munlockall",
                                   "munmap",
                                   "name_to_handle_at",
                                   "nanosleep",
                                   "newfstatat",
                                   "_newselect",
                                   "open",
                                   "openat",
                                   "openat2",
                                   "pause",
                                   "pidfd_open",
                                   "pidfd_send_signal",
                                   "pipe",
                                   "pipe2",
                                   "pkey_alloc",
                                   "pkey_free",
                                   "pkey_mprotect",
                                   "poll",
                                   "ppoll",
                                   "ppoll_time64",
                                   "prctl",
                                   "pread64",
                                   "preadv",
                                   "preadv2",
                                   "prlimit64",
                                   "process_mrelease",
                                   "pselect6",
                                   "pselect6_time64",
                                   "pwrite64",
                                   "pwritev",
                                   "pwritev2",
                                   "read",
                                   "readahead",
                                   "readlink",
                                   "readlinkat",
                                   "readv",
                                   "recv",
                                   "recvfrom",
                                   "recvmmsg",
                                   "recvmmsg_time64",
                                   "recvmsg",
                                   "remap_file_pages",
                                   "removexattr",
                                   "rename",
                                   "renameat",
                                   "renameat2",
                                   "restart_syscall",
                                   "rmdir",
                                   "rseq",
                                   "rt_sigaction",
                                   "rt_sigpending",
                                   "rt_sigprocmask",
                                   "rt_sigqueueinfo",
                                   "rt_sigreturn",
                                   "rt_sigsuspend",
                                   "rt_sigtimedwait",
                                   "rt_sigtimedwait_time64",
                                   "rt_tgsigqueueinfo",
                                   "sched_getaffinity",
                                   "sched_getattr",
                                   "sched_getparam",
                                   "sched_get_priority_max",
                                   "sched_get_priority_min",
                                   "sched_getscheduler",
                                   "sched_rr_get_interval",
                                   "sched_rr_get_interval_time64",
                                   "sched_setaffinity",
                                   "sched_setattr",
                                   "sched_setparam",
                                   "sched_setscheduler",
                                   "sched_yield",
                                   "seccomp",
                                   "select",
                                   "semctl",
                                   "semget",
                                   "semop",
                                   "semtimedop",
                                   "semtimedop_time64",
                                   "send",
                                   "sendfile",
                                   "sendfile64",
                                   "sendmmsg",
                                   "sendmsg",
                                   "sendto",
                                   "setfsgid",
                                   "setfsgid32",
                                   "setfsuid",
                                   "setfsuid32",
                                   "setgid",
                                   "setgid32",
                                   "setgroups",
                                   "setgroups32",
                                   "setitimer",
                                   "setpgid",
                                   "setpriority",
                                   "setregid",
                                   "setregid32",
                                   "setresgid",
                                   "setresgid32",
                                   "setresuid",
                                   "setresuid32",
                                   "setreuid",
                                   "setreuid32",
                                   "setrlimit",
                                   "set_robust_list",
                                   "setsid",
                                   "setsockopt",
                                   "set_thread_area",
                                   "set_tid_address",
                                   "setuid",
                                   "setuid32",
                                   "setxattr",
                                   "shmat",
                                   "shmctl",
                                   "shmdt",
                                   "shmget",
                                   "shutdown",
                                   "sigaltstack",
                                   "signalfd",
                                   "signalfd4",
                                   "sigprocmask",
                                   "sigreturn",
                                   "socketcall",
                                   "socketpair",
                                   "splice",
                                   "stat",
                                   "stat64",
                                   "statfs",
                                   "statfs64",
                                   "statx",
                                   "symlink",
                                   "symlinkat",
                                   "sync",
                                   "sync_file_range",
                                   "syncfs",
                                   "sysinfo",
                                   "tee",
                                   "tgkill",
                                   "time",
                                   "timer_create",
                                   "timer_delete",
                                   "timer_getoverrun",
                                   "timer_gettime",
                                   "timer_gettime64",
                                   "timer_settime",
                                   "timer_settime64",
                                   "timerfd_create",
                                   "timerfd_gettime",
                                   "timerfd_gettime64",
                                   "timerfd_settime",
                                   "timerfd_settime64",
                                   "times",
                                   "tkill",
                                   "truncate",
                                   "truncate64",
                                   "ugetrlimit",
                                   "umask",
                                   "uname",
                                   "unlink",
                                   "unlinkat",
                                   "utime",
                                   "utimensat",
                                   "utimensat_time64",
                                   "utimes",
                                   "vfork",
                                   "vmsplice",
                                   "wait4",
                                   "waitid",
                                   "waitpid",
                                   "write",
                                   "writev"};

// Namespace flags a process without CAP_SYS_ADMIN must not pass to clone: NEWNS, NEWCGROUP,
// NEWUTS, NEWIPC, NEWUSER, NEWPID and NEWNET.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

// AF_VSOCK: sockets of that family would reach the host's hypervisor side.
constexpr uint64_t kAfVsock = 40;

json names(std::initializer_list<const char*> list) {
  json n = json::array();
  for (auto* s : list) n.push_back(s);
  return n;
}

json allow(json syscall_names) {
  return {{"names", std::move(syscall_names)}, {"action", "SCMP_ACT_ALLOW"}};
}

json with_cap(json rule, const char* cap) {
  rule["includes"]["caps"] = json::array({cap});
  return rule;
}

json on_arches(json rule, std::initializer_list<const char*> arches) {
  rule["includes"]["arches"] = names(arches);
  return rule;
}

json arg(unsigned index, uint64_t value, const char* op) {
  return json::array({{{"index", index}, {"value", value}, {"op", op}}});
}

json build() {
  json rules = json::array();
  json always = json::array();
  for (auto* n : kAlways) always.push_back(n);
  rules.push_back(allow(always));

  json ptrace = allow(names({"process_vm_readv", "process_vm_writev", "ptrace"}));
  ptrace["includes"]["minKernel"] = "4.8";  // before 4.8 ptrace could bypass seccomp
  rules.push_back(ptrace);

  json socket = allow(names({"socket"}));
  socket["args"] = arg(0, kAfVsock, "SCMP_CMP_NE");
  rules.push_back(socket);
  // personality: only the harmless personas (Linux, with UNAME26, ADDR_NO_RANDOMIZE) and the
  // query (0xffffffff)
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    json p = allow(names({"personality"}));
    p["args"] = arg(0, persona, "SCMP_CMP_EQ");
    rules.push_back(p);
  }

  rules.push_back(on_arches(allow(names({"sync_file_range2", "swapcontext"})), {"ppc64le"}));
  rules.push_back(
      on_arches(allow(names({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                             "breakpoint", "cacheflush", "set_tls"})),
                {"arm", "arm64"}));
  rules.push_back(on_arches(allow(names({"arch_prctl"})), {"amd64", "x32"}));
  rules.push_back(on_arches(allow(names({"modify_ldt"})), {"amd64", "x32", "x86"}));
  rules.push_back(
      on_arches(allow(names({"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"})),
                {"s390", "s390x"}));
  rules.push_back(on_arches(allow(names({"riscv_flush_icache"})), {"riscv64"}));

  rules.push_back(with_cap(allow(names({"open_by_handle_at"})), "CAP_DAC_READ_SEARCH"));
  rules.push_back(with_cap(
      allow(names({"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
                   "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
                   "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
                   "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
                   "umount",        "umount2",       "unshare"})),
      "CAP_SYS_ADMIN"));
  // Without CAP_SYS_ADMIN, clone only without namespace flags (the flags are argument 1 on
  // s390), and clone3 fails with ENOSYS so that libcs fall back to clone, whose flags a
  // filter can see.
  json clone = allow(names({"clone"}));
  clone["args"] = arg(0, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ");
  clone["excludes"] = {{"caps", {"CAP_SYS_ADMIN"}}, {"arches", {"s390", "s390x"}}};
  rules.push_back(clone);
  json clone_s390 = on_arches(allow(names({"clone"})), {"s390", "s390x"});
  clone_s390["args"] = arg(1, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ");
  clone_s390["excludes"] = {{"caps", {"CAP_SYS_ADMIN"}}};
  rules.push_back(clone_s390);
  rules.push_back({{"names", {"clone3"}},
                   {"action", "SCMP_ACT_ERRNO"},
                   {"errnoRet", 38},
                   {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}});

  rules.push_back(with_cap(allow(names({"reboot"})), "CAP_SYS_BOOT"));
  rules.push_back(with_cap(allow(names({"chroot"})), "CAP_SYS_CHROOT"));
  rules.push_back(
      with_cap(allow(names({"delete_module", "init_module", "finit_module"})), "CAP_SYS_MODULE"));
  rules.push_back(with_cap(allow(names({"acct"})), "CAP_SYS_PACCT"));
  rules.push_back(with_cap(allow(names({"kcmp", "pidfd_getfd", "process_madvise",
                                        "process_vm_readv", "process_vm_writev", "ptrace"})),
                           "CAP_SYS_PTRACE"));
  rules.push_back(with_cap(allow(names({"iopl", "ioperm"})), "CAP_SYS_RAWIO"));
  rules.push_back(with_cap(
      allow(names({"settimeofday", "stime", "clock_settime", "clock_settime64"})), "CAP_SYS_TIME"));
  rules.push_back(with_cap(allow(names({"vhangup"})), "CAP_SYS_TTY_CONFIG"));
  rules.push_back(
      with_cap(allow(names({"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"})),
               "CAP_SYS_NICE"));
  rules.push_back(with_cap(allow(names({"syslog"})), "CAP_SYSLOG"));
  rules.push_back(with_cap(allow(names({"bpf"})), "CAP_BPF"));
  rules.push_back(with_cap(allow(names({"perf_event_open"})), "CAP_PERFMON"));

  json arch_map = json::array();
  auto map = [&](const char* arch, std::initializer_list<const char*> subs) {
    arch_map.push_back({{"architecture", arch}, {"subArchitectures", names(subs)}});
  };
  map("SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  map("SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"});
  map("SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"});
  map("SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"});
  map("SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"});
  map("SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"});
  map("SCMP_ARCH_S390X", {"SCMP_ARCH_S390"});
  map("SCMP_ARCH_RISCV64", {});

  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", 1},
          {"archMap", arch_map},
          {"syscalls", rules}};
}

}  // namespace

const json& default_seccomp_profile() {
  static const json profile = build();
  return profile;
}

}  // namespace berth::daemon

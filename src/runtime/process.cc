#include "runtime/process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "runtime/names.h"
#include "runtime/seccomp.h"

namespace berth::runtime {

namespace {

constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
      return e.substr(key.size() + 1);
  return {};
}

bool is_executable_file(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
}

Status apply_capabilities(const oci::Capabilities& caps) {
  int last = last_capability();
  auto to_values = [&](const std::vector<std::string>& names) {
    std::vector<cap_value_t> out;
    for (const auto& n : names) {
      auto v = capability_from_name(n);
      if (v && *v <= last) out.push_back(static_cast<cap_value_t>(*v));
    }
    return out;
  };
  auto eff = to_values(caps.effective), perm = to_values(caps.permitted),
       inh = to_values(caps.inheritable), amb = to_values(caps.ambient);
  cap_t c = cap_init();
  if (!c) return sys_fail("cap_init");
  if (!eff.empty())
    cap_set_flag(c, CAP_EFFECTIVE, static_cast<int>(eff.size()), eff.data(), CAP_SET);
  if (!perm.empty())
    cap_set_flag(c, CAP_PERMITTED, static_cast<int>(perm.size()), perm.data(), CAP_SET);
  if (!inh.empty())
    cap_set_flag(c, CAP_INHERITABLE, static_cast<int>(inh.size()), inh.data(), CAP_SET);
  int r = cap_set_proc(c);
  cap_free(c);
  if (r < 0) return sys_fail("process.capabilities: set effective/permitted/inheritable");
  cap_reset_ambient();
  for (auto v : amb) {
    // An ambient cap must be permitted and inheritable; the kernel refuses otherwise.
    if (cap_set_ambient(v, CAP_SET) < 0)
      log::debug("process.capabilities.ambient: cannot raise {}", capability_name(v));
  }
  return ok();
}

Status drop_bounding(const oci::Capabilities& caps) {
  int last = last_capability();
  std::vector<bool> keep(static_cast<size_t>(last) + 1, false);
  for (const auto& n : caps.bounding)
    if (auto v = capability_from_name(n); v && *v <= last) keep[static_cast<size_t>(*v)] = true;
  for (int cap = 0; cap <= last; ++cap) {
    if (keep[static_cast<size_t>(cap)]) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return sys_fail("process.capabilities.bounding: drop {}", capability_name(cap));
  }
  return ok();
}

Status switch_user(const oci::User& u, bool in_userns) {
  std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
  // In a user namespace setgroups may be denied (/proc/pid/setgroups); only fail if asked for.
  if (setgroups(groups.size(), groups.data()) < 0 && !(in_userns && groups.empty()))
    return sys_fail("process.user.additionalGids: setgroups");
  if (setresgid(u.gid, u.gid, u.gid) < 0) return sys_fail("process.user.gid: setgid {}", u.gid);
  if (setresuid(u.uid, u.uid, u.uid) < 0) return sys_fail("process.user.uid: setuid {}", u.uid);
  return ok();
}

Status write_lsm_attr(const char* file, const std::string& value) {
  std::string p = std::string("/proc/self/attr/") + file;
  return write_file(p, value);
}

}  // namespace

std::vector<std::string> complete_env(const std::vector<std::string>& env, uint32_t uid) {
  std::vector<std::string> out = env;
  if (env_value(env, "PATH").empty()) {
    bool has = false;
    for (const auto& e : env) has |= e.rfind("PATH=", 0) == 0;
    if (!has) out.push_back(kDefaultPath);
  }
  bool has_home = false;
  for (const auto& e : env) has_home |= e.rfind("HOME=", 0) == 0;
  if (!has_home) {
    std::string home = "/";
    if (auto passwd = read_file("/etc/passwd")) {
      for (const auto& line : split(*passwd, '\n')) {
        auto f = split(line, ':');
        if (f.size() >= 6 && parse_uint(f[2]) == uid) {
          home = f[5];
          break;
        }
      }
    }
    out.push_back("HOME=" + home);
  }
  return out;
}

Result<std::string> resolve_executable(const std::vector<std::string>& args,
                                       const std::vector<std::string>& env) {
  const std::string& name = args.at(0);
  if (name.find('/') != std::string::npos) {
    struct stat st;
    if (stat(name.c_str(), &st) < 0)
      return fail(ErrorKind::NotFound, "exec: \"{}\": stat {}: no such file or directory", name,
                  name);
    if (S_ISDIR(st.st_mode))
      return fail(ErrorKind::PermissionDenied, "exec: \"{}\": is a directory", name);
    // Like runc (Go's exec.LookPath): no execute bit fails create with "permission denied",
    // which docker maps to exit code 126.
    if ((st.st_mode & 0111) == 0)
      return fail(ErrorKind::PermissionDenied, "exec: \"{}\": permission denied", name);
    return name;
  }
  std::string path = env_value(env, "PATH");
  if (path.empty()) path = std::string(kDefaultPath).substr(5);
  for (const auto& dir : split(path, ':')) {
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(cand)) return cand;
  }
  return fail(ErrorKind::NotFound, "exec: \"{}\": executable file not found in $PATH", name);
}

Status setup_process_limits(const oci::Process& p, const oci::Spec& spec) {
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const auto& r = p.rlimits[i];
    auto res = rlimit_from_name(r.type);
    if (!res)
      return fail(ErrorKind::InvalidArgument, "process.rlimits[{}].type: unknown {:?}", i, r.type);
    rlimit lim{r.soft, r.hard};
    if (setrlimit(static_cast<__rlimit_resource>(*res), &lim) < 0)
      return sys_fail("process.rlimits[{}]: setrlimit {}", i, r.type);
  }
  if (p.oom_score_adj) {
    if (auto st = write_file("/proc/self/oom_score_adj", std::to_string(*p.oom_score_adj)); !st)
      return std::unexpected(std::move(st.error()).context("process.oomScoreAdj"));
  }
  if (spec.linux && spec.linux->personality) {
    const auto& dom = spec.linux->personality->domain;
    unsigned long persona;
    if (dom == "LINUX")
      persona = PER_LINUX;
    else if (dom == "LINUX32")
      persona = PER_LINUX32;
    else
      return fail(ErrorKind::InvalidArgument, "linux.personality.domain: unknown {:?}", dom);
    if (personality(persona) < 0) return sys_fail("linux.personality: {}", dom);
  }
  if (!p.apparmor_profile.empty()) {
    auto enabled = read_file("/sys/module/apparmor/parameters/enabled");
    if (!enabled || trim(*enabled) != "Y")
      return fail(ErrorKind::Unavailable,
                  "process.apparmorProfile: profile {:?} requested but AppArmor is not enabled "
                  "on this host",
                  p.apparmor_profile);
    BERTH_TRY(write_lsm_attr("exec", "exec " + p.apparmor_profile));
  }
  if (!p.selinux_label.empty()) {
    if (!path_exists("/sys/fs/selinux"))
      return fail(ErrorKind::Unavailable,
                  "process.selinuxLabel: label {:?} requested but SELinux is not enabled on this "
                  "host",
                  p.selinux_label);
    BERTH_TRY(write_lsm_attr("exec", p.selinux_label));
  }
  return ok();
}

Status finalize_process(const oci::Process& p, const oci::Seccomp* seccomp, bool in_userns) {
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it.
  if (seccomp && !p.no_new_privileges) BERTH_TRY(apply_seccomp(*seccomp));
  if (p.capabilities) BERTH_TRY(drop_bounding(*p.capabilities));
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return sys_fail("prctl keepcaps");
  // As runc: chdir while still root; only if that is refused, retry as the user. (A cwd that
  // root can enter but the user cannot, e.g. a 0700 volume, is not an error.)
  bool in_cwd = chdir(p.cwd.c_str()) == 0;
  if (!in_cwd && errno != EACCES && errno != EPERM) return sys_fail("process.cwd: chdir {}", p.cwd);
  BERTH_TRY(switch_user(p.user, in_userns));
  if (!in_cwd && chdir(p.cwd.c_str()) < 0) return sys_fail("process.cwd: chdir {}", p.cwd);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return sys_fail("prctl keepcaps");
  if (p.capabilities) BERTH_TRY(apply_capabilities(*p.capabilities));
  if (p.user.umask) umask(static_cast<mode_t>(*p.user.umask));
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sys_fail("process.noNewPrivileges");
  return ok();
}

Status exec_process(const oci::Process& p, const oci::Seccomp* seccomp,
                    const std::string& executable) {
  std::vector<std::string> env = complete_env(p.env, p.user.uid);
  // The process starts clean: no signal blocked or ignored because a shim, daemon or shell
  // above us blocked or ignored it (a container's `trap ... TERM` must see its TERM).
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Raw rt_sigaction: glibc refuses the two real-time signals it reserves for itself.
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } dfl{SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP)
      syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  // With no_new_privs the filter can wait until the last moment, so nothing the runtime does
  // itself has to pass it.
  if (seccomp && p.no_new_privileges) BERTH_TRY(apply_seccomp(*seccomp));
  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve(executable.c_str(), argv.data(), envp.data());
  return sys_fail("exec {:?}", p.args[0]);
}

}  // namespace berth::runtime

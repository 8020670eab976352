#include "runtime/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/log.h"

namespace berth::runtime {
namespace {

using Filter = std::unique_ptr<void, decltype(&seccomp_release)>;

// libseccomp returns -errno; route it through sys_fail so the message carries strerror.
std::unexpected<Error> lib_fail(int rc, const std::string& what) {
  errno = -rc;
  return sys_fail("{}", what);
}

bool has_errno(std::string_view action) {
  return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

// `field` names the action, `errno_field` its errnoRet companion, for error messages.
Result<uint32_t> parse_action(const std::string& action, std::optional<unsigned> errno_ret,
                              const std::string& field, const std::string& errno_field) {
  // The spec requires failing on an errnoRet the action cannot carry.
  if (errno_ret && !has_errno(action)) {
    return fail(ErrorKind::InvalidArgument,
                "{}: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not {}", errno_field,
                action);
  }
  // The kernel keeps 16 bits of SECCOMP_RET_DATA; anything wider would silently wrap.
  if (errno_ret && *errno_ret > 0xffff) {
    return fail(ErrorKind::InvalidArgument, "{}: {} is out of range (max 65535)", errno_field,
                *errno_ret);
  }
  unsigned data = errno_ret.value_or(EPERM);
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(data);
  // runc defaults the trace message number to EPERM as well.
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(data);
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  return fail(ErrorKind::InvalidArgument, "{}: unknown action \"{}\"", field, action);
}

Result<scmp_compare> parse_op(const std::string& op, const std::string& field) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return fail(ErrorKind::InvalidArgument, "{}: unknown operator \"{}\"", field, op);
}

// "SCMP_ARCH_X86_64" -> "x86_64", which libseccomp resolves; this follows new libseccomp
// architectures without a table to maintain.
Result<uint32_t> parse_arch(const std::string& arch, const std::string& field) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  if (arch.starts_with(kPrefix)) {
    std::string name = arch.substr(kPrefix.size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    if (token != 0) return token;
  }
  return fail(ErrorKind::InvalidArgument, "{}: unknown architecture \"{}\"", field, arch);
}

Status set_flag(scmp_filter_ctx ctx, const std::string& flag, const std::string& field) {
  scmp_filter_attr attr;
  if (flag == "SECCOMP_FILTER_FLAG_TSYNC") {
    attr = SCMP_FLTATR_CTL_TSYNC;
  } else if (flag == "SECCOMP_FILTER_FLAG_LOG") {
    attr = SCMP_FLTATR_CTL_LOG;
  } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
    attr = SCMP_FLTATR_CTL_SSB;
  } else if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    attr = SCMP_FLTATR_CTL_WAITKILL;
#else
    return fail(ErrorKind::InvalidArgument,
                "{}: {} is not supported by libseccomp {}.{}.{} (needs 2.6)", field, flag,
                SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
#endif
  } else {
    return fail(ErrorKind::InvalidArgument, "{}: unknown flag \"{}\"", field, flag);
  }
  int rc = seccomp_attr_set(ctx, attr, 1);
  if (rc < 0) return lib_fail(rc, fmt::format("{}: setting {}", field, flag));
  return ok();
}

struct Built {
  Filter filter{nullptr, &seccomp_release};
  bool notify = false;
};

Status add_syscall(scmp_filter_ctx ctx, const oci::SeccompSyscall& call, size_t i,
                   uint32_t default_action, bool& notify) {
  std::string path = fmt::format("linux.seccomp.syscalls[{}]", i);
  if (call.names.empty()) {
    return fail(ErrorKind::InvalidArgument, "{}.names: at least one name is required", path);
  }
  BERTH_ASSIGN(uint32_t action,
               parse_action(call.action, call.errno_ret, path + ".action", path + ".errnoRet"));
  std::vector<scmp_arg_cmp> conds;
  std::array<int, 6> per_index{};
  bool shared_index = false;
  for (size_t k = 0; k < call.args.size(); ++k) {
    const oci::SeccompArg& a = call.args[k];
    std::string arg_path = fmt::format("{}.args[{}]", path, k);
    if (a.index >= per_index.size()) {
      return fail(ErrorKind::InvalidArgument, "{}.index: {} is out of range (0-5)", arg_path,
                  a.index);
    }
    BERTH_ASSIGN(scmp_compare op, parse_op(a.op, arg_path + ".op"));
    // For MASKED_EQ libseccomp takes the mask first, as the spec's value/valueTwo do.
    conds.push_back(scmp_arg_cmp{a.index, op, a.value, a.value_two});
    shared_index |= ++per_index[a.index] > 1;
  }
  // libseccomp rejects a rule equal to the default action; it would be a no-op anyway.
  if (action == default_action) return ok();
  notify |= action == SCMP_ACT_NOTIFY;

  for (size_t j = 0; j < call.names.size(); ++j) {
    const std::string& name = call.names[j];
    if (name.empty()) {
      return fail(ErrorKind::InvalidArgument, "{}.names[{}]: empty syscall name", path, j);
    }
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      // Profiles such as Docker's name syscalls newer than this libseccomp; runc skips them.
      log::debug("seccomp: ignoring syscall \"{}\" unknown to libseccomp", name);
      continue;
    }
    int rc = 0;
    if (shared_index) {
      // libseccomp refuses two comparisons on one argument in a rule, so like runc fall
      // back to one rule per condition, which ORs them.
      for (const scmp_arg_cmp& c : conds) {
        rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
        if (rc < 0) break;
      }
    } else {
      rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()),
                                  conds.empty() ? nullptr : conds.data());
    }
    if (rc < 0) return lib_fail(rc, fmt::format("{}: adding rule for \"{}\"", path, name));
  }
  return ok();
}

Result<Built> build(const oci::Seccomp& profile) {
  BERTH_ASSIGN(uint32_t default_action,
               parse_action(profile.default_action, profile.default_errno_ret,
                            "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet"));
  Built b;
  b.filter.reset(seccomp_init(default_action));
  if (!b.filter) return fail(ErrorKind::Internal, "linux.seccomp: seccomp_init failed");
  scmp_filter_ctx ctx = b.filter.get();
  b.notify = default_action == SCMP_ACT_NOTIFY;

  // The runtime sets no_new_privs itself, only when process.noNewPrivileges asks for it.
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) return lib_fail(rc, "linux.seccomp: clearing no_new_privs");
  // Otherwise a failed load reports ECANCELED instead of the kernel's errno.
  rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  if (rc < 0) return lib_fail(rc, "linux.seccomp: enabling raw return codes");

  for (size_t i = 0; i < profile.architectures.size(); ++i) {
    std::string field = fmt::format("linux.seccomp.architectures[{}]", i);
    BERTH_ASSIGN(uint32_t arch, parse_arch(profile.architectures[i], field));
    rc = seccomp_arch_add(ctx, arch);
    // The native architecture is already present.
    if (rc < 0 && rc != -EEXIST) {
      return lib_fail(rc, fmt::format("{}: adding {}", field, profile.architectures[i]));
    }
  }
  for (size_t i = 0; i < profile.flags.size(); ++i) {
    BERTH_TRY(set_flag(ctx, profile.flags[i], fmt::format("linux.seccomp.flags[{}]", i)));
  }
  // A binary tree beats a linear scan for long profiles, when the filter runs and when the
  // kernel loads it (its cache of always-allowed syscalls runs the program once per syscall
  // number: Docker's default profile loaded in 1.06 ms as a chain, 0.34 as a tree). Like
  // runc only past 32 syscalls (runc's config has one entry per name), since libseccomp
  // <= 2.5.4 misbehaves with the tree and no rules; best effort.
  // Only names that become rules count: an entry with the default action adds none.
  size_t names = 0;
  for (const auto& s : profile.syscalls) {
    auto action = parse_action(s.action, s.errno_ret, "", "");
    if (action && *action != default_action) names += s.names.size();
  }
  if (names > 32) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    BERTH_TRY(add_syscall(ctx, profile.syscalls[i], i, default_action, b.notify));
  }
  if (b.notify && seccomp_api_get() < 5) {
    return fail(ErrorKind::InvalidArgument,
                "linux.seccomp: SCMP_ACT_NOTIFY needs libseccomp API level 5, have {}",
                seccomp_api_get());
  }
  return b;
}

// Everything the compiled program depends on, in one string: the profile's fields, the
// libseccomp version and the machine.
std::string cache_key(const oci::Seccomp& p) {
  const scmp_version* v = seccomp_version();
  // -3: programs of long profiles are trees now (cached chains are not reused)
  std::string k = fmt::format("berth-seccomp-3 libseccomp {}.{}.{} arch {}\n", v->major, v->minor,
                              v->micro, seccomp_arch_native());
  // Every string with its length and every optional number with its presence, so no two
  // profiles write the same key ("a b" as one name is not "a" and "b").
  auto str = [&](std::string_view t) { k += fmt::format("{}:{};", t.size(), t); };
  auto opt = [&](std::optional<unsigned> n) { k += n ? fmt::format("={};", *n) : "-;"; };
  str(p.default_action);
  opt(p.default_errno_ret);
  k += fmt::format("\narch {}:", p.architectures.size());
  for (auto& a : p.architectures) str(a);
  k += fmt::format("\nflags {}:", p.flags.size());
  for (auto& f : p.flags) str(f);
  k += "\nlistener ";
  str(p.listener_path);
  for (auto& c : p.syscalls) {
    k += "\nrule ";
    str(c.action);
    opt(c.errno_ret);
    k += fmt::format("names {}:", c.names.size());
    for (auto& n : c.names) str(n);
    k += fmt::format("args {}:", c.args.size());
    for (auto& a : c.args) {
      k += fmt::format("{},{},{},", a.index, a.value, a.value_two);
      str(a.op);
    }
  }
  return k;
}

struct Precompiled {
  std::string key;  // cache_key of the profile it was made for
  std::vector<sock_filter> program;
};
Precompiled precompiled;

// A cache file: the key's length, the key, then the program.
std::optional<std::vector<sock_filter>> read_cached(const std::string& path,
                                                    const std::string& key) {
  auto text = read_file(path);
  if (!text || text->size() < sizeof(uint32_t)) return std::nullopt;
  uint32_t klen;
  memcpy(&klen, text->data(), sizeof klen);
  size_t off = sizeof klen + klen;
  if (off > text->size() || text->compare(sizeof klen, klen, key) != 0) return std::nullopt;
  size_t bytes = text->size() - off;
  if (bytes == 0 || bytes % sizeof(sock_filter) != 0 || bytes / sizeof(sock_filter) > BPF_MAXINSNS)
    return std::nullopt;
  std::vector<sock_filter> prog(bytes / sizeof(sock_filter));
  memcpy(prog.data(), text->data() + off, bytes);
  return prog;
}

void write_cached(const std::string& dir, const std::string& path, const std::string& key,
                  const std::vector<sock_filter>& prog) {
  if (!mkdir_all(dir, 0700)) return;
  uint32_t klen = static_cast<uint32_t>(key.size());
  std::string data(reinterpret_cast<const char*>(&klen), sizeof klen);
  data += key;
  data.append(reinterpret_cast<const char*>(prog.data()), prog.size() * sizeof(sock_filter));
  (void)write_file_atomic(path, data, 0600);
}

// libseccomp's program for a built filter, through a memfd (2.5 has no in-memory export).
std::optional<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
  UniqueFd fd(memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!fd || seccomp_export_bpf(ctx, fd.get()) < 0) return std::nullopt;
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) return std::nullopt;
  // longer than the kernel takes: apply_seccomp builds it again and reports the kernel's error
  if (static_cast<size_t>(size) / sizeof(sock_filter) > BPF_MAXINSNS) return std::nullopt;
  std::vector<sock_filter> prog(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(fd.get(), prog.data(), static_cast<size_t>(size), 0) != size) return std::nullopt;
  return prog;
}

}  // namespace

Status prepare_seccomp(const oci::Seccomp& profile, const std::string& cache_dir) {
  precompiled = {};
  if (!profile.flags.empty() || !profile.listener_path.empty()) return check_seccomp(profile);
  std::string key = cache_key(profile);
  std::string path = fmt::format("{}/{:016x}", cache_dir, std::hash<std::string>{}(key));
  if (auto prog = read_cached(path, key)) {  // built (so checked) before
    precompiled = {key, std::move(*prog)};
    return ok();
  }
  BERTH_ASSIGN(Built b, build(profile));
  if (b.notify) return ok();  // apply_seccomp builds it again and takes the listener fd
  auto prog = export_program(b.filter.get());
  if (!prog) return ok();  // apply_seccomp builds it again
  write_cached(cache_dir, path, key, *prog);
  precompiled = {key, std::move(*prog)};
  return ok();
}

Status check_seccomp(const oci::Seccomp& profile) {
  BERTH_TRY(build(profile));
  return ok();
}

Result<UniqueFd> apply_seccomp(const oci::Seccomp& profile) {
  // the prepared program only for the very profile it was made from (compared in full: an
  // object at the same address may be another profile)
  if (!precompiled.program.empty() && precompiled.key == cache_key(profile)) {
    sock_fprog prog{static_cast<unsigned short>(precompiled.program.size()),
                    precompiled.program.data()};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
      return sys_fail("linux.seccomp: loading filter");
    return UniqueFd();
  }
  BERTH_ASSIGN(Built b, build(profile));
  int rc = seccomp_load(b.filter.get());
  if (rc < 0) return lib_fail(rc, "linux.seccomp: loading filter");
  if (!b.notify) return UniqueFd();
  // The listener fd is ours to close; libseccomp only remembers its number.
  int fd = seccomp_notify_fd(b.filter.get());
  if (fd < 0) return lib_fail(fd, "linux.seccomp: getting notify fd");
  return UniqueFd(fd);
}

}  // namespace berth::runtime

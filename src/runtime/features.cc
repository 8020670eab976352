#include "runtime/features.h"

#include <seccomp.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "runtime/cgroup/manager.h"
#include "runtime/names.h"
#include "runtime/namespaces.h"

namespace berth::runtime {

std::string features_json() {
  nlohmann::json caps = nlohmann::json::array();
  for (int c = 0; c <= last_capability(); ++c) caps.push_back(capability_name(c));
  nlohmann::json ns = nlohmann::json::array();
  for (const auto& k : namespace_kinds()) ns.push_back(k.type);
  auto mode = cgroup::detect_mode();
  nlohmann::json j = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.2.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions",
       {"async",     "atime",       "bind",          "defaults",  "dev",         "diratime",
        "dirsync",   "exec",        "iversion",      "lazytime",  "loud",        "mand",
        "noatime",   "nodev",       "nodiratime",    "noexec",    "noiversion",  "nolazytime",
        "nomand",    "norelatime",  "nostrictatime", "nosuid",    "nosymfollow", "private",
        "rbind",     "rdev",        "rdiratime",     "relatime",  "remount",     "rexec",
        "rnoatime",  "rnodev",      "rnodiratime",   "rnoexec",   "rnosuid",     "rnosymfollow",
        "ro",        "rprivate",    "rro",           "rrw",       "rshared",     "rslave",
        "rsuid",     "rsymfollow",  "runbindable",   "rw",        "shared",      "silent",
        "slave",     "strictatime", "suid",          "symfollow", "sync",        "tmpcopyup",
        "unbindable"}},
      {"linux",
       {{"namespaces", ns},
        {"capabilities", caps},
        {"cgroup",
         {{"v1", mode != cgroup::Mode::V2},
          {"v2", mode != cgroup::Mode::V1},
          {"systemd", false},
          {"systemdUser", false},
          {"rdma", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
            "SCMP_ACT_TRAP"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
            "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
          {"archs",
           {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
            "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
            "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
            "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32",
            "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}},
          {"knownFlags",
           {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
            "SECCOMP_FILTER_FLAG_LOG"}},
          {"supportedFlags",
           {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
            "SECCOMP_FILTER_FLAG_LOG"}}}},
        {"apparmor", {{"enabled", path_exists("/sys/kernel/security/apparmor")}}},
        {"selinux", {{"enabled", path_exists("/sys/fs/selinux")}}},
        {"intelRdt", {{"enabled", false}}},
        {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version",
         fmt::format("{}.{}.{}", seccomp_version()->major, seccomp_version()->minor,
                     seccomp_version()->micro)},
        {"org.opencontainers.runtime-spec.features.seccomp.enabled", "true"}}}};
  return j.dump(4);
}

}  // namespace berth::runtime

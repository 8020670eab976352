// Docker-format seccomp profiles to OCI linux.seccomp: which rules a container gets for its
// capabilities, the architecture and the kernel, and the errors for bad profiles.
#include "daemon/seccomp_profile.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/security_opts.h"
#include "daemon/spec.h"
#include "oci/spec.h"
#include "runtime/seccomp.h"

namespace berth::daemon {
namespace {

using nlohmann::json;

// Every rule of the OCI profile that names `syscall`.
std::vector<json> rules_for(const json& oci, const std::string& syscall) {
  std::vector<json> out;
  for (auto& r : oci["syscalls"])
    for (auto& n : r["names"])
      if (n == syscall) out.push_back(r);
  return out;
}

SeccompTarget x86(std::vector<std::string> caps, std::string kernel = "6.1.0-13-amd64") {
  return {std::move(caps), "x86_64", std::move(kernel)};
}

TEST(SeccompProfile, DefaultWithoutSysAdminAllowsCloneOnlyWithoutNamespaceFlags) {
  auto oci = seccomp_to_oci(default_seccomp_profile(), x86(default_capabilities()));
  ASSERT_TRUE(oci) << oci.error().message();
  EXPECT_EQ((*oci)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*oci)["defaultErrnoRet"], 1);
  EXPECT_EQ((*oci)["architectures"],
            json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_TRUE(rules_for(*oci, "mount").empty());
  EXPECT_TRUE(rules_for(*oci, "unshare").empty());
  EXPECT_TRUE(rules_for(*oci, "reboot").empty());
  auto clone = rules_for(*oci, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0]["args"][0]["index"], 0);  // not s390's argument order
  EXPECT_EQ(clone[0]["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clone[0]["args"][0]["value"], 0x7E020000u);
  auto clone3 = rules_for(*oci, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0]["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3[0]["errnoRet"], 38);             // ENOSYS: libc falls back to clone
  EXPECT_EQ(rules_for(*oci, "chroot").size(), 1u);  // CAP_SYS_CHROOT is a default cap
  EXPECT_EQ(rules_for(*oci, "arch_prctl").size(), 1u);
  EXPECT_TRUE(rules_for(*oci, "s390_runtime_instr").empty());
  EXPECT_EQ(rules_for(*oci, "personality").size(), 5u);
}

TEST(SeccompProfile, SysAdminAllowsMountAndFreeClone) {
  auto caps = default_capabilities();
  caps.push_back("CAP_SYS_ADMIN");
  auto oci = seccomp_to_oci(default_seccomp_profile(), x86(caps));
  ASSERT_TRUE(oci);
  EXPECT_EQ(rules_for(*oci, "mount").size(), 1u);
  auto clone = rules_for(*oci, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_FALSE(clone[0].contains("args"));
  ASSERT_EQ(rules_for(*oci, "clone3").size(), 1u);
  EXPECT_EQ(rules_for(*oci, "clone3")[0]["action"], "SCMP_ACT_ALLOW");
}

TEST(SeccompProfile, OtherArchitecturesAndOldKernels) {
  auto oci = seccomp_to_oci(default_seccomp_profile(), {default_capabilities(), "s390x", "5.10"});
  ASSERT_TRUE(oci);
  EXPECT_EQ((*oci)["architectures"], json::array({"SCMP_ARCH_S390X", "SCMP_ARCH_S390"}));
  auto clone = rules_for(*oci, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0]["args"][0]["index"], 1);
  EXPECT_TRUE(rules_for(*oci, "arch_prctl").empty());
  EXPECT_EQ(rules_for(*oci, "s390_runtime_instr").size(), 1u);

  auto old = seccomp_to_oci(default_seccomp_profile(), x86(default_capabilities(), "4.4.0"));
  ASSERT_TRUE(old);
  EXPECT_TRUE(rules_for(*old, "ptrace").empty());  // ptrace could bypass seccomp before 4.8
  auto cur = seccomp_to_oci(default_seccomp_profile(), x86(default_capabilities()));
  EXPECT_EQ(rules_for(*cur, "ptrace").size(), 1u);
}

TEST(SeccompProfile, ExcludesByKernelAndOciForm) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"architectures", {"SCMP_ARCH_X86_64"}},
            {"syscalls",
             {{{"name", "mkdir"}, {"action", "SCMP_ACT_ERRNO"}},
              {{"names", {"rmdir"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"excludes", {{"minKernel", "5.0"}}}}}}};
  auto new_kernel = seccomp_to_oci(p, x86({}));
  ASSERT_TRUE(new_kernel);
  EXPECT_EQ((*new_kernel)["architectures"], json::array({"SCMP_ARCH_X86_64"}));
  EXPECT_EQ(rules_for(*new_kernel, "mkdir").size(), 1u);  // the old "name" form
  EXPECT_TRUE(rules_for(*new_kernel, "rmdir").empty());
  EXPECT_EQ(rules_for(*seccomp_to_oci(p, x86({}, "4.19")), "rmdir").size(), 1u);
}

TEST(SeccompProfile, BadProfilesAreNamed) {
  auto e = seccomp_to_oci(json::array(), x86({}));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(e.error().message().find("decoding seccomp profile failed"), std::string::npos);
  EXPECT_FALSE(seccomp_to_oci(json{{"syscalls", json::array()}}, x86({})));
  auto noname = seccomp_to_oci(
      json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {{{"action", "SCMP_ACT_ERRNO"}}}}},
      x86({}));
  ASSERT_FALSE(noname);
  EXPECT_NE(noname.error().message().find("syscalls[0] names no syscall"), std::string::npos);
  // fields of the wrong type are named, never thrown
  for (const char* text :
       {R"({"defaultAction": 5})", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls":
           [{"names": ["read"], "action": 1}]})",
        R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "names": {}}]})",
        R"({"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": 7}]})",
        R"({"defaultAction": "SCMP_ACT_ALLOW", "archMap": [3]})"}) {
    auto r = seccomp_to_oci(json::parse(text), x86({}));
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find("decoding seccomp profile failed"), std::string::npos);
  }
  EXPECT_FALSE(seccomp_to_oci(json{{"defaultAction", "SCMP_ACT_ALLOW"},
                                   {"architectures", {"SCMP_ARCH_X86_64"}},
                                   {"archMap", {{{"architecture", "SCMP_ARCH_X86_64"}}}}},
                              x86({})));
}

// What the daemon writes must be what the runtime accepts: the default profile, converted,
// builds a libseccomp filter.
TEST(SeccompProfile, DefaultBuildsAFilter) {
  auto oci = seccomp_to_oci(default_seccomp_profile(), SeccompTarget::host(default_capabilities()));
  ASSERT_TRUE(oci);
  json spec = json::parse(oci::default_spec_json());
  spec["linux"]["seccomp"] = *oci;
  auto parsed = oci::parse_spec(spec.dump());
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_TRUE(parsed->linux && parsed->linux->seccomp);
  auto st = runtime::check_seccomp(*parsed->linux->seccomp);
  EXPECT_TRUE(st) << st.error().message();
}

TEST(SecurityOpts, DockerdsForms) {
  auto o = parse_security_opts(
      json{{"SecurityOpt", {"no-new-privileges=true", "seccomp=unconfined", "label=disable"}}});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->no_new_privileges);
  EXPECT_EQ(o->seccomp, "unconfined");
  auto colon = parse_security_opts(json{{"SecurityOpt", {"seccomp:{}", "no-new-privileges"}}});
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->seccomp, "{}");
  EXPECT_TRUE(colon->no_new_privileges);
  auto bad = parse_security_opts(json{{"SecurityOpt", {"foo=bar"}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "invalid --security-opt 2: \"foo=bar\"");
  auto nokey = parse_security_opts(json{{"SecurityOpt", {"nonsense"}}});
  ASSERT_FALSE(nokey);
  EXPECT_EQ(nokey.error().message(), "invalid --security-opt 1: \"nonsense\"");
  EXPECT_FALSE(parse_security_opts(json{{"SecurityOpt", {"no-new-privileges=maybe"}}}));
  EXPECT_FALSE(parse_security_opts(json{{"SecurityOpt", "no-new-privileges"}}));  // not a list
}

}  // namespace
}  // namespace berth::daemon

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oci/spec.h"

using berth::oci::parse_spec;
using berth::oci::validate_spec;

namespace {

nlohmann::json minimal() {
  return {{"ociVersion", "1.2.0"},
          {"root", {{"path", "rootfs"}}},
          {"process", {{"args", {"sh"}}, {"cwd", "/"}}},
          {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}}}}}};
}

std::string error_of(const nlohmann::json& j) {
  auto s = parse_spec(j.dump());
  if (!s) return s.error().message();
  auto v = validate_spec(*s);
  return v ? "" : v.error().message();
}

}  // namespace

TEST(SpecParse, DefaultSpecParsesAndValidates) {
  auto s = parse_spec(berth::oci::default_spec_json());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(validate_spec(*s));
  EXPECT_EQ(s->root.path, "rootfs");
  EXPECT_TRUE(s->root.readonly);
  EXPECT_EQ(s->process->rlimits.at(0).type, "RLIMIT_NOFILE");
  EXPECT_EQ(s->process->rlimits.at(0).hard, 1024u);
  EXPECT_TRUE(s->has_namespace("cgroup"));
  EXPECT_EQ(s->mounts.size(), 7u);
  EXPECT_EQ(s->mounts[1].options.at(3), "size=65536k");
  EXPECT_EQ(s->linux->masked_paths.size(), 10u);
}

TEST(SpecParse, FullLinuxSection) {
  auto j = minimal();
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 10}}};
  j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 10}}};
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  j["linux"]["resources"] = {
      {"memory", {{"limit", 1024}, {"swap", 2048}, {"swappiness", 10}, {"disableOOMKiller", true}}},
      {"cpu", {{"shares", 512}, {"quota", -1}, {"cpus", "0-1"}}},
      {"pids", {{"limit", 10}}},
      {"blockIO",
       {{"weight", 100}, {"throttleReadBpsDevice", {{{"major", 8}, {"minor", 0}, {"rate", 1}}}}}},
      {"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 0}}}},
      {"unified", {{"memory.high", "1000"}}},
      {"devices",
       {{{"allow", false}, {"access", "rwm"}},
        {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}}}};
  j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  j["linux"]["personality"] = {{"domain", "LINUX32"}};
  auto s = parse_spec(j.dump());
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_TRUE(validate_spec(*s));
  const auto& r = *s->linux->resources;
  EXPECT_EQ(*r.memory->limit, 1024);
  EXPECT_EQ(*r.memory->disable_oom_killer, true);
  EXPECT_EQ(*r.cpu->quota, -1);
  EXPECT_EQ(r.cpu->cpus, "0-1");
  EXPECT_EQ(*r.pids_limit, 10);
  EXPECT_EQ(r.block_io->read_bps.at(0).rate, 1u);
  EXPECT_EQ(r.hugepage_limits.at(0).page_size, "2MB");
  EXPECT_EQ(r.unified.at("memory.high"), "1000");
  EXPECT_EQ(r.devices.size(), 2u);
  EXPECT_FALSE(r.devices[0].major.has_value());
  EXPECT_EQ(*r.devices[1].minor, 3);
  EXPECT_EQ(s->linux->uid_mappings.at(0).host_id, 1000u);
}

TEST(SpecParse, ErrorsNameTheField) {
  EXPECT_NE(parse_spec("{not json").error().message().find("invalid JSON"), std::string::npos);
  auto j = minimal();
  j["process"]["args"] = "sh";
  EXPECT_NE(error_of(j).find("process.args"), std::string::npos);
  j = minimal();
  j["process"]["user"] = {{"uid", -1}};
  EXPECT_NE(error_of(j).find("process.user.uid"), std::string::npos);
  j = minimal();
  j["mounts"] = {{{"destination", "relative"}}};
  EXPECT_NE(error_of(j).find("mounts[0].destination"), std::string::npos);
  j = minimal();
  j["linux"]["resources"] = {{"memory", {{"limit", "big"}}}};
  EXPECT_NE(error_of(j).find("linux.resources.memory.limit"), std::string::npos);
  j = minimal();
  j["hooks"] = {{"prestart", {{{"path", "rel/hook"}}}}};
  EXPECT_NE(error_of(j).find("hooks.prestart[0].path"), std::string::npos);
  j = minimal();
  j["linux"]["seccomp"] = {{"syscalls", nlohmann::json::array()}};
  EXPECT_NE(error_of(j).find("linux.seccomp.defaultAction"), std::string::npos);
  j = minimal();
  j["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "z"}}};
  EXPECT_NE(error_of(j).find("linux.devices[0].type"), std::string::npos);
  j = minimal();
  j["process"]["oomScoreAdj"] = 5000;
  EXPECT_NE(error_of(j).find("process.oomScoreAdj"), std::string::npos);
}

TEST(SpecValidate, CrossFieldRules) {
  auto j = minimal();
  j.erase("process");
  EXPECT_NE(error_of(j).find("process: required"), std::string::npos);
  j = minimal();
  j["process"]["args"] = nlohmann::json::array();
  EXPECT_NE(error_of(j).find("process.args"), std::string::npos);
  j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "bogus"}});
  EXPECT_NE(error_of(j).find("linux.namespaces[2].type"), std::string::npos);
  j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "pid"}});
  EXPECT_NE(error_of(j).find("duplicate"), std::string::npos);
  j = minimal();
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}};
  EXPECT_NE(error_of(j).find("without a user namespace"), std::string::npos);
  j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  EXPECT_NE(error_of(j).find("needs uidMappings"), std::string::npos);
  j = minimal();
  j["hostname"] = "x";
  EXPECT_NE(error_of(j).find("hostname: requires a new uts namespace"), std::string::npos);
  j = minimal();
  j["linux"]["rootfsPropagation"] = "sideways";
  EXPECT_NE(error_of(j).find("linux.rootfsPropagation"), std::string::npos);
  j = minimal();
  j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
  EXPECT_NE(error_of(j).find("linux.timeOffsets"), std::string::npos);
}

TEST(SpecParse, ProcessJsonForExec) {
  nlohmann::json p = {
      {"args", {"ls", "-l"}}, {"env", {"A=1"}},
      {"cwd", "/tmp"},        {"user", {{"uid", 5}, {"gid", 6}, {"additionalGids", {7, 8}}}},
      {"terminal", true},     {"consoleSize", {{"height", 24}, {"width", 80}}}};
  auto r = berth::oci::parse_process(p, "process");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->args.at(1), "-l");
  EXPECT_EQ(r->user.additional_gids.at(1), 8u);
  EXPECT_EQ(r->console_size->width, 80u);
}

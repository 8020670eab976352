#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "oci/spec.h"
#include "runtime/devices.h"
#include "runtime/state.h"
#include "runtime/validate.h"

using namespace berth;
using namespace berth::runtime;

TEST(DeviceRules, ConfigRulesFirstThenDefaultsAndConfigDevices) {
  oci::Spec spec;
  spec.linux = oci::Linux{};
  spec.linux->resources = oci::Resources{};
  spec.linux->resources->devices = {oci::DeviceRule{false, "a", std::nullopt, std::nullopt, "rwm"}};
  spec.linux->devices = {oci::Device{"c", "/dev/fuse", 10, 229, 0666, 0, 0}};
  auto rules = effective_device_rules(spec);
  ASSERT_GT(rules.size(), 8u);
  EXPECT_FALSE(rules[0].allow);
  EXPECT_EQ(rules[0].type, "a");
  const auto& last = rules.back();
  EXPECT_TRUE(last.allow);
  EXPECT_EQ(*last.major, 10);
  EXPECT_EQ(*last.minor, 229);
  bool has_null = false;
  for (const auto& r : rules) has_null |= r.allow && r.major == 1 && r.minor == 3;
  EXPECT_TRUE(has_null);
}

TEST(Ids, RuncRules) {
  EXPECT_TRUE(validate_id("abc-DEF_1.2+3"));
  EXPECT_FALSE(validate_id(""));
  EXPECT_FALSE(validate_id(".."));
  EXPECT_FALSE(validate_id("a/b"));
  EXPECT_FALSE(validate_id("a b"));
}

TEST(Sysctl, NamespacedKeysOnly) {
  oci::Spec spec;
  spec.linux = oci::Linux{};
  spec.linux->namespaces = {{"ipc", ""}, {"uts", ""}};
  EXPECT_TRUE(validate_sysctl("kernel.shmmax", spec));
  EXPECT_TRUE(validate_sysctl("fs.mqueue.msg_max", spec));
  EXPECT_TRUE(validate_sysctl("kernel.domainname", spec));
  auto net = validate_sysctl("net.ipv4.ip_forward", spec);
  ASSERT_FALSE(net);
  EXPECT_NE(net.error().message().find("network namespace"), std::string::npos);
  spec.linux->namespaces.push_back({"network", ""});
  EXPECT_TRUE(validate_sysctl("net.ipv4.ip_forward", spec));
  EXPECT_FALSE(validate_sysctl("kernel.panic", spec));
  EXPECT_FALSE(validate_sysctl("vm.swappiness", spec));
}

TEST(StateStore, SaveLoadListAndStoppedStatus) {
  char tmpl[] = "/tmp/berth-state-test.XXXXXX";
  std::string root = mkdtemp(tmpl);
  StateStore store(root);
  ContainerState st;
  st.id = "c1";
  st.pid = 999999;  // beyond pid_max's default: never alive
  st.bundle = "/b";
  st.annotations = {{"k", "v"}};
  ASSERT_TRUE(mkdir_all(store.dir("c1")));
  ASSERT_TRUE(store.save(st));
  auto loaded = store.load("c1");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->bundle, "/b");
  EXPECT_EQ(loaded->annotations.at("k"), "v");
  EXPECT_EQ(*store.status(*loaded), ContainerStatus::Stopped);
  EXPECT_EQ(store.list()->size(), 1u);
  EXPECT_EQ(store.load("nope").error().kind(), ErrorKind::NotFound);
  auto j = nlohmann::json::parse(state_json(*loaded, ContainerStatus::Stopped));
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_EQ(j["pid"], 0);
  (void)remove_all(root);
}

// start reads whether there are poststart hooks from the state; a state from before this was
// kept has no answer, and start then reads the spec.
TEST(StateStore, KeepsWhetherThereArePoststartHooks) {
  char tmpl[] = "/tmp/berth-state-test.XXXXXX";
  std::string root = mkdtemp(tmpl);
  StateStore store(root);
  ASSERT_TRUE(mkdir_all(store.dir("c1")));
  ContainerState st;
  st.id = "c1";
  for (std::optional<bool> v :
       {std::optional<bool>(false), std::optional<bool>(true), std::optional<bool>()}) {
    st.poststart_hooks = v;
    ASSERT_TRUE(store.save(st));
    auto loaded = store.load("c1");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->poststart_hooks, v);
  }
  (void)remove_all(root);
}

TEST(Paths, CleanAndJoin) {
  EXPECT_EQ(clean_path("/a/../../b//c/."), "/b/c");
  EXPECT_EQ(clean_path("a/../.."), "..");
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(path_join("/a/", "/b"), "/a/b");
}

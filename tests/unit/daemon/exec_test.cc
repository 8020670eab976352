#include "daemon/exec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace berth::daemon {
namespace {

using nlohmann::json;

json container_process() {
  return {
      {"args", {"sleep", "1000"}},
      {"env", {"PATH=/bin", "A=1"}},
      {"cwd", "/work"},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"capabilities",
       {{"bounding", {"CAP_CHOWN"}}, {"effective", {"CAP_CHOWN"}}, {"permitted", {"CAP_CHOWN"}}}}};
}

TEST(ExecConfig, RefusesWhatDockerRefuses) {
  EXPECT_TRUE(validate_exec_config({{"Cmd", {"true"}}}));
  EXPECT_FALSE(validate_exec_config(json::object()));
  EXPECT_FALSE(validate_exec_config({{"Cmd", json::array()}}));
  EXPECT_FALSE(validate_exec_config({{"Cmd", "true"}}));
  EXPECT_FALSE(validate_exec_config({{"Cmd", {"true"}}, {"Tty", "yes"}}));
  EXPECT_FALSE(validate_exec_config({{"Cmd", {"true"}}, {"Env", {1}}}));
  EXPECT_FALSE(validate_exec_config(json::array()));
  auto e = validate_exec_config({{"Cmd", json::array()}});
  EXPECT_EQ(e.error().message(), "No exec command specified");
}

TEST(ExecProcess, AppliesTheExecOverrides) {
  auto p = exec_process(container_process(), "/nonexistent",
                        {{"Cmd", {"sh", "-c", "x"}},
                         {"Env", {"A=2", "B=3"}},
                         {"WorkingDir", "/tmp"},
                         {"Tty", true},
                         {"ConsoleSize", {24, 80}}},
                        {});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ((*p)["args"], json({"sh", "-c", "x"}));
  EXPECT_EQ((*p)["env"], json({"PATH=/bin", "TERM=xterm", "A=2", "B=3"}));
  EXPECT_EQ((*p)["cwd"], "/tmp");
  EXPECT_EQ((*p)["terminal"], true);
  EXPECT_EQ((*p)["consoleSize"]["width"], 80);
}

TEST(ExecProcess, KeepsTheContainersDefaults) {
  auto p = exec_process(container_process(), "/nonexistent", {{"Cmd", {"true"}}}, {});
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)["cwd"], "/work");
  EXPECT_EQ((*p)["env"], json({"PATH=/bin", "A=1"}));
  EXPECT_EQ((*p)["capabilities"]["effective"], json({"CAP_CHOWN"}));
  EXPECT_FALSE(p->contains("consoleSize"));
}

TEST(ExecProcess, PrivilegedGetsEveryCapability) {
  auto p = exec_process(container_process(), "/nonexistent",
                        {{"Cmd", {"true"}}, {"Privileged", true}}, {});
  ASSERT_TRUE(p);
  EXPECT_GT((*p)["capabilities"]["bounding"].size(), 30u);
  EXPECT_EQ((*p)["capabilities"]["effective"], (*p)["capabilities"]["bounding"]);
}

TEST(ExecProcess, UserFromTheRootfsAndNoEffectiveCapsForNonRoot) {
  test_util::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/etc");
  std::ofstream(dir.path() + "/etc/passwd")
      << "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/:/bin/sh\n";
  std::ofstream(dir.path() + "/etc/group") << "root:x:0:\napp:x:1001:\n";
  auto p = exec_process(container_process(), dir.path(), {{"Cmd", {"id"}}, {"User", "app"}}, {});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ((*p)["user"]["uid"], 1000);
  EXPECT_EQ((*p)["user"]["gid"], 1001);
  EXPECT_EQ((*p)["capabilities"]["effective"], json::array());
  EXPECT_FALSE(
      exec_process(container_process(), dir.path(), {{"Cmd", {"id"}}, {"User", "nobody2"}}, {}));
  EXPECT_FALSE(
      exec_process(container_process(), dir.path(), {{"Cmd", {"id"}}, {"WorkingDir", "rel"}}, {}));
}

}  // namespace
}  // namespace berth::daemon

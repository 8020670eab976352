#include "daemon/mount_points.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace berth::daemon {
namespace {

using nlohmann::json;

TEST(ParseBind, HostPathsVolumeNamesAndModes) {
  auto b = parse_bind("/src:/dst:ro,rshared");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->volume);
  EXPECT_TRUE(b->read_only);
  EXPECT_EQ(b->propagation, "rshared");
  auto v = parse_bind("data:/d:nocopy");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->volume);
  EXPECT_TRUE(v->nocopy);
  EXPECT_FALSE(v->read_only);
  EXPECT_FALSE(parse_bind("/src"));
  EXPECT_FALSE(parse_bind("/src:rel"));
  EXPECT_FALSE(parse_bind("/src:/"));
  EXPECT_FALSE(parse_bind("bad name:/d"));
  EXPECT_FALSE(parse_bind("/src:/d:bogus"));
  EXPECT_FALSE(parse_bind("vol:/d:rshared"));  // propagation is for binds only
}

TEST(ValidateMounts, DuplicatesAndUnknownTypes) {
  EXPECT_FALSE(validate_mounts({{"Binds", {"aa:/x", "bb:/x/"}}}));
  EXPECT_FALSE(validate_mounts({{"Mounts", {{{"Type", "nfs"}, {"Target", "/x"}}}}}));
  EXPECT_FALSE(validate_mounts({{"Mounts", {{{"Type", "tmpfs"}, {"Target", "x"}}}}}));
  EXPECT_FALSE(validate_mounts({{"VolumesFrom", {"c:rx"}}}));
  EXPECT_TRUE(validate_mounts({{"Binds", {"aa:/x"}}, {"VolumesFrom", {"c:ro"}}}));
}

TEST(ResolveMountPoints, NamedAnonymousAndVolumesFrom) {
  test_util::TempDir dir;
  auto store = VolumeStore::open(dir.path() + "/volumes");
  ASSERT_TRUE(store);
  json hc = {{"Binds", {"named:/n", "/host:/h:ro"}},
             {"Tmpfs", {{"/t", ""}}},
             {"VolumesFrom", {"other:ro"}}};
  json cfg = {
      {"Volumes", {{"/anon", json::object()}, {"/n", json::object()}, {"/t", json::object()}}}};
  auto other = [](const std::string& name) -> Result<json> {
    EXPECT_EQ(name, "other");
    return json::array({{{"Type", "bind"}, {"Source", "/o"}, {"Destination", "/o"}, {"RW", true}}});
  };
  auto points = resolve_mount_points(cfg, hc, **store, other);
  ASSERT_TRUE(points) << points.error().message();
  std::map<std::string, json> by_dst;
  for (auto& p : *points) by_dst[p["Destination"]] = p;
  ASSERT_EQ(by_dst.size(), 4u);  // /anon /h /n /o; /t is a tmpfs
  EXPECT_EQ(by_dst["/n"]["Name"], "named");
  EXPECT_EQ(by_dst["/n"]["Mode"], "z");
  EXPECT_EQ(by_dst["/h"]["RW"], false);
  EXPECT_EQ(by_dst["/o"]["RW"], false);
  EXPECT_TRUE(by_dst["/anon"]["Anonymous"].get<bool>());
  EXPECT_EQ(by_dst["/anon"]["Name"].get<std::string>().size(), 64u);
  EXPECT_EQ((*store)->list().size(), 2u);
}

}  // namespace
}  // namespace berth::daemon

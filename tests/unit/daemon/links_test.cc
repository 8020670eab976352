#include "daemon/links.h"

#include <gtest/gtest.h>

namespace berth::daemon {
namespace {

using nlohmann::json;

TEST(ParseLink, NameAliasAndStoredForms) {
  auto a = parse_link("db");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "db");
  EXPECT_EQ(a->alias, "db");
  auto b = parse_link("db:database");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->alias, "database");
  auto c = parse_link("/db:/web/database");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->target, "db");
  EXPECT_EQ(c->alias, "database");
  EXPECT_EQ(stored_link(*b, "/web"), "/db:/web/database");
  EXPECT_FALSE(parse_link(":x"));
  EXPECT_FALSE(parse_link("db:"));
}

TEST(RenamedLinks, TargetAndOwnerFollowTheRename) {
  json links = {"/db:/web/database", "/cache:/web/cache"};
  // the target db became store
  EXPECT_EQ(renamed_links(links, "web", "db", "store"),
            json({"/store:/web/database", "/cache:/web/cache"}));
  // the owner web became front: its own name in each entry
  EXPECT_EQ(renamed_links(links, "front", "web", "front"),
            json({"/db:/front/database", "/cache:/front/cache"}));
  EXPECT_EQ(renamed_links(links, "web", "other", "x"), links);
}

TEST(LinkEnv, DockersVariables) {
  Link l{"db", "my-db"};
  json exposed = {{"53/udp", json::object()}, {"5432/tcp", json::object()}};
  json env = {"PATH=/bin", "FOO=bar", "HOME=/root", "X=a=b"};
  auto v = link_env(l, "/web", "10.0.0.2", exposed, env);
  std::vector<std::string> want = {
      "MY_DB_NAME=/web/my-db",
      "MY_DB_PORT=udp://10.0.0.2:53",
      "MY_DB_PORT_53_UDP=udp://10.0.0.2:53",
      "MY_DB_PORT_53_UDP_ADDR=10.0.0.2",
      "MY_DB_PORT_53_UDP_PORT=53",
      "MY_DB_PORT_53_UDP_PROTO=udp",
      "MY_DB_PORT_5432_TCP=tcp://10.0.0.2:5432",
      "MY_DB_PORT_5432_TCP_ADDR=10.0.0.2",
      "MY_DB_PORT_5432_TCP_PORT=5432",
      "MY_DB_PORT_5432_TCP_PROTO=tcp",
      "MY_DB_ENV_FOO=bar",
      "MY_DB_ENV_X=a=b",
  };
  EXPECT_EQ(v, want);
  EXPECT_EQ(link_env(l, "/web", "10.0.0.2", json(), json()),
            std::vector<std::string>{"MY_DB_NAME=/web/my-db"});
}

TEST(LinkHostsLine, AliasHostnameAndName) {
  EXPECT_EQ(link_hosts_line({"db", "database"}, "10.0.0.2", "abc"), "10.0.0.2\tdatabase abc db\n");
  EXPECT_EQ(link_hosts_line({"db", "db"}, "10.0.0.2", "abc"), "10.0.0.2\tdb abc\n");
}

}  // namespace
}  // namespace berth::daemon

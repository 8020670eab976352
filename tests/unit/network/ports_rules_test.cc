#include <gtest/gtest.h>

#include "network/nat_rules.h"
#include "network/ports.h"

namespace berth::network {
namespace {

using nlohmann::json;

TEST(Ports, BindingsFromHostConfigAndPublishAll) {
  json hc = {{"PortBindings",
              {{"80/tcp", {{{"HostIp", ""}, {"HostPort", "8080"}}}},
               {"53/udp", {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}}},
               {"90", {{{"HostPort", "9000-9010"}}}}}},
             {"PublishAllPorts", true}};
  json exposed = {{"80/tcp", json::object()}, {"443/tcp", json::object()}};
  auto b = port_bindings(hc, exposed);
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_EQ(b->size(), 4u);  // 53/udp, 80/tcp, 90/tcp, and -P's 443/tcp
  std::map<int, PortBinding> by;
  for (auto& p : *b) by[p.container_port] = p;
  EXPECT_EQ(by[80].host_port, 8080);
  EXPECT_EQ(by[53].proto, "udp");
  EXPECT_EQ(by[53].host_ip, "127.0.0.1");
  EXPECT_EQ(by[53].host_port, 0);
  EXPECT_EQ(by[90].host_port, 9000);
  EXPECT_EQ(by[90].host_port_end, 9010);
  EXPECT_EQ(by[443].host_port, 0);
  EXPECT_FALSE(port_bindings({{"PortBindings", {{"80/icmp", json::array()}}}}, {}));
  EXPECT_FALSE(port_bindings({{"PortBindings", {{"70000/tcp", json::array()}}}}, {}));
  EXPECT_FALSE(
      port_bindings({{"PortBindings", {{"80/tcp", {{{"HostPort", "x"}}}}}}}, json::object()));
}

TEST(Ports, DockerShapes) {
  std::vector<PortBinding> bound = {{"tcp", 80, "", 8080, 0}};
  json m = ports_map(bound, {{"80/tcp", json::object()}, {"81/tcp", json::object()}});
  EXPECT_EQ(m["80/tcp"][0]["HostIp"], "0.0.0.0");
  EXPECT_EQ(m["80/tcp"][0]["HostPort"], "8080");
  EXPECT_TRUE(m["81/tcp"].is_null());
  json l = ports_list(m);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0]["PublicPort"], 8080);
  EXPECT_EQ(l[0]["PrivatePort"], 80);
  EXPECT_FALSE(l[1].contains("PublicPort"));
}

TEST(NatRules, PortsIsolationInternalAndIcc) {
  std::string s =
      nat_ruleset("berth_t",
                  {{"br1", "10.1.0.0/24", "fd00:1::/64", true, false, false, {"vetha", "vethb"}},
                   {"br2", "10.2.0.0/24", "", true, true, true, {}}},
                  {{"tcp", "", 8080, "10.1.0.2", 80}, {"udp", "127.0.0.1", 53, "10.1.0.3", 53}});
  EXPECT_NE(s.find("tcp dport 8080 dnat to 10.1.0.2:80"), std::string::npos);
  EXPECT_NE(s.find("ip daddr 127.0.0.1 udp dport 53 dnat to 10.1.0.3:53"), std::string::npos);
  EXPECT_NE(s.find("ip saddr 10.1.0.0/24 oifname != \"br1\" masquerade"), std::string::npos);
  // an internal network is not masqueraded and cannot be left or entered
  EXPECT_EQ(s.find("ip saddr 10.2.0.0/24 oifname != \"br2\" masquerade"), std::string::npos);
  EXPECT_NE(s.find("iifname \"br2\" oifname != \"br2\" drop"), std::string::npos);
  EXPECT_NE(s.find("iifname \"br1\" oifname \"br2\" drop"), std::string::npos);
  EXPECT_NE(s.find("iifname { \"vetha\", \"vethb\" } oifname { \"vetha\", \"vethb\" } drop"),
            std::string::npos);
  // IPv6: masquerade and the same isolation in the ip6 table
  auto v6 = s.find("table ip6 berth_t {");
  ASSERT_NE(v6, std::string::npos);
  EXPECT_NE(s.find("ip6 saddr fd00:1::/64 oifname != \"br1\" masquerade", v6), std::string::npos);
  EXPECT_NE(s.find("iifname \"br1\" oifname \"br2\" drop", v6), std::string::npos);
  EXPECT_NE(s.find("delete table ip6 berth_t"), std::string::npos);
  // the old table goes in the same batch
  EXPECT_EQ(s.find("delete table ip berth_t"), s.find("add table ip berth_t") + 21);
}

}  // namespace
}  // namespace berth::network

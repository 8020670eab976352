#include <gtest/gtest.h>

#include "network/ipam.h"
#include "network/ipam6.h"

namespace berth::network {
namespace {

TEST(Ipam, ParsesSubnets) {
  auto s = Subnet::parse("172.18.5.7/16");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->str(), "172.18.0.0/16");
  EXPECT_TRUE(s->contains(*parse_ipv4("172.18.255.254")));
  EXPECT_FALSE(s->contains(*parse_ipv4("172.19.0.1")));
  EXPECT_FALSE(Subnet::parse("172.18.0.0"));
  EXPECT_FALSE(Subnet::parse("172.18.0.0/33"));
  EXPECT_FALSE(Subnet::parse("300.1.1.1/8"));
}

TEST(Ipam, ChoosesTheFirstFreeSubnetOfThePools) {
  auto taken =
      std::vector<Subnet>{*Subnet::parse("172.17.0.0/16"), *Subnet::parse("172.18.3.0/24")};
  auto s = choose_subnet(default_pools(), taken);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->str(), "172.19.0.0/16");
  // everything in 172.16/12 taken: on to 192.168.0.0/20
  auto s2 = choose_subnet(default_pools(), {*Subnet::parse("172.16.0.0/12")});
  ASSERT_TRUE(s2);
  EXPECT_EQ(s2->str(), "192.168.0.0/20");
  auto pool = parse_pool("base=10.10.0.0/16,size=24");
  ASSERT_TRUE(pool);
  auto s3 = choose_subnet({*pool}, {*Subnet::parse("10.10.0.0/24")});
  EXPECT_EQ(s3->str(), "10.10.1.0/24");
  EXPECT_FALSE(choose_subnet({*pool}, {*Subnet::parse("10.0.0.0/8")}));
  EXPECT_FALSE(parse_pool("base=10.10.0.0/16"));
}

TEST(Ipam, NeverHandsOutAnAddressTwice) {
  auto sub = *Subnet::parse("10.1.0.0/29");  // .0 network, .7 broadcast, .1 gateway
  AddressSet set(sub, *parse_ipv4("10.1.0.1"));
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) {
    auto a = set.allocate();
    ASSERT_TRUE(a);
    EXPECT_TRUE(got.insert(ipv4_str(*a)).second);
  }
  EXPECT_EQ(got,
            (std::set<std::string>{"10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"}));
  EXPECT_FALSE(set.allocate());
  set.release(*parse_ipv4("10.1.0.4"));
  EXPECT_EQ(ipv4_str(*set.allocate()), "10.1.0.4");
  EXPECT_FALSE(set.reserve(*parse_ipv4("10.1.0.4")));
  EXPECT_FALSE(set.reserve(*parse_ipv4("10.1.0.1")));
  EXPECT_FALSE(set.reserve(*parse_ipv4("10.2.0.1")));
}

TEST(Ipam, GoesRoundInsteadOfReusingAtOnce) {
  AddressSet set(*Subnet::parse("10.1.0.0/24"), *parse_ipv4("10.1.0.1"));
  auto a = set.allocate();
  EXPECT_EQ(ipv4_str(*a), "10.1.0.2");
  set.release(*a);
  EXPECT_EQ(ipv4_str(*set.allocate()), "10.1.0.3");
  AddressSet ranged(*Subnet::parse("10.1.0.0/24"), *parse_ipv4("10.1.0.1"),
                    *Subnet::parse("10.1.0.128/25"));
  EXPECT_EQ(ipv4_str(*ranged.allocate()), "10.1.0.128");
}

}  // namespace
}  // namespace berth::network

namespace berth::network {
namespace {

TEST(Ipam6, ParsePrintAndSubnets) {
  auto a = parse_ipv6("fd00:1::5");
  ASSERT_TRUE(a);
  EXPECT_EQ(ipv6_str(*a), "fd00:1::5");
  EXPECT_FALSE(parse_ipv6("10.0.0.1"));
  auto s = Subnet6::parse("fd00:1::9/64");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->str(), "fd00:1::/64");
  EXPECT_TRUE(s->contains(*a));
  EXPECT_FALSE(s->contains(*parse_ipv6("fd00:2::1")));
  EXPECT_TRUE(s->overlaps(*Subnet6::parse("fd00::/16")));
  EXPECT_FALSE(Subnet6::parse("fd00::/129"));
  auto u = random_ula64();
  EXPECT_EQ(u.prefix, 64);
  EXPECT_EQ(ipv6_str(u.base).substr(0, 2), "fd");
  EXPECT_NE(u.base, random_ula64().base);
}

TEST(Ipam6, AllocatesInOrderNeverTwiceNorTheGateway) {
  auto s = *Subnet6::parse("fd00:1::/126");  // offsets 1..3
  AddressSet6 set(s, s.base + 1);
  auto a = set.allocate();
  ASSERT_TRUE(a);
  EXPECT_EQ(ipv6_str(*a), "fd00:1::2");
  EXPECT_EQ(ipv6_str(*set.allocate()), "fd00:1::3");
  EXPECT_FALSE(set.allocate());  // full
  set.release(*a);
  EXPECT_EQ(ipv6_str(*set.allocate()), "fd00:1::2");
  EXPECT_FALSE(set.reserve(*parse_ipv6("fd00:1::1")));  // the gateway
  EXPECT_FALSE(set.reserve(*parse_ipv6("fd00:2::1")));  // outside
}

}  // namespace
}  // namespace berth::network

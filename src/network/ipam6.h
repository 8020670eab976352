// IPv6 address management: subnets (a random unique-local /64 where the user gives none,
// as Docker 27 picks one) and the addresses handed out in one network.
#pragma once

#include <set>
#include <string>

#include "base/error.h"

namespace berth::network {

using Ipv6 = unsigned __int128;  // host byte order

Result<Ipv6> parse_ipv6(const std::string& s);
std::string ipv6_str(Ipv6 a);

struct Subnet6 {
  Ipv6 base = 0;
  int prefix = 0;  // 0: none

  static Result<Subnet6> parse(const std::string& cidr);  // "fd00:1::/64"
  std::string str() const;
  Ipv6 mask() const { return prefix == 0 ? 0 : ~Ipv6{0} << (128 - prefix); }
  bool contains(Ipv6 a) const { return (a & mask()) == base; }
  bool overlaps(const Subnet6& o) const { return contains(o.base) || o.contains(base); }
};

// fdXX:XXXX:XXXX:XXXX::/64 with random bits (RFC 4193's global ID and a subnet ID).
Subnet6 random_ula64();

// The addresses of one IPv6 network, handed out in order from base+1 (the subnet-router
// anycast address and the gateway never), round from the last one like AddressSet.
class AddressSet6 {
 public:
  AddressSet6(Subnet6 subnet, Ipv6 gateway) : subnet_(subnet), gateway_(gateway) {}
  Result<Ipv6> allocate();
  Status reserve(Ipv6 a);
  void release(Ipv6 a) { used_.erase(a); }

 private:
  Subnet6 subnet_;
  Ipv6 gateway_;
  Ipv6 next_ = 1;  // offset in the subnet
  std::set<Ipv6> used_;
};

}  // namespace berth::network

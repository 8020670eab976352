// IPv4 address management: subnets, the choice of a free subnet from address pools as
// Docker makes it, and the addresses handed out in one network.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::network {

Result<uint32_t> parse_ipv4(const std::string& s);
std::string ipv4_str(uint32_t a);

struct Subnet {
  uint32_t base = 0;  // host byte order, host bits zero
  int prefix = 0;

  static Result<Subnet> parse(const std::string& cidr);  // "172.18.0.0/16"
  std::string str() const;
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t last() const { return base | ~mask(); }
  bool contains(uint32_t a) const { return (a & mask()) == base; }
  bool overlaps(const Subnet& o) const { return contains(o.base) || o.contains(base); }
};

// Docker's default pools: 172.17.0.0/16 ... 172.31.0.0/16 as /16s, then 192.168.0.0/16
// as /20s.
struct AddressPool {
  Subnet range;
  int size = 16;  // the prefix of the subnets cut from it
};
std::vector<AddressPool> default_pools();
// "base=10.10.0.0/16,size=24" (--default-address-pools)
Result<AddressPool> parse_pool(const std::string& spec);

// The first subnet of the pools that overlaps none of `taken` (routes, other networks).
Result<Subnet> choose_subnet(const std::vector<AddressPool>& pools,
                             const std::vector<Subnet>& taken);

// The addresses of one network: never handed out twice; the network and broadcast
// addresses and the gateway never at all. Allocation goes round from the last one given,
// as Docker's does, so a released address is not reused at once.
class AddressSet {
 public:
  AddressSet(Subnet subnet, uint32_t gateway, std::optional<Subnet> range = std::nullopt);
  Result<uint32_t> allocate();
  Status reserve(uint32_t a);  // a static --ip, or one restored after a restart
  void release(uint32_t a);
  bool in_use(uint32_t a) const { return used_.count(a) > 0; }

 private:
  Subnet subnet_;
  Subnet range_;
  uint32_t gateway_;
  uint32_t next_;
  std::set<uint32_t> used_;
};

}  // namespace berth::network

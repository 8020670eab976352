#include "network/ipam.h"

#include <arpa/inet.h>

#include "base/strings.h"

namespace berth::network {

Result<uint32_t> parse_ipv4(const std::string& s) {
  in_addr a;
  if (inet_pton(AF_INET, s.c_str(), &a) != 1)
    return fail(ErrorKind::InvalidArgument, "invalid IPv4 address: {:?}", s);
  return ntohl(a.s_addr);
}

std::string ipv4_str(uint32_t a) {
  in_addr n{htonl(a)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &n, buf, sizeof buf);
  return buf;
}

Result<Subnet> Subnet::parse(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos)
    return fail(ErrorKind::InvalidArgument, "invalid CIDR address: {}", cidr);
  auto addr = parse_ipv4(cidr.substr(0, slash));
  auto prefix = parse_uint(cidr.substr(slash + 1));
  if (!addr || !prefix || *prefix > 32)
    return fail(ErrorKind::InvalidArgument, "invalid CIDR address: {}", cidr);
  Subnet s;
  s.prefix = static_cast<int>(*prefix);
  s.base = *addr & s.mask();
  return s;
}

std::string Subnet::str() const {
  return ipv4_str(base) + "/" + std::to_string(prefix);
}

std::vector<AddressPool> default_pools() {
  std::vector<AddressPool> pools;
  for (int b = 17; b <= 31; ++b)
    pools.push_back({*Subnet::parse("172." + std::to_string(b) + ".0.0/16"), 16});
  pools.push_back({*Subnet::parse("192.168.0.0/16"), 20});
  return pools;
}

Result<AddressPool> parse_pool(const std::string& spec) {
  AddressPool p;
  bool have_base = false, have_size = false;
  for (auto& kv : split(spec, ',')) {
    auto eq = kv.find('=');
    std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (k == "base") {
      BERTH_ASSIGN(p.range, Subnet::parse(v));
      have_base = true;
    } else if (k == "size") {
      auto n = parse_uint(v);
      if (!n || *n > 32) return fail(ErrorKind::InvalidArgument, "invalid pool size: {}", v);
      p.size = static_cast<int>(*n);
      have_size = true;
    } else {
      return fail(ErrorKind::InvalidArgument, "invalid address pool field: {}", k);
    }
  }
  if (!have_base || !have_size)
    return fail(ErrorKind::InvalidArgument, "address pool needs base and size: {}", spec);
  if (p.size < p.range.prefix)
    return fail(ErrorKind::InvalidArgument, "pool size {} is larger than its base {}", p.size,
                p.range.str());
  return p;
}

Result<Subnet> choose_subnet(const std::vector<AddressPool>& pools,
                             const std::vector<Subnet>& taken) {
  for (auto& pool : pools) {
    uint64_t step = uint64_t{1} << (32 - pool.size);
    for (uint64_t a = pool.range.base; a <= pool.range.last(); a += step) {
      Subnet s{static_cast<uint32_t>(a), pool.size};
      bool free = true;
      for (auto& t : taken) free &= !s.overlaps(t);
      if (free) return s;
    }
  }
  return fail(ErrorKind::Unavailable,
              "could not find an available, non-overlapping IPv4 address pool among the "
              "defaults to assign to the network");
}

AddressSet::AddressSet(Subnet subnet, uint32_t gateway, std::optional<Subnet> range)
    : subnet_(subnet), range_(range.value_or(subnet)), gateway_(gateway), next_(range_.base) {}

Result<uint32_t> AddressSet::allocate() {
  uint64_t n = uint64_t{range_.last()} - range_.base + 1;
  uint32_t a = next_;
  for (uint64_t i = 0; i < n; ++i, a = (a == range_.last() ? range_.base : a + 1)) {
    bool usable = a != subnet_.base && (subnet_.prefix >= 31 || a != subnet_.last()) &&
                  a != gateway_ && !used_.count(a);
    if (!usable) continue;
    used_.insert(a);
    next_ = a == range_.last() ? range_.base : a + 1;
    return a;
  }
  return fail(ErrorKind::Unavailable,
              "no available IPv4 addresses on this network's address pools: {}", subnet_.str());
}

Status AddressSet::reserve(uint32_t a) {
  if (!subnet_.contains(a))
    return fail(ErrorKind::InvalidArgument,
                "no configured subnet or ip-range contain the IP address {}", ipv4_str(a));
  if (a == gateway_ || a == subnet_.base || used_.count(a))
    return fail(ErrorKind::Conflict, "Address already in use");
  used_.insert(a);
  return ok();
}

void AddressSet::release(uint32_t a) {
  used_.erase(a);
}

}  // namespace berth::network

#include "network/ipam6.h"

#include <arpa/inet.h>

#include "base/random.h"
#include "base/strings.h"

namespace berth::network {

Result<Ipv6> parse_ipv6(const std::string& s) {
  in6_addr a;
  if (inet_pton(AF_INET6, s.c_str(), &a) != 1)
    return fail(ErrorKind::InvalidArgument, "invalid IPv6 address: {:?}", s);
  Ipv6 v = 0;
  for (uint8_t b : a.s6_addr) v = (v << 8) | b;
  return v;
}

std::string ipv6_str(Ipv6 v) {
  in6_addr a;
  for (int i = 15; i >= 0; --i, v >>= 8) a.s6_addr[i] = static_cast<uint8_t>(v & 0xff);
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, buf, sizeof buf);
  return buf;
}

Result<Subnet6> Subnet6::parse(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos)
    return fail(ErrorKind::InvalidArgument, "invalid CIDR address: {}", cidr);
  auto addr = parse_ipv6(cidr.substr(0, slash));
  auto prefix = parse_uint(cidr.substr(slash + 1));
  if (!addr || !prefix || *prefix > 128 || *prefix == 0)
    return fail(ErrorKind::InvalidArgument, "invalid CIDR address: {}", cidr);
  Subnet6 s;
  s.prefix = static_cast<int>(*prefix);
  s.base = *addr & s.mask();
  return s;
}

std::string Subnet6::str() const {
  return ipv6_str(base) + "/" + std::to_string(prefix);
}

Subnet6 random_ula64() {
  std::string hex = random_hex(14);  // 56 bits: the 40-bit global ID and a 16-bit subnet
  Ipv6 v = 0xfd;
  for (char c : hex) v = (v << 4) | static_cast<Ipv6>(std::stoi(std::string(1, c), nullptr, 16));
  return {v << 64, 64};
}

Result<Ipv6> AddressSet6::allocate() {
  Ipv6 size = subnet_.prefix == 0 ? 0 : ~subnet_.mask();  // last offset
  // a /64 is never full in practice: look at most this far
  Ipv6 tries = size < 65536 ? size : 65536;
  Ipv6 off = next_;
  for (Ipv6 i = 0; i < tries; ++i, off = off >= size ? 1 : off + 1) {
    Ipv6 a = subnet_.base | off;
    if (off == 0 || a == gateway_ || used_.count(a)) continue;
    used_.insert(a);
    next_ = off >= size ? 1 : off + 1;
    return a;
  }
  return fail(ErrorKind::Unavailable,
              "no available IPv6 addresses on this network's address pools: {}", subnet_.str());
}

Status AddressSet6::reserve(Ipv6 a) {
  if (!subnet_.contains(a))
    return fail(ErrorKind::InvalidArgument,
                "no configured subnet or ip-range contain the IP address {}", ipv6_str(a));
  if (a == gateway_ || a == subnet_.base || used_.count(a))
    return fail(ErrorKind::Conflict, "Address already in use");
  used_.insert(a);
  return ok();
}

}  // namespace berth::network

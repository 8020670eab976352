// Published TCP ports on the host's IPv6 addresses, ::1 included, relayed inside berthd to
// the container's IPv4 address. nftables cannot serve these: IPv6 has no route_localnet (a
// packet from ::1 never leaves lo), and a container without IPv6 has no address to DNAT to.
// Docker runs a docker-proxy process per port for this; here one thread relays them all.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::network {

class PortProxy {
 public:
  PortProxy();
  ~PortProxy();
  PortProxy(const PortProxy&) = delete;
  PortProxy& operator=(const PortProxy&) = delete;

  // `listener`: a bound IPv6 TCP socket (not listening yet); connections to it are relayed
  // to ipv4:port. Owned by the proxy from now on.
  Status add(const std::string& owner, UniqueFd listener, const std::string& ipv4, int port);
  // Stops accepting for the owner's ports; relays already open run to their end.
  void remove(const std::string& owner);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A bound (not listening) [::]:port or [addr]:port IPv6 TCP socket, IPV6_V6ONLY.
Result<UniqueFd> bind_tcp6(const std::string& addr, int port);

}  // namespace berth::network

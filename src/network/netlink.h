// Links, addresses and routes through rtnetlink (libnl-route-3): bridges, veth pairs, the
// container side of an endpoint. A socket works in the network namespace of the thread
// that opened it; in_netns runs code in another one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"

struct nl_sock;

namespace berth::network {

class Netlink {
 public:
  static Result<Netlink> open();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink();

  bool link_exists(const std::string& name);
  Result<int> ifindex(const std::string& name);
  Status create_bridge(const std::string& name, int mtu);
  // A veth pair: `host` here, `peer` created directly in the namespace of `peer_netns_fd`.
  Status create_veth(const std::string& host, const std::string& peer, int peer_netns_fd, int mtu);
  // A dummy link: the parent of a macvlan network that names none (Docker's dm-<id>).
  Status create_dummy(const std::string& name);
  // A macvlan link `name` on `parent` (here), created directly in the namespace of `netns_fd`.
  // mode: bridge, private, vepa or passthru.
  Status create_macvlan(const std::string& name, const std::string& parent, const std::string& mode,
                        int netns_fd, int mtu);
  // The link with this MAC address, if any, is deleted.
  Status delete_link_with_mac(const std::string& mac);
  Status set_master(const std::string& link, const std::string& bridge);
  Status set_up(const std::string& link);
  Status set_mac(const std::string& link, const std::string& mac);
  Status add_address(const std::string& link, const std::string& cidr);  // "10.0.0.1/24"
  Status add_default_route(const std::string& link, const std::string& gateway);
  // Deleting one end of a veth pair deletes both. A link that is gone already is not an error.
  Status delete_link(const std::string& name);
  // Destinations ("a.b.c.d/n") of the IPv4 routes in the main table.
  Result<std::vector<std::string>> ipv4_routes();

 private:
  explicit Netlink(nl_sock* s) : sock_(s) {}
  nl_sock* sock_ = nullptr;
};

// Runs `fn` on a thread that has joined the network namespace at `netns_path`.
Status in_netns(const std::string& netns_path, const std::function<Status()>& fn);

// A bind-mounted network namespace at `path` (the sandbox key), with lo up.
Status create_netns(const std::string& path);
// Unmounts and removes it; the namespace ends with its last user.
Status remove_netns(const std::string& path);

}  // namespace berth::network

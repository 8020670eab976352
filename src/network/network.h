// A network as Berth keeps it (CNM's Network): the predefined bridge, host and none, and
// user-defined bridges. Persisted as one JSON file per network in Docker's inspect shape.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "network/ipam.h"
#include "network/ipam6.h"

namespace berth::network {

struct Network {
  std::string id, name, driver;  // driver: bridge, macvlan, host, null
  std::string created;
  Subnet subnet;
  uint32_t gateway = 0;
  std::optional<Subnet> ip_range;
  bool ipv6 = false;  // EnableIPv6: then subnet6 and gateway6 are set
  Subnet6 subnet6;
  Ipv6 gateway6 = 0;
  bool internal = false, attachable = false, predefined = false;
  bool icc = true, masquerade = true;
  int mtu = 1500;
  std::string bridge;  // the Linux bridge's name (bridge driver)
  // macvlan: the host link its containers' links sit on, whether we made it (a dummy link,
  // when the user named none) and the macvlan mode
  std::string parent;
  bool own_parent = false;
  std::string macvlan_mode = "bridge";
  std::map<std::string, std::string> labels, options;

  bool has_ipam() const { return driver == "bridge" || driver == "macvlan"; }
  // Docker's network inspect object, without Containers.
  nlohmann::json to_api() const;
  // The record on disk: the API object and the bridge's name, which Docker's Options
  // show only when the user chose it.
  nlohmann::json to_disk() const;
  static Result<Network> from_disk(const nlohmann::json& j);
};

}  // namespace berth::network

// The network controller (CNM): networks, sandboxes (a container's network namespace),
// endpoints (a veth pair with an address on a network), published ports and Berth's
// nftables table. It knows nothing of containers beyond their IDs; the daemon keeps the
// endpoints in the container records and hands them back after a restart.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "network/ipam.h"
#include "network/network.h"
#include "network/port_proxy.h"
#include "network/ports.h"

namespace berth::network {

struct ControllerConfig {
  std::string data_root;  // networks in <data_root>/network
  std::string exec_root;  // sandboxes in <exec_root>/netns
  std::string bridge = "berth0";
  std::string bip;            // "10.200.0.1/24": the default bridge's address and subnet
  std::string fixed_cidr;     // the part of it containers get addresses from
  bool ipv6 = false;          // --ipv6: the default bridge has IPv6 too
  std::string fixed_cidr_v6;  // and this subnet
  std::vector<std::string> default_address_pools;  // "base=...,size=..."
  std::string nft_table;                           // "" -> berth (or berth-<bridge>)
  int mtu = 1500;
};

// What a container asked of one network (Docker's EndpointSettings from the client).
struct EndpointConfig {
  std::vector<std::string> aliases;
  std::string ipv4;  // a static address (--ip)
  std::string ipv6;  // (--ip6)
  std::string mac;
};

struct Endpoint {
  std::string id, network_id, network_name;
  std::string ip, gateway, mac, veth, ifname;
  int prefix = 0;
  std::string ipv6, gateway6;  // on networks with IPv6
  int prefix6 = 0;
  std::vector<std::string> aliases;
  nlohmann::json to_json() const;  // Docker's EndpointSettings (+ our veth)
  static Endpoint from_json(const std::string& network_name, const nlohmann::json& j);
};

class Controller {
 public:
  static Result<std::unique_ptr<Controller>> open(const ControllerConfig& cfg);

  // networks
  Result<Network> create_network(const nlohmann::json& body);
  Result<Network> get(const std::string& ref);  // name, ID or ID prefix
  std::vector<Network> list();
  Status remove_network(const std::string& ref);  // the caller checked for endpoints

  // sandboxes
  std::string sandbox_path(const std::string& container_id) const;
  Status create_sandbox(const std::string& container_id);
  void remove_sandbox(const std::string& container_id);

  // endpoints: `index` names the interface (eth0, eth1...); the first network's gateway
  // is the default route
  Result<Endpoint> join(const std::string& container_id, const std::string& network,
                        const EndpointConfig& ec, int index, bool default_route);
  // `sandbox`: where a macvlan endpoint's link is (it lives in the container's namespace)
  void leave(const Endpoint& ep, const std::string& sandbox = "");
  // For a sandbox that goes away: the veth is deleted (and its address freed) later, on
  // the controller's own thread. Deleting a link waits for an RCU grace period (5-15 ms
  // here), which an exiting container need not wait for.
  void leave_later(const Endpoint& ep);
  ~Controller();

  // ports: reserves the host ports (a random free one where none is given) and installs
  // the DNAT rules. `endpoint_name` is for Docker's error message. A TCP port on every
  // address is also served on every IPv6 address ("::", relayed by the PortProxy); a
  // binding to an IPv6 address is relayed only.
  Result<std::vector<PortBinding>> publish(const std::string& container_id, const std::string& ip,
                                           std::vector<PortBinding> wanted,
                                           const std::string& endpoint_name);
  void unpublish(const std::string& container_id);

  // After a daemon restart, for running containers: what their records say they hold.
  void restore_endpoint(const Endpoint& ep);
  void restore_ports(const std::string& container_id, const std::string& ip,
                     const std::vector<PortBinding>& bound);

  // Rewrites the nftables table from the networks and published ports.
  Status sync_rules();
  // Removes the table and the bridges (tests, and a daemon that is uninstalled).
  const std::string& nft_table() const { return table_; }

 private:
  Controller() = default;
  Status save(const Network& n);
  Status ensure_bridge(const Network& n);
  // The network's host link: its bridge, or a macvlan network's parent (made if ours).
  Status ensure_link(const Network& n);
  void remove_link(const Network& n);  // only what we made
  // macvlan: the parent, its mode, and one network per parent
  Status plan_macvlan(Network& n);
  Status join_macvlan(const Network& n, const Endpoint& ep, const std::string& sandbox,
                      bool default_route);
  Result<Network> make_default_bridge();
  // EnableIPv6 with an IPAM config (or none: a random ULA /64) into n.
  Status plan_ipv6(Network& n, const nlohmann::json& ipam_config);
  std::vector<Subnet> taken_subnets();
  Result<UniqueFd> hold_port(const PortBinding& b);
  void release(const Endpoint& ep);  // the address and the icc rules, once the veth is gone
  void reap();                       // the thread behind leave_later

  ControllerConfig cfg_;
  std::string table_;
  std::vector<AddressPool> pools_;
  std::mutex mu_;
  std::map<std::string, Network> networks_;        // by ID
  std::map<std::string, AddressSet> addresses_;    // by network ID
  std::map<std::string, AddressSet6> addresses6_;  // by network ID, for those with IPv6
  struct Published {
    std::string ip;
    std::vector<PortBinding> ports;
    std::vector<UniqueFd> holds;  // bound sockets: the host ports stay ours
  };
  std::map<std::string, Published> published_;  // by container ID
  PortProxy proxy_;
  std::map<std::string, std::set<std::string>> veths_;  // by network ID (for icc=false)
  std::deque<Endpoint> doomed_;                         // for the reaper, under mu_
  std::condition_variable doomed_cv_;
  bool stopping_ = false;
  std::thread reaper_;
};

// "02:42:ac:11:00:02" from 172.17.0.2, as Docker derives it.
std::string mac_for_ip(uint32_t ip);

}  // namespace berth::network

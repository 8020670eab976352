// Berth's own nftables table, generated whole from the state of the bridges and published
// ports and replaced in one transaction: no rule is ever left half-updated or orphaned.
#pragma once

#include <string>
#include <vector>

namespace berth::network {

struct BridgeRules {
  std::string bridge;   // interface name
  std::string subnet;   // "172.18.0.0/16"
  std::string subnet6;  // "fd00:1::/64" when the network has IPv6
  bool masquerade = true;
  bool icc = true;
  bool internal = false;
  std::vector<std::string> ports;  // its veths (host side), for icc=false
};

struct PortRule {
  std::string proto;    // tcp, udp, sctp
  std::string host_ip;  // "" or 0.0.0.0: every local address
  int host_port = 0;
  std::string container_ip;
  int container_port = 0;
};

// The nft script: (re)creates `table ip <table>`, `table ip6 <table>` (masquerade and
// isolation for IPv6 networks; IPv6 ports go through the PortProxy) and
// `table bridge <table>` atomically.
std::string nat_ruleset(const std::string& table, const std::vector<BridgeRules>& bridges,
                        const std::vector<PortRule>& ports);
// A script that deletes the tables (if they exist).
std::string delete_ruleset(const std::string& table);

}  // namespace berth::network

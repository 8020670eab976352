#include "network/nat_rules.h"

#include <fmt/format.h>

namespace berth::network {

namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

// Routed traffic: internal networks keep to themselves, and networks are isolated from
// each other. The same for both address families.
std::string forward_chain(const std::vector<BridgeRules>& bridges) {
  std::string s =
      "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
  for (auto& b : bridges) {
    std::string br = quoted(b.bridge);
    if (b.internal) {
      s += fmt::format("    iifname {0} oifname != {0} drop\n", br);
      s += fmt::format("    oifname {0} iifname != {0} drop\n", br);
    }
    for (auto& o : bridges)
      if (o.bridge != b.bridge)
        s += fmt::format("    iifname {} oifname {} drop\n", br, quoted(o.bridge));
  }
  return s + "  }\n";
}

}  // namespace

std::string delete_ruleset(const std::string& table) {
  // `add` first: deleting a table that does not exist would fail the whole batch.
  return fmt::format(
      "add table ip {0}\ndelete table ip {0}\nadd table ip6 {0}\ndelete table ip6 {0}\n"
      "add table bridge {0}\ndelete table bridge {0}\n",
      table);
}

std::string nat_ruleset(const std::string& table, const std::vector<BridgeRules>& bridges,
                        const std::vector<PortRule>& ports) {
  std::string s = delete_ruleset(table);
  s += fmt::format("table ip {} {{\n", table);

  // Published ports: traffic for a local address, from outside (prerouting) or from the
  // host itself (output), goes to the container. No proxy process.
  s += "  chain ports {\n";
  for (auto& p : ports) {
    std::string match;
    if (!p.host_ip.empty() && p.host_ip != "0.0.0.0") match = "ip daddr " + p.host_ip + " ";
    s += fmt::format("    {}{} dport {} dnat to {}:{}\n", match, p.proto, p.host_port,
                     p.container_ip, p.container_port);
  }
  s += "  }\n";
  s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
       "    fib daddr type local jump ports\n  }\n";
  s += "  chain output {\n    type nat hook output priority -100; policy accept;\n"
       "    fib daddr type local jump ports\n  }\n";

  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  for (auto& b : bridges) {
    std::string br = quoted(b.bridge);
    // outbound traffic leaves with the host's address
    if (b.masquerade && !b.internal)
      s += fmt::format("    ip saddr {} oifname != {} masquerade\n", b.subnet, br);
    // the host's own 127.0.0.1:port, DNATed to a container, needs a source it can answer
    s += fmt::format("    oifname {} ip saddr 127.0.0.0/8 masquerade\n", br);
    // hairpin: a container reaching its own network through a published port
    s += fmt::format("    oifname {} ip saddr {} ct status dnat masquerade\n", br, b.subnet);
  }
  s += "  }\n";

  s += forward_chain(bridges) + "}\n";

  // IPv6: the same masquerade and isolation for the networks that have it
  s += fmt::format("table ip6 {} {{\n", table);
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  for (auto& b : bridges)
    if (!b.subnet6.empty() && b.masquerade && !b.internal)
      s += fmt::format("    ip6 saddr {} oifname != {} masquerade\n", b.subnet6, quoted(b.bridge));
  s += "  }\n";
  s += forward_chain(bridges) + "}\n";

  // Inter-container traffic on one bridge never reaches the ip family's forward hook (it is
  // bridged, not routed), so icc=false is enforced in the bridge family, between the
  // bridge's ports (the kernel has no bridge-name match there).
  s += fmt::format("table bridge {} {{\n", table);
  s += "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
  for (auto& b : bridges) {
    if (b.icc || b.ports.empty()) continue;
    std::string set;
    for (auto& p : b.ports) set += (set.empty() ? "" : ", ") + quoted(p);
    s += fmt::format("    iifname {{ {0} }} oifname {{ {0} }} drop\n", set);
  }
  s += "  }\n}\n";
  return s;
}

}  // namespace berth::network

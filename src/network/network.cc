#include "network/network.h"

namespace berth::network {

using nlohmann::json;

json Network::to_api() const {
  json ipam_cfg = json::array();
  if (has_ipam()) {
    json c = {{"Subnet", subnet.str()}, {"Gateway", ipv4_str(gateway)}};
    if (ip_range) c["IPRange"] = ip_range->str();
    ipam_cfg.push_back(c);
    if (ipv6) ipam_cfg.push_back({{"Subnet", subnet6.str()}, {"Gateway", ipv6_str(gateway6)}});
  }
  return {{"Name", name},
          {"Id", id},
          {"Created", created},
          {"Scope", "local"},
          {"Driver", driver},
          {"EnableIPv6", ipv6},
          {"IPAM", {{"Driver", "default"}, {"Options", json::object()}, {"Config", ipam_cfg}}},
          {"Internal", internal},
          {"Attachable", attachable},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", json::object()},
          {"Options", options},
          {"Labels", labels}};
}

json Network::to_disk() const {
  json j = to_api();
  j["BerthBridge"] = bridge;
  if (driver == "macvlan") {
    j["BerthParent"] = parent;
    j["BerthOwnParent"] = own_parent;
  }
  return j;
}

Result<Network> Network::from_disk(const json& j) {
  try {
    Network n;
    n.id = j.at("Id");
    n.name = j.at("Name");
    n.driver = j.at("Driver");
    n.created = j.value("Created", "");
    n.internal = j.value("Internal", false);
    n.attachable = j.value("Attachable", false);
    n.labels = j.value("Labels", std::map<std::string, std::string>{});
    n.options = j.value("Options", std::map<std::string, std::string>{});
    n.predefined = n.name == "bridge" || n.name == "host" || n.name == "none";
    auto cfg = j.value("IPAM", json::object()).value("Config", json::array());
    n.ipv6 = j.value("EnableIPv6", false);
    bool have_v4 = false, have_v6 = false;
    for (auto& c : cfg) {
      std::string subnet = c.value("Subnet", "");
      if (subnet.find(':') != std::string::npos) {
        BERTH_ASSIGN(n.subnet6, Subnet6::parse(subnet));
        BERTH_ASSIGN(n.gateway6, parse_ipv6(c.value("Gateway", "")));
        have_v6 = true;
        continue;
      }
      BERTH_ASSIGN(n.subnet, Subnet::parse(subnet));
      BERTH_ASSIGN(n.gateway, parse_ipv4(c.value("Gateway", "")));
      if (c.contains("IPRange")) {
        BERTH_ASSIGN(auto r, Subnet::parse(c.value("IPRange", "")));
        n.ip_range = r;
      }
      have_v4 = true;
    }
    if (n.has_ipam() && !have_v4) return fail(ErrorKind::Internal, "network {}: no subnet", n.name);
    if (n.ipv6 && !have_v6) return fail(ErrorKind::Internal, "network {}: no IPv6 subnet", n.name);
    auto opt = [&](const char* k, const char* def) {
      auto it = n.options.find(k);
      return it == n.options.end() ? std::string(def) : it->second;
    };
    n.bridge = j.value("BerthBridge", opt("com.docker.network.bridge.name", ""));
    n.parent = j.value("BerthParent", "");
    n.own_parent = j.value("BerthOwnParent", false);
    n.macvlan_mode = opt("macvlan_mode", "bridge");
    n.icc = opt("com.docker.network.bridge.enable_icc", "true") == "true";
    n.masquerade = opt("com.docker.network.bridge.enable_ip_masquerade", "true") == "true";
    n.mtu = std::atoi(opt("com.docker.network.driver.mtu", "1500").c_str());
    if (n.mtu <= 0) n.mtu = 1500;
    return n;
  } catch (const json::exception& e) {
    return fail(ErrorKind::Internal, "network record: {}", e.what());
  }
}

}  // namespace berth::network

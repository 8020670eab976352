#include "network/network.h"

namespace berth::network {

using nlohmann::json;

json Network::to_api() const {
  json ipam_cfg = json::array();
  if (has_ipam()) {
    json c = {{"Subnet", subnet.str()}, {"Gateway", ipv4_str(gateway)}};
    if (ip_range) c["IPRange"] = ip_range->str();
    ipam_cfg.push_back(c);
  }
  return {{"Name", name},
          {"Id", id},
          {"Created", created},
          {"Scope", "local"},
          {"Driver", driver},
          {"EnableIPv6", false},
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
    if (n.has_ipam()) {
      if (cfg.empty()) return fail(ErrorKind::Internal, "network {}: no subnet", n.name);
      BERTH_ASSIGN(n.subnet, Subnet::parse(cfg[0].value("Subnet", "")));
      BERTH_ASSIGN(n.gateway, parse_ipv4(cfg[0].value("Gateway", "")));
      if (cfg[0].contains("IPRange")) {
        BERTH_ASSIGN(auto r, Subnet::parse(cfg[0].value("IPRange", "")));
        n.ip_range = r;
      }
    }
    auto opt = [&](const char* k, const char* def) {
      auto it = n.options.find(k);
      return it == n.options.end() ? std::string(def) : it->second;
    };
    n.bridge = j.value("BerthBridge", opt("com.docker.network.bridge.name", ""));
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

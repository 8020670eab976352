#include "network/ports.h"

#include <set>

#include "base/strings.h"

namespace berth::network {

using nlohmann::json;

namespace {

Result<int> port_number(const std::string& s, const std::string& what) {
  auto n = parse_uint(s);
  if (!n || *n == 0 || *n > 65535)
    return fail(ErrorKind::InvalidArgument, "invalid {}: {:?}", what, s);
  return static_cast<int>(*n);
}

}  // namespace

Result<std::pair<int, std::string>> parse_port_proto(const std::string& key) {
  auto slash = key.find('/');
  std::string port = key.substr(0, slash);
  std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return fail(ErrorKind::InvalidArgument, "invalid proto: {:?}", proto);
  BERTH_ASSIGN(int p, port_number(port, "containerPort"));
  return std::pair{p, proto};
}

Result<std::vector<PortBinding>> port_bindings(const json& hc, const json& exposed) {
  std::vector<PortBinding> out;
  std::set<std::string> bound_keys;
  json pb = hc.value("PortBindings", json::object());
  if (!pb.is_object() && !pb.is_null())
    return fail(ErrorKind::InvalidArgument, "invalid PortBindings: not an object");
  if (pb.is_object()) {
    for (auto& [key, list] : pb.items()) {
      BERTH_ASSIGN(auto pp, parse_port_proto(key));
      bound_keys.insert(std::to_string(pp.first) + "/" + pp.second);
      if (!list.is_array()) continue;
      for (auto& b : list) {
        PortBinding p;
        p.container_port = pp.first;
        p.proto = pp.second;
        p.host_ip = b.value("HostIp", "");
        if (p.host_ip == "0.0.0.0") p.host_ip.clear();
        std::string hp = b.value("HostPort", "");
        if (auto dash = hp.find('-'); dash != std::string::npos) {
          BERTH_ASSIGN(p.host_port, port_number(hp.substr(0, dash), "hostPort"));
          BERTH_ASSIGN(p.host_port_end, port_number(hp.substr(dash + 1), "hostPort"));
          if (p.host_port_end < p.host_port)
            return fail(ErrorKind::InvalidArgument, "invalid hostPort: {:?}", hp);
        } else if (!hp.empty()) {
          BERTH_ASSIGN(p.host_port, port_number(hp, "hostPort"));
        }
        out.push_back(p);
      }
    }
  }
  if (hc.value("PublishAllPorts", false) && exposed.is_object()) {
    for (auto& [key, unused] : exposed.items()) {
      BERTH_ASSIGN(auto pp, parse_port_proto(key));
      if (bound_keys.count(std::to_string(pp.first) + "/" + pp.second)) continue;
      PortBinding p;
      p.container_port = pp.first;
      p.proto = pp.second;
      out.push_back(p);
    }
  }
  return out;
}

json ports_map(const std::vector<PortBinding>& bound, const json& exposed) {
  json m = json::object();
  if (exposed.is_object())
    for (auto& [key, unused] : exposed.items())
      if (auto pp = parse_port_proto(key))
        m[std::to_string(pp->first) + "/" + pp->second] = nullptr;
  for (auto& b : bound) {
    std::string key = std::to_string(b.container_port) + "/" + b.proto;
    if (!m[key].is_array()) m[key] = json::array();
    m[key].push_back({{"HostIp", b.host_ip.empty() ? "0.0.0.0" : b.host_ip},
                      {"HostPort", std::to_string(b.host_port)}});
  }
  return m;
}

json ports_list(const json& map) {
  json out = json::array();
  if (!map.is_object()) return out;
  for (auto& [key, list] : map.items()) {
    auto pp = parse_port_proto(key);
    if (!pp) continue;
    if (!list.is_array()) {
      out.push_back({{"PrivatePort", pp->first}, {"Type", pp->second}});
      continue;
    }
    for (auto& b : list)
      out.push_back({{"IP", b.value("HostIp", "")},
                     {"PrivatePort", pp->first},
                     {"PublicPort", std::atoi(b.value("HostPort", "0").c_str())},
                     {"Type", pp->second}});
  }
  return out;
}

}  // namespace berth::network

// Published ports: HostConfig.PortBindings and -P (PublishAllPorts with the Config's
// ExposedPorts) as a list of bindings, and back into Docker's Ports shapes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::network {

struct PortBinding {
  std::string proto = "tcp";
  int container_port = 0;
  std::string host_ip;    // "" for every address
  int host_port = 0;      // 0: any free port (in [host_port_end] when that is set)
  int host_port_end = 0;  // "8080-8090": the first free one of the range
};

// "80/tcp" -> (80, tcp)
Result<std::pair<int, std::string>> parse_port_proto(const std::string& key);

Result<std::vector<PortBinding>> port_bindings(const nlohmann::json& host_config,
                                               const nlohmann::json& exposed_ports);

// NetworkSettings.Ports: {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"18080"}], "81/tcp":null}
nlohmann::json ports_map(const std::vector<PortBinding>& bound,
                         const nlohmann::json& exposed_ports);
// The `Ports` of GET /containers/json: [{"IP","PrivatePort","PublicPort","Type"}]
nlohmann::json ports_list(const nlohmann::json& ports_map);

}  // namespace berth::network

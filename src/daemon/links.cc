#include "daemon/links.h"

#include <algorithm>
#include <cctype>

#include "network/ports.h"

namespace berth::daemon {

using nlohmann::json;

namespace {

std::string env_prefix(const std::string& alias) {
  std::string p;
  for (char c : alias)
    p += std::isalnum(static_cast<unsigned char>(c))
             ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
             : '_';
  return p;
}

std::string last_part(const std::string& s) {
  return s.substr(s.rfind('/') + 1);
}

}  // namespace

Result<Link> parse_link(const std::string& spec) {
  auto colon = spec.find(':');
  Link l;
  l.target = last_part(spec.substr(0, colon));
  l.alias = colon == std::string::npos ? l.target : last_part(spec.substr(colon + 1));
  if (l.target.empty() || l.alias.empty())
    return fail(ErrorKind::InvalidArgument, "invalid link format: {:?}", spec);
  return l;
}

std::string stored_link(const Link& l, const std::string& container_name) {
  return "/" + l.target + ":" + container_name + "/" + l.alias;
}

json renamed_links(const json& links, const std::string& owner_name, const std::string& old_name,
                   const std::string& new_name) {
  if (!links.is_array()) return links;
  json out = json::array();
  for (auto& spec : links) {
    auto l = spec.is_string() ? parse_link(spec.get<std::string>())
                              : fail(ErrorKind::InvalidArgument, "");
    if (!l) {
      out.push_back(spec);
      continue;
    }
    if (l->target == old_name) l->target = new_name;
    out.push_back(stored_link(*l, "/" + owner_name));
  }
  return out;
}

std::vector<std::string> link_env(const Link& l, const std::string& container_name,
                                  const std::string& ip, const json& exposed_ports,
                                  const json& target_env) {
  std::string p = env_prefix(l.alias);
  std::vector<std::string> env{p + "_NAME=" + container_name + "/" + l.alias};
  // ports in Docker's order: by number, tcp before udp
  std::vector<std::pair<int, std::string>> ports;
  if (exposed_ports.is_object())
    for (auto& [key, v] : exposed_ports.items())
      if (auto pp = network::parse_port_proto(key)) ports.push_back(*pp);
  std::sort(ports.begin(), ports.end());
  if (!ports.empty())
    env.push_back(fmt::format("{}_PORT={}://{}:{}", p, ports[0].second, ip, ports[0].first));
  for (auto& [port, proto] : ports) {
    std::string k = fmt::format("{}_PORT_{}_{}", p, port, env_prefix(proto));
    env.push_back(fmt::format("{}={}://{}:{}", k, proto, ip, port));
    env.push_back(fmt::format("{}_ADDR={}", k, ip));
    env.push_back(fmt::format("{}_PORT={}", k, port));
    env.push_back(fmt::format("{}_PROTO={}", k, proto));
  }
  if (target_env.is_array())
    for (auto& e : target_env) {
      if (!e.is_string()) continue;
      std::string s = e;
      auto eq = s.find('=');
      std::string key = s.substr(0, eq);
      if (eq == std::string::npos || key == "HOME" || key == "PATH") continue;
      env.push_back(p + "_ENV_" + s);
    }
  return env;
}

std::string link_hosts_line(const Link& l, const std::string& ip, const std::string& hostname) {
  std::string names = l.alias + " " + hostname;
  if (l.alias != l.target) names += " " + l.target;
  return ip + "\t" + names + "\n";
}

}  // namespace berth::daemon

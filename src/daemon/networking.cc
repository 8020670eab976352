// The daemon's side of networking: which networks a container joins (at create), its
// sandbox, endpoints and ports (at start and exit, and after a restart), connect and
// disconnect. The network controller does the kernel work.
#include <algorithm>
#include <set>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/time.h"
#include "daemon/daemon.h"
#include "daemon/links.h"
#include "network/ports.h"

namespace berth::daemon {

using network::Endpoint;
using network::EndpointConfig;
using nlohmann::json;

namespace {

bool shares_namespace(const std::string& mode) {
  return mode == "host" || mode == "none" || mode.starts_with("container:");
}

std::string primary_network(const json& hc) {
  std::string mode = hc.value("NetworkMode", "default");
  return mode == "default" ? "bridge" : mode;
}

EndpointConfig endpoint_config(const json& settings) {
  EndpointConfig ec;
  if (settings.contains("Aliases") && settings["Aliases"].is_array())
    for (auto& a : settings["Aliases"])
      if (a.is_string()) ec.aliases.push_back(a);
  json ipam = settings.value("IPAMConfig", json::object());
  if (ipam.is_object()) {
    ec.ipv4 = ipam.value("IPv4Address", "");
    ec.ipv6 = ipam.value("IPv6Address", "");
  }
  ec.mac = settings.value("MacAddress", "");
  return ec;
}

// The client's EndpointSettings, checked, as we keep them until the container starts.
Result<json> planned_endpoint(const network::Network& n, const json& requested) {
  json ec = requested.is_object() ? requested : json::object();
  json ipam = ec.value("IPAMConfig", json::object());
  bool user_defined = !n.predefined;
  if (ipam.is_object() &&
      (!ipam.value("IPv4Address", "").empty() || !ipam.value("IPv6Address", "").empty()) &&
      !user_defined)
    return fail(ErrorKind::InvalidArgument,
                "user specified IP address is supported on user defined networks only");
  if (ipam.is_object() && !ipam.value("IPv6Address", "").empty() && !n.ipv6)
    return fail(ErrorKind::InvalidArgument,
                "invalid endpoint settings:\nuser specified IP address is supported only when "
                "connecting to networks with IPv6 enabled");
  json aliases = ec.value("Aliases", json::array());
  if (aliases.is_array() && !aliases.empty() && !user_defined)
    return fail(ErrorKind::InvalidArgument,
                "network-scoped alias is supported only for containers in user defined networks");
  return json{{"IPAMConfig", ipam.is_object() && !ipam.empty() ? ipam : json(nullptr)},
              {"Links", nullptr},
              {"Aliases", aliases.is_array() && !aliases.empty() ? aliases : json(nullptr)},
              {"MacAddress", ec.value("MacAddress", "")},
              {"NetworkID", n.id},
              {"EndpointID", ""},
              {"Gateway", ""},
              {"IPAddress", ""},
              {"IPPrefixLen", 0},
              {"IPv6Gateway", ""},
              {"GlobalIPv6Address", ""},
              {"GlobalIPv6PrefixLen", 0},
              {"DriverOpts", nullptr},
              {"DNSNames", nullptr}};
}

// NetworkSettings.Ports back into bindings (after a restart).
std::vector<network::PortBinding> bound_ports(const json& ports) {
  std::vector<network::PortBinding> out;
  if (!ports.is_object()) return out;
  for (auto& [key, list] : ports.items()) {
    auto pp = network::parse_port_proto(key);
    if (!pp || !list.is_array()) continue;
    for (auto& b : list) {
      network::PortBinding p;
      p.container_port = pp->first;
      p.proto = pp->second;
      p.host_ip = b.value("HostIp", "");
      if (p.host_ip == "0.0.0.0") p.host_ip.clear();
      p.host_port = std::atoi(b.value("HostPort", "0").c_str());
      out.push_back(p);
    }
  }
  return out;
}

// A copy of what networking reads of a container, taken under its lock.
struct NetView {
  json settings;
  std::string mode;
};
NetView net_view(Container& c) {
  std::lock_guard<std::mutex> l(c.mu);
  return {c.network_settings, c.host_config.value("NetworkMode", "default")};
}

void clear_endpoint(json& ep) {
  ep["EndpointID"] = "";
  ep["Gateway"] = "";
  ep["IPAddress"] = "";
  ep["IPPrefixLen"] = 0;
  ep["GlobalIPv6Address"] = "";
  ep["GlobalIPv6PrefixLen"] = 0;
  ep["IPv6Gateway"] = "";
  ep["DNSNames"] = nullptr;
  // a MAC the user chose stays; one derived from the address goes with it
}

}  // namespace

Status Daemon::plan_networks(Container& c, const json& networking_config) {
  std::string mode = c.host_config.value("NetworkMode", "default");
  json eps = networking_config.is_object()
                 ? networking_config.value("EndpointsConfig", json::object())
                 : json::object();
  if (!eps.is_object()) eps = json::object();
  if (eps.contains("default")) {  // the CLI's name for the default network
    eps["bridge"] = eps["default"];
    eps.erase("default");
  }
  json networks = json::object();
  if (mode.starts_with("container:")) {
    BERTH_TRY(get(mode.substr(10)));
  } else {
    std::string primary = primary_network(c.host_config);
    BERTH_ASSIGN(auto n, net_->get(primary));
    json requested = eps.contains(primary) ? eps[primary] : json::object();
    if (n.has_ipam() || n.driver == "host" || n.driver == "null") {
      BERTH_ASSIGN(json ep, planned_endpoint(n, requested));
      networks[n.name] = ep;
    }
    // more networks at create (API 1.44): joined at start after the first
    for (auto& [name, cfg] : eps.items()) {
      if (name == primary || name == n.name || name == n.id) continue;
      if (shares_namespace(mode))
        return fail(ErrorKind::InvalidArgument,
                    "Container cannot be connected to network endpoints: {}", name);
      BERTH_ASSIGN(auto other, net_->get(name));
      BERTH_ASSIGN(json ep, planned_endpoint(other, cfg));
      networks[other.name] = ep;
    }
  }
  c.network_settings = {{"Networks", networks}, {"Ports", json::object()}, {"SandboxKey", ""}};
  return plan_links(c);
}

Status Daemon::plan_links(Container& c) {
  json links = c.host_config.value("Links", json());
  if (!links.is_array() || links.empty()) return ok();
  std::string mode = c.host_config.value("NetworkMode", "default");
  if (shares_namespace(mode))
    return fail(ErrorKind::InvalidArgument,
                "conflicting options: {} type networking can't be used with links. This would "
                "result in undefined behavior",
                mode.starts_with("container:") ? "container" : mode);
  json stored = json::array(), endpoint_links = json::array();
  for (auto& spec : links) {
    if (!spec.is_string())
      return fail(ErrorKind::InvalidArgument, "invalid link format: {}", spec.dump());
    BERTH_ASSIGN(Link l, parse_link(spec.get<std::string>()));
    auto target = get(l.target);
    if (!target)  // a 400: a 404 would make the CLI pull the image
      return fail(ErrorKind::InvalidArgument, "could not get container for {}: {}", l.target,
                  target.error().message());
    l.target = (*target)->name.substr(1);
    stored.push_back(stored_link(l, c.name));
    endpoint_links.push_back(l.target + ":" + l.alias);
  }
  c.host_config["Links"] = stored;
  // on a user-defined network a link is a name its DNS answers for this container
  auto n = net_->get(primary_network(c.host_config));
  if (n && !n->predefined && c.network_settings["Networks"].contains(n->name))
    c.network_settings["Networks"][n->name]["Links"] = endpoint_links;
  return ok();
}

// On the default bridge: /etc/hosts lines and variables for each link (the targets must run).
Result<std::pair<std::string, std::vector<std::string>>> Daemon::resolve_links(Container& c) {
  json links;
  std::string name;
  {
    std::lock_guard<std::mutex> l(c.mu);
    links = c.host_config.value("Links", json());
    name = c.name;
  }
  std::pair<std::string, std::vector<std::string>> out;
  if (!links.is_array()) return out;
  for (auto& spec : links) {
    BERTH_ASSIGN(Link l, parse_link(spec.get<std::string>()));
    auto target = get(l.target);
    if (!target)
      return fail(ErrorKind::NotFound, "could not get container for {}: {}", l.target,
                  target.error().message());
    std::string ip, hostname;
    json exposed, env;
    {
      std::lock_guard<std::mutex> tl((*target)->mu);
      if (!(*target)->state.running)
        return fail(ErrorKind::Conflict, "Cannot link to a non running container: {} AS {}/{}",
                    (*target)->name, name, l.alias);
      json nets = (*target)->network_settings.value("Networks", json::object());
      if (nets.contains("bridge")) ip = nets["bridge"].value("IPAddress", "");
      hostname = (*target)->config.value("Hostname", (*target)->id.substr(0, 12));
      exposed = (*target)->config.value("ExposedPorts", json::object());
      env = (*target)->config.value("Env", json::array());
    }
    if (ip.empty())
      return fail(ErrorKind::InvalidArgument,
                  "Cannot link to /{}, as it does not belong to the default network", l.target);
    out.first += link_hosts_line(l, ip, hostname);
    for (auto& e : link_env(l, name, ip, exposed, env)) out.second.push_back(e);
  }
  return out;
}

Result<std::string> Daemon::setup_network(const std::shared_ptr<Container>& c) {
  json hc, settings, exposed;
  std::string hostname;
  {
    std::lock_guard<std::mutex> l(c->mu);
    hc = c->host_config;
    settings = c->network_settings;
    exposed = c->config.value("ExposedPorts", json::object());
    hostname = c->config.value("Hostname", c->id.substr(0, 12));
  }
  std::string mode = hc.value("NetworkMode", "default");
  if (mode == "host" || mode == "none") return std::string();
  if (mode.starts_with("container:")) {
    BERTH_ASSIGN(auto other, get(mode.substr(10)));
    std::lock_guard<std::mutex> l(other->mu);
    if (!other->state.running)
      return fail(ErrorKind::Conflict, "cannot join network of a non running container: {}",
                  other->id);
    std::string key = other->network_settings.value("SandboxKey", "");
    return key.empty() ? "/proc/" + std::to_string(other->state.pid) + "/ns/net" : key;
  }
  BERTH_TRY(net_->create_sandbox(c->id));
  auto undo = Defer([&] { teardown_network(c); });
  json& nets = settings["Networks"];
  std::string primary = primary_network(hc);
  if (auto n = net_->get(primary)) primary = n->name;
  std::vector<std::string> order;
  if (nets.contains(primary)) order.push_back(primary);
  for (auto& [name, ep] : nets.items())
    if (name != primary) order.push_back(name);
  std::string primary_ip;
  for (size_t i = 0; i < order.size(); ++i) {
    json& ep = nets[order[i]];
    BERTH_ASSIGN(Endpoint e, net_->join(c->id, ep.value("NetworkID", order[i]), endpoint_config(ep),
                                        static_cast<int>(i), i == 0));
    ep["EndpointID"] = e.id;
    ep["NetworkID"] = e.network_id;
    ep["IPAddress"] = e.ip;
    ep["IPPrefixLen"] = e.prefix;
    ep["Gateway"] = e.gateway;
    ep["GlobalIPv6Address"] = e.ipv6;
    ep["GlobalIPv6PrefixLen"] = e.prefix6;
    ep["IPv6Gateway"] = e.gateway6;
    ep["MacAddress"] = e.mac;
    if (auto n = net_->get(e.network_id); n && !n->predefined) {
      json names = json::array({c->name.substr(1), c->id.substr(0, 12)});
      for (auto& a : e.aliases) names.push_back(a);
      ep["DNSNames"] = names;
    }
    if (i == 0) primary_ip = e.ip;
    // recorded at once, so a failure later tears this endpoint down too
    std::lock_guard<std::mutex> l(c->mu);
    c->network_settings["Networks"][order[i]] = ep;
    c->network_settings["SandboxKey"] = net_->sandbox_path(c->id);
  }
  std::string link_lines;
  std::vector<std::string> link_vars;
  if (nets.contains("bridge") && primary == "bridge") {
    BERTH_ASSIGN(auto linked, resolve_links(*c));
    link_lines = std::move(linked.first);
    link_vars = std::move(linked.second);
  }
  BERTH_ASSIGN(auto wanted, network::port_bindings(hc, exposed));
  std::vector<network::PortBinding> bound;
  if (!wanted.empty()) {
    if (primary_ip.empty())
      return fail(ErrorKind::InvalidArgument, "ports cannot be published without a network");
    BERTH_ASSIGN(bound, net_->publish(c->id, primary_ip, wanted, c->name.substr(1)));
  }
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->network_settings["Ports"] = network::ports_map(bound, exposed);
    BERTH_TRY(write_etc_files(*c));
    if (!primary_ip.empty()) {
      // the container's own name resolves to its address, as in Docker's /etc/hosts
      std::string hosts = read_file(c->hosts_path).value_or("");
      BERTH_TRY(write_file_atomic(
          c->hosts_path, hosts + link_lines + primary_ip + "\t" + hostname + "\n", 0644, false));
    }
    c->link_env = std::move(link_vars);
    save(*c);
  }
  BERTH_TRY(start_dns(c));
  undo.dismiss();
  return net_->sandbox_path(c->id);
}

void Daemon::teardown_network(const std::shared_ptr<Container>& c) {
  auto [settings, mode] = net_view(*c);
  if (shares_namespace(mode)) return;
  dns_->remove(c->id);
  net_->unpublish(c->id);
  json nets = settings.value("Networks", json::object());
  for (auto& [name, ep] : nets.items()) {
    if (ep.value("EndpointID", "").empty()) continue;
    net_->leave_later(Endpoint::from_json(name, ep));
    clear_endpoint(ep);
  }
  net_->remove_sandbox(c->id);
  std::lock_guard<std::mutex> l(c->mu);
  c->network_settings["Networks"] = nets;
  c->network_settings["Ports"] = json::object();
  c->network_settings["SandboxKey"] = "";
  save(*c);
}

void Daemon::restore_network(const std::shared_ptr<Container>& c, bool running) {
  auto [settings, mode] = net_view(*c);
  if (shares_namespace(mode)) return;
  if (!running) {
    // the daemon died between an exit and its cleanup
    if (!settings.value("SandboxKey", "").empty()) teardown_network(c);
    return;
  }
  std::string primary_ip;
  json nets = settings.value("Networks", json::object());  // named: items() must not dangle
  for (auto& [name, ep] : nets.items()) {
    if (ep.value("EndpointID", "").empty()) continue;
    net_->restore_endpoint(Endpoint::from_json(name, ep));
    if (primary_ip.empty()) primary_ip = ep.value("IPAddress", "");
  }
  auto bound = bound_ports(settings.value("Ports", json::object()));
  if (!bound.empty()) net_->restore_ports(c->id, primary_ip, bound);
  if (auto st = start_dns(c); !st) log::warn("container {}: dns: {}", c->id, st.error().message());
}

Status Daemon::start_dns(const std::shared_ptr<Container>& c) {
  bool user_network = false;
  std::string sandbox, resolv_path;
  std::vector<std::string> upstreams, search, options;
  {
    std::lock_guard<std::mutex> l(c->mu);
    // --dns: where the embedded server forwards this container's other names (IPv4 ones)
    for (auto& d : c->host_config.value("Dns", json::array()))
      if (d.is_string() && d.get<std::string>().find(':') == std::string::npos)
        upstreams.push_back(d);
    for (auto& d : c->host_config.value("DnsSearch", json::array()))
      if (d.is_string()) search.push_back(d);
    for (auto& d : c->host_config.value("DnsOptions", json::array()))
      if (d.is_string()) options.push_back(d);
    json nets = c->network_settings.value("Networks", json::object());
    for (auto& [name, ep] : nets.items())
      if (!ep.value("EndpointID", "").empty())
        if (auto n = net_->get(ep.value("NetworkID", "")); n && !n->predefined) user_network = true;
    sandbox = c->network_settings.value("SandboxKey", "");
    resolv_path = c->resolv_conf_path;
  }
  if (!user_network || sandbox.empty()) return ok();
  BERTH_TRY(dns_->add(c->id, sandbox, upstreams));
  // Docker's resolv.conf on user networks: the embedded server, the search domains (the
  // container's, else the host's) and options
  std::string resolv = "nameserver 127.0.0.11\n";
  if (!search.empty()) {
    resolv += "search";
    for (auto& s : search) resolv += " " + s;
    resolv += "\n";
  } else {
    for (auto& line : split(read_file("/etc/resolv.conf").value_or(""), '\n'))
      if (line.starts_with("search")) resolv += line + "\n";
  }
  resolv += "options ndots:0";
  for (auto& o : options) resolv += " " + o;
  resolv += "\n";
  return rewrite_file(resolv_path, resolv);  // it may be mounted in a running container
}

std::vector<std::string> Daemon::dns_lookup(const std::string& container_id,
                                            const std::string& name, bool follow_links) {
  std::set<std::string> nets;                 // the asker's networks
  std::map<std::string, std::string> linked;  // its links there: target by alias (lower case)
  auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  {
    auto asker = get(container_id);
    if (!asker) return {};
    std::lock_guard<std::mutex> l((*asker)->mu);
    json eps = (*asker)->network_settings.value("Networks", json::object());
    for (auto& [n, ep] : eps.items()) {
      if (ep.value("EndpointID", "").empty()) continue;
      nets.insert(ep.value("NetworkID", ""));
      if (ep.contains("Links") && ep["Links"].is_array())
        for (auto& spec : ep["Links"])
          if (auto lk =
                  spec.is_string() ? parse_link(spec) : Result<Link>(fail(ErrorKind::Internal, "")))
            linked[lower(lk->alias)] = lk->target;
    }
  }
  // a link's alias answers with its target's address
  if (auto it = linked.find(lower(name)); follow_links && it != linked.end())
    return dns_lookup(container_id, it->second, false);
  auto same = [&](const std::string& a) {
    return a.size() == name.size() &&
           std::equal(a.begin(), a.end(), name.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  std::vector<std::string> ips;
  for (auto& x : list()) {
    std::lock_guard<std::mutex> l(x->mu);
    if (!x->state.running) continue;
    json eps = x->network_settings.value("Networks", json::object());
    for (auto& [n, ep] : eps.items()) {
      if (!nets.count(ep.value("NetworkID", "")) || ep.value("EndpointID", "").empty()) continue;
      bool match = same(x->name.substr(1)) || same(x->id.substr(0, 12));
      if (ep.contains("Aliases") && ep["Aliases"].is_array())
        for (auto& a : ep["Aliases"]) match |= a.is_string() && same(a.get<std::string>());
      if (!match) continue;
      ips.push_back(ep.value("IPAddress", ""));
      if (std::string v6 = ep.value("GlobalIPv6Address", ""); !v6.empty()) ips.push_back(v6);
    }
  }
  return ips;
}

json Daemon::network_containers(const network::Network& n) {
  json out = json::object();
  for (auto& c : list()) {
    std::lock_guard<std::mutex> l(c->mu);
    if (!c->state.running) continue;
    json nets = c->network_settings.value("Networks", json::object());
    for (auto& [name, ep] : nets.items()) {
      if (ep.value("NetworkID", "") != n.id || ep.value("EndpointID", "").empty()) continue;
      out[c->id] = {{"Name", c->name.substr(1)},
                    {"EndpointID", ep.value("EndpointID", "")},
                    {"MacAddress", ep.value("MacAddress", "")},
                    {"IPv4Address",
                     ep.value("IPAddress", "") + "/" + std::to_string(ep.value("IPPrefixLen", 0))},
                    {"IPv6Address", ep.value("GlobalIPv6Address", "").empty()
                                        ? std::string()
                                        : ep.value("GlobalIPv6Address", "") + "/" +
                                              std::to_string(ep.value("GlobalIPv6PrefixLen", 0))}};
    }
  }
  return out;
}

Status Daemon::connect_network(const std::string& net, const std::string& ref,
                               const json& requested) {
  BERTH_ASSIGN(auto n, net_->get(net));
  BERTH_ASSIGN(auto c, get(ref));
  std::lock_guard<std::mutex> op(c->op_mu);
  std::string mode;
  bool running;
  json nets;
  {
    std::lock_guard<std::mutex> l(c->mu);
    mode = c->host_config.value("NetworkMode", "default");
    running = c->state.running;
    nets = c->network_settings.value("Networks", json::object());
  }
  if (shares_namespace(mode) || !n.has_ipam())
    return fail(ErrorKind::InvalidArgument,
                "container sharing network namespace with another container or host cannot be "
                "connected to any other network");
  if (nets.contains(n.name))
    return fail(ErrorKind::PermissionDenied, "endpoint with name {} already exists in network {}",
                c->name.substr(1), n.name);
  BERTH_ASSIGN(json ep, planned_endpoint(n, requested));
  if (running) {
    int index = 0;
    for (auto& [name, e] : nets.items()) index += !e.value("EndpointID", "").empty();
    BERTH_ASSIGN(Endpoint e, net_->join(c->id, n.id, endpoint_config(ep), index, false));
    ep["EndpointID"] = e.id;
    ep["IPAddress"] = e.ip;
    ep["IPPrefixLen"] = e.prefix;
    ep["Gateway"] = e.gateway;
    ep["GlobalIPv6Address"] = e.ipv6;
    ep["GlobalIPv6PrefixLen"] = e.prefix6;
    ep["IPv6Gateway"] = e.gateway6;
    ep["MacAddress"] = e.mac;
    json names = json::array({c->name.substr(1), c->id.substr(0, 12)});
    for (auto& a : e.aliases) names.push_back(a);
    ep["DNSNames"] = names;
  }
  {
    std::lock_guard<std::mutex> l(c->mu);
    c->network_settings["Networks"][n.name] = ep;
    save(*c);
  }
  // names on the new network resolve from now on
  if (running) BERTH_TRY(start_dns(c));
  emit_network(n, "connect", c->id);
  return ok();
}

Status Daemon::disconnect_network(const std::string& net, const std::string& ref, bool force) {
  BERTH_ASSIGN(auto c, get(ref));
  auto n = net_->get(net);
  if (!n && !force) return std::unexpected(n.error());
  std::lock_guard<std::mutex> op(c->op_mu);
  json ep;
  std::string key;
  {
    std::lock_guard<std::mutex> l(c->mu);
    json nets = c->network_settings.value("Networks", json::object());
    for (auto& [name, e] : nets.items())
      if ((n && e.value("NetworkID", "") == n->id) || name == net) {
        key = name;
        ep = e;
      }
    if (key.empty())
      return fail(ErrorKind::PermissionDenied, "container {} is not connected to network {}", c->id,
                  net);
  }
  if (!ep.value("EndpointID", "").empty())
    net_->leave(Endpoint::from_json(key, ep), net_->sandbox_path(c->id));
  std::lock_guard<std::mutex> l(c->mu);
  c->network_settings["Networks"].erase(key);
  save(*c);
  if (n) emit_network(*n, "disconnect", c->id);
  return ok();
}

void Daemon::emit_network(const network::Network& n, const std::string& action,
                          const std::string& container) {
  int64_t ns = now_ns();
  json attrs = {{"name", n.name}, {"type", n.driver}};
  if (!container.empty()) attrs["container"] = container;
  events_.publish({{"Type", "network"},
                   {"Action", action},
                   {"Actor", {{"ID", n.id}, {"Attributes", attrs}}},
                   {"scope", "local"},
                   {"time", ns / 1000000000},
                   {"timeNano", ns}});
}

}  // namespace berth::daemon

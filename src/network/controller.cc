#include "network/controller.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/random.h"
#include "base/time.h"
#include "network/nat_rules.h"
#include "network/netlink.h"
#include "network/nftables.h"

namespace berth::network {

using nlohmann::json;

namespace {

bool is_ipv6(const std::string& ip) {
  return ip.find(':') != std::string::npos;
}

std::string veth_name(const std::string& endpoint_id) {
  return "veth" + endpoint_id.substr(0, 7);
}

void sysctl(const std::string& key, const std::string& value) {
  std::string p = "/proc/sys/";
  for (char c : key) p += c == '.' ? '/' : c;
  if (auto st = write_file(p, value); !st) log::warn("sysctl {}: {}", key, st.error().message());
}

}  // namespace

std::string mac_for_ip(uint32_t ip) {
  return fmt::format("02:42:{:02x}:{:02x}:{:02x}:{:02x}", ip >> 24, (ip >> 16) & 255,
                     (ip >> 8) & 255, ip & 255);
}

json Endpoint::to_json() const {
  return {{"IPAMConfig", nullptr},
          {"Links", nullptr},
          {"Aliases", aliases.empty() ? json(nullptr) : json(aliases)},
          {"MacAddress", mac},
          {"NetworkID", network_id},
          {"EndpointID", id},
          {"Gateway", gateway},
          {"IPAddress", ip},
          {"IPPrefixLen", prefix},
          {"IPv6Gateway", gateway6},
          {"GlobalIPv6Address", ipv6},
          {"GlobalIPv6PrefixLen", prefix6},
          {"DriverOpts", nullptr},
          {"DNSNames", nullptr}};
}

Endpoint Endpoint::from_json(const std::string& network_name, const json& j) {
  Endpoint e;
  e.network_name = network_name;
  e.id = j.value("EndpointID", "");
  e.network_id = j.value("NetworkID", "");
  e.ip = j.value("IPAddress", "");
  e.gateway = j.value("Gateway", "");
  e.mac = j.value("MacAddress", "");
  e.prefix = j.value("IPPrefixLen", 0);
  e.ipv6 = j.value("GlobalIPv6Address", "");
  e.gateway6 = j.value("IPv6Gateway", "");
  e.prefix6 = j.value("GlobalIPv6PrefixLen", 0);
  if (j.contains("Aliases") && j["Aliases"].is_array())
    e.aliases = j["Aliases"].get<std::vector<std::string>>();
  e.veth = veth_name(e.id);
  return e;
}

Result<std::unique_ptr<Controller>> Controller::open(const ControllerConfig& cfg) {
  auto c = std::unique_ptr<Controller>(new Controller());
  c->cfg_ = cfg;
  if (!cfg.nft_table.empty()) {
    c->table_ = cfg.nft_table;
  } else {
    c->table_ = "berth";
    if (cfg.bridge != "berth0")
      for (char ch : "_" + cfg.bridge)
        c->table_ += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  }
  for (auto& p : cfg.default_address_pools) {
    BERTH_ASSIGN(auto pool, parse_pool(p));
    c->pools_.push_back(pool);
  }
  if (c->pools_.empty()) c->pools_ = default_pools();
  BERTH_TRY(mkdir_all(cfg.data_root + "/network", 0700));
  BERTH_TRY(mkdir_all(cfg.exec_root + "/netns", 0700));
  if (DIR* d = opendir((cfg.data_root + "/network").c_str())) {
    while (dirent* e = readdir(d)) {
      std::string f = e->d_name;
      if (!f.ends_with(".json")) continue;
      auto text = read_file(cfg.data_root + "/network/" + f);
      auto j = text ? json::parse(*text, nullptr, false) : json();
      auto n = j.is_object() ? Network::from_disk(j)
                             : Result<Network>(fail(ErrorKind::Internal, "unreadable"));
      if (!n) {
        log::warn("network record {}: {}", f, n.error().message());
        continue;
      }
      c->networks_[n->id] = *n;
    }
    closedir(d);
  }
  bool have_host = false, have_none = false;
  for (auto& [id, n] : c->networks_) {
    have_host |= n.name == "host";
    have_none |= n.name == "none";
  }
  {
    // the flags win over what an earlier run chose; its subnet stays when there is no --bip
    BERTH_ASSIGN(Network n, c->make_default_bridge());
    BERTH_TRY(c->save(n));
  }
  for (auto [name, driver] : {std::pair{"host", "host"}, std::pair{"none", "null"}}) {
    if ((name == std::string("host") && have_host) || (name == std::string("none") && have_none))
      continue;
    Network n;
    n.id = random_hex(64);
    n.name = name;
    n.driver = driver;
    n.created = now_rfc3339();
    n.predefined = true;
    BERTH_TRY(c->save(n));
  }
  sysctl("net.ipv4.ip_forward", "1");
  for (auto& [id, n] : c->networks_) {
    if (!n.has_ipam()) continue;
    c->addresses_.emplace(id, AddressSet(n.subnet, n.gateway, n.ip_range));
    if (n.ipv6) c->addresses6_.emplace(id, AddressSet6(n.subnet6, n.gateway6));
    if (auto st = c->ensure_link(n); !st) log::warn("network {}: {}", n.name, st.error().message());
  }
  BERTH_TRY(c->sync_rules());
  return c;
}

Status Controller::save(const Network& n) {
  BERTH_TRY(write_file_atomic(cfg_.data_root + "/network/" + n.id + ".json", n.to_disk().dump(),
                              0600, true));
  networks_[n.id] = n;
  return ok();
}

std::vector<Subnet> Controller::taken_subnets() {
  std::vector<Subnet> taken;
  if (auto nl = Netlink::open())
    if (auto routes = nl->ipv4_routes())
      for (auto& r : *routes)
        if (auto s = Subnet::parse(r)) taken.push_back(*s);
  for (auto& [id, n] : networks_)
    if (n.has_ipam()) taken.push_back(n.subnet);
  return taken;
}

Result<Network> Controller::make_default_bridge() {
  Network n;
  for (auto& [id, old] : networks_)
    if (old.name == "bridge") n = old;  // keep its ID
  if (n.id.empty()) n.id = random_hex(64);
  n.name = "bridge";
  n.driver = "bridge";
  n.predefined = true;
  if (n.created.empty()) n.created = now_rfc3339();
  n.bridge = cfg_.bridge;
  n.mtu = cfg_.mtu;
  if (!cfg_.bip.empty()) {
    BERTH_ASSIGN(n.subnet, Subnet::parse(cfg_.bip));
    BERTH_ASSIGN(n.gateway, parse_ipv4(cfg_.bip.substr(0, cfg_.bip.find('/'))));
    if (n.gateway == n.subnet.base)
      return fail(ErrorKind::InvalidArgument, "--bip {}: the bridge needs a host address",
                  cfg_.bip);
  } else if (n.subnet.prefix == 0) {
    auto taken = taken_subnets();
    std::erase_if(taken, [&](const Subnet& s) { return s.base == n.subnet.base; });
    BERTH_ASSIGN(n.subnet, choose_subnet(pools_, taken));
    n.gateway = n.subnet.base + 1;
  }
  n.ip_range.reset();
  if (!cfg_.fixed_cidr.empty()) {
    BERTH_ASSIGN(auto r, Subnet::parse(cfg_.fixed_cidr));
    if (!n.subnet.contains(r.base) || r.prefix < n.subnet.prefix)
      return fail(ErrorKind::InvalidArgument, "--fixed-cidr {} is not inside {}", cfg_.fixed_cidr,
                  n.subnet.str());
    n.ip_range = r;
  }
  n.ipv6 = cfg_.ipv6;
  if (n.ipv6) {
    if (cfg_.fixed_cidr_v6.empty())
      return fail(ErrorKind::InvalidArgument,
                  "IPv6 is enabled for the default bridge, but no subnet is configured: use "
                  "--fixed-cidr-v6");
    BERTH_TRY(plan_ipv6(n, json{{"Subnet", cfg_.fixed_cidr_v6}}));
  }
  n.options = {{"com.docker.network.bridge.default_bridge", "true"},
               {"com.docker.network.bridge.enable_icc", "true"},
               {"com.docker.network.bridge.enable_ip_masquerade", "true"},
               {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
               {"com.docker.network.bridge.name", n.bridge},
               {"com.docker.network.driver.mtu", std::to_string(n.mtu)}};
  return n;
}

Status Controller::ensure_bridge(const Network& n) {
  BERTH_ASSIGN(auto nl, Netlink::open());
  if (!nl.link_exists(n.bridge)) BERTH_TRY(nl.create_bridge(n.bridge, n.mtu));
  BERTH_TRY(nl.add_address(n.bridge, ipv4_str(n.gateway) + "/" + std::to_string(n.subnet.prefix)));
  if (n.ipv6) {
    BERTH_TRY(
        nl.add_address(n.bridge, ipv6_str(n.gateway6) + "/" + std::to_string(n.subnet6.prefix)));
    // containers' IPv6 traffic is routed through the host, as Docker sets it up
    sysctl("net.ipv6.conf.all.forwarding", "1");
  }
  BERTH_TRY(nl.set_up(n.bridge));
  // the host's 127.0.0.1:port, DNATed to a container, may then leave through the bridge
  sysctl("net.ipv4.conf." + n.bridge + ".route_localnet", "1");
  return ok();
}

Result<Network> Controller::create_network(const json& body) {
  if (!body.is_object()) return fail(ErrorKind::InvalidArgument, "invalid network config");
  std::string name = body.value("Name", json("")).is_string() ? body.value("Name", "") : "";
  if (name.empty()) return fail(ErrorKind::InvalidArgument, "network name must not be empty");
  std::string driver = body.value("Driver", json("")).is_string() ? body.value("Driver", "") : "";
  if (driver.empty()) driver = "bridge";
  if (driver == "host" || driver == "null")
    return fail(ErrorKind::PermissionDenied, "only one instance of \"{}\" network is allowed",
                driver == "null" ? "none" : driver);
  if (driver != "bridge" && driver != "macvlan")
    return fail(ErrorKind::NotFound, "plugin \"{}\" not found", driver);
  Network n;
  n.id = random_hex(64);
  n.name = name;
  n.driver = driver;
  n.created = now_rfc3339();
  n.internal = body.value("Internal", false);
  n.attachable = body.value("Attachable", false);
  if (body.contains("Labels") && body["Labels"].is_object())
    for (auto& [k, v] : body["Labels"].items())
      if (v.is_string()) n.labels[k] = v;
  if (body.contains("Options") && body["Options"].is_object())
    for (auto& [k, v] : body["Options"].items())
      if (v.is_string()) n.options[k] = v;
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [id, o] : networks_)
    if (o.name == name)
      return fail(ErrorKind::Conflict, "network with name {} already exists", name);
  json cfgs = body.value("IPAM", json::object()).value("Config", json::array());
  json ipam = json::object(), ipam6;
  if (cfgs.is_array())
    for (auto& c : cfgs) {
      if (!c.is_object()) continue;
      bool v6 = c.value("Subnet", "").find(':') != std::string::npos;
      if (v6 && ipam6.is_null()) ipam6 = c;
      if (!v6 && ipam.empty()) ipam = c;
    }
  if (!ipam6.is_null() && !body.value("EnableIPv6", false))
    return fail(ErrorKind::InvalidArgument,
                "invalid pool request: IPv6 subnet {} given but IPv6 is not enabled",
                ipam6.value("Subnet", ""));
  if (body.value("EnableIPv6", false)) {
    n.ipv6 = true;
    BERTH_TRY(plan_ipv6(n, ipam6.is_null() ? json::object() : ipam6));
  }
  if (std::string s = ipam.value("Subnet", ""); !s.empty()) {
    BERTH_ASSIGN(n.subnet, Subnet::parse(s));
    for (auto& [id, o] : networks_)
      if (o.has_ipam() && o.subnet.overlaps(n.subnet))
        return fail(ErrorKind::PermissionDenied,
                    "Pool overlaps with other one on this address space");
  } else {
    BERTH_ASSIGN(n.subnet, choose_subnet(pools_, taken_subnets()));
  }
  if (std::string g = ipam.value("Gateway", ""); !g.empty()) {
    BERTH_ASSIGN(n.gateway, parse_ipv4(g));
    if (!n.subnet.contains(n.gateway))
      return fail(ErrorKind::PermissionDenied, "no matching subnet for gateway {}", g);
  } else {
    n.gateway = n.subnet.base + 1;
  }
  if (std::string r = ipam.value("IPRange", ""); !r.empty()) {
    BERTH_ASSIGN(auto range, Subnet::parse(r));
    if (!n.subnet.contains(range.base) || range.prefix < n.subnet.prefix)
      return fail(ErrorKind::PermissionDenied, "no matching subnet for range {}", r);
    n.ip_range = range;
  }
  auto opt = [&](const std::string& k, const std::string& def) {
    auto it = n.options.find(k);
    return it == n.options.end() ? def : it->second;
  };
  if (n.driver == "bridge") {
    n.bridge = opt("com.docker.network.bridge.name", "br-" + n.id.substr(0, 12));
    if (n.bridge.size() > 15)
      return fail(ErrorKind::InvalidArgument, "bridge name {:?} is longer than 15 characters",
                  n.bridge);
  } else {
    BERTH_TRY(plan_macvlan(n));
  }
  n.icc = opt("com.docker.network.bridge.enable_icc", "true") == "true";
  n.masquerade = opt("com.docker.network.bridge.enable_ip_masquerade", "true") == "true";
  n.mtu = std::atoi(opt("com.docker.network.driver.mtu", std::to_string(cfg_.mtu)).c_str());
  if (n.mtu <= 0) return fail(ErrorKind::InvalidArgument, "invalid MTU");
  if (auto st = ensure_link(n); !st) {
    remove_link(n);
    return std::unexpected(st.error());
  }
  if (auto st = save(n); !st) {
    remove_link(n);
    return std::unexpected(st.error());
  }
  addresses_.emplace(n.id, AddressSet(n.subnet, n.gateway, n.ip_range));
  if (n.ipv6) addresses6_.emplace(n.id, AddressSet6(n.subnet6, n.gateway6));
  return n;
}

Status Controller::plan_macvlan(Network& n) {
  // called with mu_ held
  auto opt = [&](const std::string& k) {
    auto it = n.options.find(k);
    return it == n.options.end() ? std::string() : it->second;
  };
  n.macvlan_mode = opt("macvlan_mode").empty() ? "bridge" : opt("macvlan_mode");
  if (n.macvlan_mode != "bridge" && n.macvlan_mode != "private" && n.macvlan_mode != "vepa" &&
      n.macvlan_mode != "passthru")
    return fail(ErrorKind::InvalidArgument,
                "requested macvlan mode '{}' is not valid, 'bridge' "
                "mode is the macvlan driver default",
                n.macvlan_mode);
  n.parent = opt("parent");
  n.own_parent = n.parent.empty();
  if (n.own_parent) {
    n.parent = "dm-" + n.id.substr(0, 12);  // Docker's name for it
  } else {
    BERTH_ASSIGN(auto nl, Netlink::open());
    if (!nl.link_exists(n.parent))
      return fail(ErrorKind::InvalidArgument, "-o parent interface was not found on the host: {}",
                  n.parent);
  }
  for (auto& [id, o] : networks_)
    if (o.driver == "macvlan" && o.parent == n.parent)
      return fail(ErrorKind::Conflict, "network {} is already using parent interface {}", o.name,
                  n.parent);
  n.masquerade = false;
  return ok();
}

Status Controller::ensure_link(const Network& n) {
  if (n.driver == "bridge") return ensure_bridge(n);
  BERTH_ASSIGN(auto nl, Netlink::open());
  if (n.own_parent && !nl.link_exists(n.parent)) {
    // kernels without the dummy driver: an empty bridge is as good a parent
    if (auto st = nl.create_dummy(n.parent); !st) BERTH_TRY(nl.create_bridge(n.parent, n.mtu));
  }
  // a parent of the user's stays as the user keeps it
  return n.own_parent ? nl.set_up(n.parent) : ok();
}

void Controller::remove_link(const Network& n) {
  auto nl = Netlink::open();
  if (!nl) return;
  if (n.driver == "bridge") nl->delete_link(n.bridge);
  if (n.driver == "macvlan" && n.own_parent) nl->delete_link(n.parent);
}

Status Controller::join_macvlan(const Network& n, const Endpoint& ep, const std::string& sandbox,
                                bool default_route) {
  {
    BERTH_ASSIGN(auto nl, Netlink::open());
    UniqueFd ns(::open(sandbox.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return sys_fail("open sandbox {}", sandbox);
    BERTH_TRY(nl.create_macvlan(ep.ifname, n.parent, n.macvlan_mode, ns.get(), n.mtu));
  }
  return in_netns(sandbox, [&]() -> Status {
    BERTH_ASSIGN(auto nl, Netlink::open());
    BERTH_TRY(nl.set_mac(ep.ifname, ep.mac));
    BERTH_TRY(nl.add_address(ep.ifname, ep.ip + "/" + std::to_string(ep.prefix)));
    if (!ep.ipv6.empty())
      BERTH_TRY(nl.add_address(ep.ifname, ep.ipv6 + "/" + std::to_string(ep.prefix6)));
    BERTH_TRY(nl.set_up(ep.ifname));
    if (default_route && !n.internal) {
      BERTH_TRY(nl.add_default_route(ep.ifname, ep.gateway));
      if (!ep.ipv6.empty()) BERTH_TRY(nl.add_default_route(ep.ifname, ep.gateway6));
    }
    return ok();
  });
}

Status Controller::plan_ipv6(Network& n, const json& ipam) {
  // called with mu_ held, or before the controller serves anyone
  if (std::string s = ipam.value("Subnet", ""); !s.empty()) {
    BERTH_ASSIGN(n.subnet6, Subnet6::parse(s));
  } else {
    n.subnet6 = random_ula64();
  }
  for (auto& [id, o] : networks_)
    if (o.id != n.id && o.ipv6 && o.subnet6.overlaps(n.subnet6))
      return fail(ErrorKind::PermissionDenied,
                  "Pool overlaps with other one on this address space");
  if (std::string g = ipam.value("Gateway", ""); !g.empty()) {
    BERTH_ASSIGN(n.gateway6, parse_ipv6(g));
    if (!n.subnet6.contains(n.gateway6))
      return fail(ErrorKind::PermissionDenied, "no matching subnet for gateway {}", g);
  } else {
    n.gateway6 = n.subnet6.base + 1;
  }
  return ok();
}

Result<Network> Controller::get(const std::string& ref) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = networks_.find(ref); it != networks_.end()) return it->second;
  for (auto& [id, n] : networks_)
    if (n.name == ref) return n;
  const Network* found = nullptr;
  for (auto& [id, n] : networks_) {
    if (!ref.empty() && id.starts_with(ref)) {
      if (found) return fail(ErrorKind::InvalidArgument, "network {} is ambiguous", ref);
      found = &n;
    }
  }
  if (!found) return fail(ErrorKind::NotFound, "network {} not found", ref);
  return *found;
}

std::vector<Network> Controller::list() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Network> out;
  for (auto& [id, n] : networks_) out.push_back(n);
  return out;
}

Status Controller::remove_network(const std::string& ref) {
  BERTH_ASSIGN(Network n, get(ref));
  if (n.predefined)
    return fail(ErrorKind::PermissionDenied, "{} is a pre-defined network and cannot be removed",
                n.name);
  {
    std::lock_guard<std::mutex> l(mu_);
    BERTH_TRY(remove_all(cfg_.data_root + "/network/" + n.id + ".json"));
    networks_.erase(n.id);
    addresses_.erase(n.id);
    addresses6_.erase(n.id);
  }
  remove_link(n);
  return sync_rules();
}

std::string Controller::sandbox_path(const std::string& container_id) const {
  return cfg_.exec_root + "/netns/" + container_id.substr(0, 12);
}

Status Controller::create_sandbox(const std::string& container_id) {
  std::string p = sandbox_path(container_id);
  remove_netns(p);  // a stale one from a crash
  return create_netns(p);
}

void Controller::remove_sandbox(const std::string& container_id) {
  if (auto st = remove_netns(sandbox_path(container_id)); !st)
    log::warn("sandbox {}: {}", container_id, st.error().message());
}

Result<Endpoint> Controller::join(const std::string& container_id, const std::string& network,
                                  const EndpointConfig& ec, int index, bool default_route) {
  BERTH_ASSIGN(Network n, get(network));
  if (!n.has_ipam())
    return fail(ErrorKind::InvalidArgument, "container cannot join network {} of driver {}", n.name,
                n.driver);
  uint32_t ip;
  Ipv6 ip6 = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = addresses_.find(n.id);
    if (it == addresses_.end()) return fail(ErrorKind::NotFound, "network {} not found", network);
    if (!ec.ipv4.empty()) {
      BERTH_ASSIGN(ip, parse_ipv4(ec.ipv4));
      BERTH_TRY(it->second.reserve(ip));
    } else {
      BERTH_ASSIGN(ip, it->second.allocate());
    }
    if (n.ipv6) {
      auto it6 = addresses6_.find(n.id);
      Result<Ipv6> a6 = fail(ErrorKind::NotFound, "network {} not found", network);
      if (it6 != addresses6_.end() && !ec.ipv6.empty()) {
        a6 = parse_ipv6(ec.ipv6);
        if (a6)
          if (auto st = it6->second.reserve(*a6); !st) a6 = std::unexpected(st.error());
      } else if (it6 != addresses6_.end()) {
        a6 = it6->second.allocate();
      }
      if (!a6) {
        it->second.release(ip);
        return std::unexpected(a6.error());
      }
      ip6 = *a6;
    }
  }
  Endpoint ep;
  ep.id = random_hex(64);
  ep.network_id = n.id;
  ep.network_name = n.name;
  ep.ip = ipv4_str(ip);
  ep.prefix = n.subnet.prefix;
  ep.gateway = ipv4_str(n.gateway);
  ep.mac = ec.mac.empty() ? mac_for_ip(ip) : ec.mac;
  ep.aliases = ec.aliases;
  ep.veth = veth_name(ep.id);
  ep.ifname = "eth" + std::to_string(index);
  if (n.ipv6) {
    ep.ipv6 = ipv6_str(ip6);
    ep.prefix6 = n.subnet6.prefix;
    ep.gateway6 = ipv6_str(n.gateway6);
  }
  std::string sandbox = sandbox_path(container_id);
  auto undo = Defer([&] { leave(ep, sandbox); });
  if (n.driver == "macvlan") {
    BERTH_TRY(join_macvlan(n, ep, sandbox, default_route));
    undo.dismiss();
    return ep;
  }
  {
    BERTH_ASSIGN(auto nl, Netlink::open());
    UniqueFd ns(::open(sandbox.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return sys_fail("open sandbox {}", sandbox);
    BERTH_TRY(nl.create_veth(ep.veth, ep.ifname, ns.get(), n.mtu));
    BERTH_TRY(nl.set_master(ep.veth, n.bridge));
    BERTH_TRY(nl.set_up(ep.veth));
  }
  BERTH_TRY(in_netns(sandbox, [&]() -> Status {
    BERTH_ASSIGN(auto nl, Netlink::open());
    BERTH_TRY(nl.set_mac(ep.ifname, ep.mac));
    BERTH_TRY(nl.add_address(ep.ifname, ep.ip + "/" + std::to_string(ep.prefix)));
    BERTH_TRY(nl.set_up(ep.ifname));
    if (default_route && !n.internal) BERTH_TRY(nl.add_default_route(ep.ifname, ep.gateway));
    if (n.ipv6) {
      BERTH_TRY(nl.add_address(ep.ifname, ep.ipv6 + "/" + std::to_string(ep.prefix6)));
      if (default_route && !n.internal) BERTH_TRY(nl.add_default_route(ep.ifname, ep.gateway6));
    }
    return ok();
  }));
  undo.dismiss();
  {
    std::lock_guard<std::mutex> l(mu_);
    veths_[n.id].insert(ep.veth);
  }
  if (!n.icc) BERTH_TRY(sync_rules());
  return ep;
}

void Controller::leave(const Endpoint& ep, const std::string& sandbox) {
  auto n = get(ep.network_id);
  if (n && n->driver == "macvlan") {
    // its link is in the sandbox (and goes with it, when that goes)
    if (!sandbox.empty())
      if (auto st = in_netns(sandbox,
                             [&]() -> Status {
                               BERTH_ASSIGN(auto nl, Netlink::open());
                               return nl.delete_link_with_mac(ep.mac);
                             });
          !st)
        log::warn("endpoint {}: {}", ep.id.substr(0, 12), st.error().message());
  } else if (auto nl = Netlink::open()) {
    nl->delete_link(ep.veth);
  }
  release(ep);
}

void Controller::leave_later(const Endpoint& ep) {
  std::lock_guard<std::mutex> l(mu_);
  if (!reaper_.joinable()) reaper_ = std::thread([this] { reap(); });
  doomed_.push_back(ep);
  doomed_cv_.notify_one();
}

void Controller::reap() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    doomed_cv_.wait(l, [&] { return stopping_ || !doomed_.empty(); });
    if (doomed_.empty()) return;
    Endpoint ep = std::move(doomed_.front());
    doomed_.pop_front();
    l.unlock();
    leave(ep);  // the address stays taken until the link is gone
    l.lock();
  }
}

Controller::~Controller() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    doomed_cv_.notify_all();
  }
  if (reaper_.joinable()) reaper_.join();
}

void Controller::release(const Endpoint& ep) {
  bool icc = true;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (auto it = addresses_.find(ep.network_id); it != addresses_.end())
      if (auto ip = parse_ipv4(ep.ip)) it->second.release(*ip);
    if (auto it = addresses6_.find(ep.network_id); it != addresses6_.end() && !ep.ipv6.empty())
      if (auto ip = parse_ipv6(ep.ipv6)) it->second.release(*ip);
    veths_[ep.network_id].erase(ep.veth);
    if (auto it = networks_.find(ep.network_id); it != networks_.end()) icc = it->second.icc;
  }
  if (!icc)
    if (auto st = sync_rules(); !st) log::warn("nftables: {}", st.error().message());
}

Result<UniqueFd> Controller::hold_port(const PortBinding& b) {
  // called with mu_ held
  int type = b.proto == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  std::string shown_ip = b.host_ip.empty() ? "0.0.0.0" : b.host_ip;
  uint32_t addr = 0;
  if (!b.host_ip.empty() && !is_ipv6(b.host_ip)) {
    BERTH_ASSIGN(addr, parse_ipv4(b.host_ip));
  }
  bool v6 = is_ipv6(b.host_ip);
  auto any = [](const std::string& ip) { return ip.empty() || ip == "::"; };
  auto ours = [&](int port) {
    for (auto& [id, p] : published_)
      for (auto& q : p.ports)
        if (q.host_port == port && q.proto == b.proto && is_ipv6(q.host_ip) == v6 &&
            (any(q.host_ip) || any(b.host_ip) || q.host_ip == b.host_ip))
          return true;
    return false;
  };
  auto try_bind = [&](int port) -> Result<UniqueFd> {
    if (ours(port))
      return fail(ErrorKind::Internal, "Bind for {}:{} failed: port is already allocated", shown_ip,
                  port);
    if (v6) {
      if (b.proto != "tcp")
        return fail(ErrorKind::InvalidArgument,
                    "publishing {} ports on IPv6 addresses is not supported", b.proto);
      return bind_tcp6(b.host_ip, port);
    }
    if (b.proto == "sctp") return UniqueFd();
    UniqueFd s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
    if (!s) return sys_fail("socket");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(addr);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
      std::string why = strerror(errno);  // Go's wording: "address already in use"
      if (!why.empty())
        why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
      return fail(ErrorKind::Internal, "Error starting userland proxy: listen {}4 {}:{}: bind: {}",
                  b.proto, shown_ip, port, why);
    }
    return s;
  };
  if (b.host_port != 0 && b.host_port_end == 0) return try_bind(b.host_port);
  int lo = b.host_port ? b.host_port : 32768, hi = b.host_port ? b.host_port_end : 60999;
  static int next = 0;  // go round the range, as Docker's allocator does
  int span = hi - lo + 1;
  for (int i = 0; i < span; ++i) {
    int port = lo + (next + i) % span;
    auto s = try_bind(port);
    if (s) {
      next = (next + i + 1) % span;
      return s;
    }
  }
  return fail(ErrorKind::Internal, "all ports are allocated");
}

Result<std::vector<PortBinding>> Controller::publish(const std::string& container_id,
                                                     const std::string& ip,
                                                     std::vector<PortBinding> wanted,
                                                     const std::string& endpoint_name) {
  {
    std::lock_guard<std::mutex> l(mu_);
    Published p;
    p.ip = ip;
    for (auto& b : wanted) {
      auto fd = hold_port(b);
      if (!fd)
        return fail(ErrorKind::Internal,
                    "driver failed programming external connectivity on endpoint {}: {}",
                    endpoint_name, fd.error().message());
      // the port the socket got, when any was allowed
      if (*fd) {
        sockaddr_storage sa{};
        socklen_t len = sizeof sa;
        getsockname(fd->get(), reinterpret_cast<sockaddr*>(&sa), &len);
        b.host_port =
            ntohs(sa.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
      }
      b.host_port_end = 0;
      p.ports.push_back(b);
      p.holds.push_back(std::move(*fd));
      // the same port on the IPv6 addresses, as Docker publishes it
      if (b.host_ip.empty() && b.proto == "tcp") {
        PortBinding b6 = b;
        b6.host_ip = "::";
        if (auto fd6 = hold_port(b6)) {
          p.ports.push_back(b6);
          p.holds.push_back(std::move(*fd6));
        } else {
          log::warn("port {}: not on IPv6: {}", b.host_port, fd6.error().message());
        }
      }
    }
    for (size_t i = 0; i < p.ports.size(); ++i)
      if (is_ipv6(p.ports[i].host_ip))
        if (auto st =
                proxy_.add(container_id, std::move(p.holds[i]), ip, p.ports[i].container_port);
            !st)
          log::warn("port {}: {}", p.ports[i].host_port, st.error().message());
    published_[container_id] = std::move(p);
  }
  std::vector<PortBinding> bound;
  {
    std::lock_guard<std::mutex> l(mu_);
    bound = published_[container_id].ports;
  }
  if (auto st = sync_rules(); !st) {
    unpublish(container_id);
    return std::unexpected(st.error());
  }
  return bound;
}

void Controller::unpublish(const std::string& container_id) {
  proxy_.remove(container_id);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!published_.erase(container_id)) return;
  }
  if (auto st = sync_rules(); !st) log::warn("nftables: {}", st.error().message());
}

void Controller::restore_endpoint(const Endpoint& ep) {
  std::lock_guard<std::mutex> l(mu_);
  veths_[ep.network_id].insert(ep.veth);
  if (auto it = addresses_.find(ep.network_id); it != addresses_.end())
    if (auto ip = parse_ipv4(ep.ip)) it->second.reserve(*ip);
  if (auto it = addresses6_.find(ep.network_id); it != addresses6_.end() && !ep.ipv6.empty())
    if (auto ip = parse_ipv6(ep.ipv6)) it->second.reserve(*ip);
}

void Controller::restore_ports(const std::string& container_id, const std::string& ip,
                               const std::vector<PortBinding>& bound) {
  std::lock_guard<std::mutex> l(mu_);
  Published p;
  p.ip = ip;
  for (auto& b : bound) {
    auto fd = hold_port(b);
    if (!fd)
      log::warn("container {}: port {}: {}", container_id, b.host_port, fd.error().message());
    p.ports.push_back(b);
    if (fd && is_ipv6(b.host_ip)) {
      if (auto st = proxy_.add(container_id, std::move(*fd), ip, b.container_port); !st)
        log::warn("container {}: port {}: {}", container_id, b.host_port, st.error().message());
    }
    p.holds.push_back(fd ? std::move(*fd) : UniqueFd());
  }
  published_[container_id] = std::move(p);
}

Status Controller::sync_rules() {
  std::vector<BridgeRules> bridges;
  std::vector<PortRule> ports;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [id, n] : networks_)
      if (n.driver == "bridge")
        bridges.push_back({n.bridge, n.subnet.str(), n.ipv6 ? n.subnet6.str() : "", n.masquerade,
                           n.icc, n.internal,
                           std::vector<std::string>(veths_[id].begin(), veths_[id].end())});
    for (auto& [id, p] : published_)
      for (auto& b : p.ports)
        if (!is_ipv6(b.host_ip))  // those go through the proxy
          ports.push_back({b.proto, b.host_ip, b.host_port, p.ip, b.container_port});
  }
  return nft_run(nat_ruleset(table_, bridges, ports));
}

}  // namespace berth::network

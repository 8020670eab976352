#include "network/netlink.h"

#include <fcntl.h>
#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <thread>

#include "base/file.h"
#include "base/unique_fd.h"

namespace berth::network {

namespace {

std::unexpected<Error> nl_fail(int err, const std::string& what) {
  return fail(err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? ErrorKind::NotFound
              : err == -NLE_EXIST                           ? ErrorKind::Conflict
                                                            : ErrorKind::Internal,
              "{}: {}", what, nl_geterror(err));
}

// libnl objects are reference counted; these release them.
struct LinkPtr {
  rtnl_link* p = nullptr;
  ~LinkPtr() {
    if (p) rtnl_link_put(p);
  }
};
struct AddrPtr {
  nl_addr* p = nullptr;
  ~AddrPtr() {
    if (p) nl_addr_put(p);
  }
};

}  // namespace

Result<Netlink> Netlink::open() {
  nl_sock* s = nl_socket_alloc();
  if (!s) return fail(ErrorKind::Internal, "netlink: out of memory");
  if (int err = nl_connect(s, NETLINK_ROUTE); err < 0) {
    nl_socket_free(s);
    return nl_fail(err, "netlink connect");
  }
  return Netlink(s);
}

Netlink::Netlink(Netlink&& o) noexcept : sock_(o.sock_) {
  o.sock_ = nullptr;
}
Netlink& Netlink::operator=(Netlink&& o) noexcept {
  std::swap(sock_, o.sock_);
  return *this;
}
Netlink::~Netlink() {
  if (sock_) nl_socket_free(sock_);
}

bool Netlink::link_exists(const std::string& name) {
  LinkPtr l;
  return rtnl_link_get_kernel(sock_, 0, name.c_str(), &l.p) >= 0;
}

Result<int> Netlink::ifindex(const std::string& name) {
  LinkPtr l;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &l.p); err < 0)
    return nl_fail(err, "link " + name);
  return rtnl_link_get_ifindex(l.p);
}

Status Netlink::create_bridge(const std::string& name, int mtu) {
  LinkPtr l{rtnl_link_bridge_alloc()};
  rtnl_link_set_name(l.p, name.c_str());
  if (mtu > 0) rtnl_link_set_mtu(l.p, static_cast<unsigned>(mtu));
  if (int err = rtnl_link_add(sock_, l.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_fail(err, "create bridge " + name);
  return ok();
}

Status Netlink::create_veth(const std::string& host, const std::string& peer, int peer_netns_fd,
                            int mtu) {
  LinkPtr l{rtnl_link_veth_alloc()};
  if (!l.p) return fail(ErrorKind::Internal, "netlink: out of memory");
  rtnl_link_set_name(l.p, host.c_str());
  LinkPtr p{rtnl_link_veth_get_peer(l.p)};
  rtnl_link_set_name(p.p, peer.c_str());
  rtnl_link_set_ns_fd(p.p, peer_netns_fd);
  if (mtu > 0) {
    rtnl_link_set_mtu(l.p, static_cast<unsigned>(mtu));
    rtnl_link_set_mtu(p.p, static_cast<unsigned>(mtu));
  }
  if (int err = rtnl_link_add(sock_, l.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_fail(err, "create veth " + host);
  return ok();
}

Status Netlink::create_dummy(const std::string& name) {
  LinkPtr l{rtnl_link_alloc()};
  rtnl_link_set_name(l.p, name.c_str());
  if (int err = rtnl_link_set_type(l.p, "dummy"); err < 0) return nl_fail(err, "dummy link");
  if (int err = rtnl_link_add(sock_, l.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_fail(err, "create dummy link " + name);
  return ok();
}

Status Netlink::create_macvlan(const std::string& name, const std::string& parent,
                               const std::string& mode, int netns_fd, int mtu) {
  BERTH_ASSIGN(int parent_index, ifindex(parent));
  int m = rtnl_link_macvlan_str2mode(mode.c_str());
  if (m < 0) return fail(ErrorKind::InvalidArgument, "unknown macvlan mode {:?}", mode);
  LinkPtr l{rtnl_link_macvlan_alloc()};
  if (!l.p) return fail(ErrorKind::Internal, "netlink: out of memory");
  rtnl_link_set_name(l.p, name.c_str());
  rtnl_link_set_link(l.p, parent_index);
  rtnl_link_macvlan_set_mode(l.p, static_cast<uint32_t>(m));
  rtnl_link_set_ns_fd(l.p, netns_fd);
  if (mtu > 0) rtnl_link_set_mtu(l.p, static_cast<unsigned>(mtu));
  if (int err = rtnl_link_add(sock_, l.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_fail(err, "create macvlan link on " + parent);
  return ok();
}

Status Netlink::delete_link_with_mac(const std::string& mac) {
  AddrPtr want;
  if (nl_addr_parse(mac.c_str(), AF_LLC, &want.p) < 0)
    return fail(ErrorKind::InvalidArgument, "invalid MAC address: {}", mac);
  nl_cache* cache = nullptr;
  if (int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &cache); err < 0)
    return nl_fail(err, "list links");
  int result = 0;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    nl_addr* a = rtnl_link_get_addr(l);
    if (a && nl_addr_cmp(a, want.p) == 0) {
      result = rtnl_link_delete(sock_, l);
      break;
    }
  }
  nl_cache_free(cache);
  if (result < 0 && result != -NLE_NODEV) return nl_fail(result, "delete link with MAC " + mac);
  return ok();
}

Status Netlink::set_master(const std::string& link, const std::string& bridge) {
  BERTH_ASSIGN(int br, ifindex(bridge));
  LinkPtr orig;
  if (int err = rtnl_link_get_kernel(sock_, 0, link.c_str(), &orig.p); err < 0)
    return nl_fail(err, "link " + link);
  LinkPtr change{rtnl_link_alloc()};
  rtnl_link_set_master(change.p, br);
  if (int err = rtnl_link_change(sock_, orig.p, change.p, 0); err < 0)
    return nl_fail(err, "attach " + link + " to " + bridge);
  return ok();
}

Status Netlink::set_up(const std::string& link) {
  LinkPtr orig;
  if (int err = rtnl_link_get_kernel(sock_, 0, link.c_str(), &orig.p); err < 0)
    return nl_fail(err, "link " + link);
  LinkPtr change{rtnl_link_alloc()};
  rtnl_link_set_flags(change.p, IFF_UP);
  if (int err = rtnl_link_change(sock_, orig.p, change.p, 0); err < 0)
    return nl_fail(err, "set " + link + " up");
  return ok();
}

Status Netlink::set_mac(const std::string& link, const std::string& mac) {
  AddrPtr a;
  if (int err = nl_addr_parse(mac.c_str(), AF_LLC, &a.p); err < 0)
    return fail(ErrorKind::InvalidArgument, "invalid MAC address: {}", mac);
  LinkPtr orig;
  if (int err = rtnl_link_get_kernel(sock_, 0, link.c_str(), &orig.p); err < 0)
    return nl_fail(err, "link " + link);
  LinkPtr change{rtnl_link_alloc()};
  rtnl_link_set_addr(change.p, a.p);
  if (int err = rtnl_link_change(sock_, orig.p, change.p, 0); err < 0)
    return nl_fail(err, "set MAC of " + link);
  return ok();
}

Status Netlink::add_address(const std::string& link, const std::string& cidr) {
  BERTH_ASSIGN(int idx, ifindex(link));
  bool v6 = cidr.find(':') != std::string::npos;
  AddrPtr local;
  if (int err = nl_addr_parse(cidr.c_str(), v6 ? AF_INET6 : AF_INET, &local.p); err < 0)
    return fail(ErrorKind::InvalidArgument, "invalid address: {}", cidr);
  rtnl_addr* a = rtnl_addr_alloc();
  rtnl_addr_set_ifindex(a, idx);
  rtnl_addr_set_local(a, local.p);
  // no duplicate address detection: IPAM made it unique, and DAD would hold it for a second
  if (v6) rtnl_addr_set_flags(a, IFA_F_NODAD);
  int err = rtnl_addr_add(sock_, a, 0);
  rtnl_addr_put(a);
  if (err < 0 && err != -NLE_EXIST) return nl_fail(err, "add " + cidr + " to " + link);
  return ok();
}

Status Netlink::add_default_route(const std::string& link, const std::string& gateway) {
  BERTH_ASSIGN(int idx, ifindex(link));
  int family = gateway.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  AddrPtr dst, gw;
  nl_addr_parse(family == AF_INET6 ? "::/0" : "0.0.0.0/0", family, &dst.p);
  if (nl_addr_parse(gateway.c_str(), family, &gw.p) < 0)
    return fail(ErrorKind::InvalidArgument, "invalid gateway: {}", gateway);
  rtnl_route* r = rtnl_route_alloc();
  rtnl_route_set_family(r, static_cast<uint8_t>(family));
  rtnl_route_set_dst(r, dst.p);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_gateway(nh, gw.p);
  rtnl_route_nh_set_ifindex(nh, idx);
  rtnl_route_add_nexthop(r, nh);  // the route owns it now
  int err = rtnl_route_add(sock_, r, NLM_F_CREATE);
  rtnl_route_put(r);
  if (err < 0 && err != -NLE_EXIST) return nl_fail(err, "default route via " + gateway);
  return ok();
}

Status Netlink::delete_link(const std::string& name) {
  LinkPtr l;
  if (rtnl_link_get_kernel(sock_, 0, name.c_str(), &l.p) < 0) return ok();
  if (int err = rtnl_link_delete(sock_, l.p);
      err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
    return nl_fail(err, "delete link " + name);
  return ok();
}

Result<std::vector<std::string>> Netlink::ipv4_routes() {
  nl_cache* cache = nullptr;
  if (int err = rtnl_route_alloc_cache(sock_, AF_INET, 0, &cache); err < 0)
    return nl_fail(err, "list routes");
  std::vector<std::string> out;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    nl_addr* d = rtnl_route_get_dst(r);
    if (!d || nl_addr_get_prefixlen(d) == 0) continue;  // the default route overlaps nothing
    char buf[64];
    std::string s = nl_addr2str(d, buf, sizeof buf);
    if (s.find('/') == std::string::npos) s += "/" + std::to_string(nl_addr_get_prefixlen(d));
    out.push_back(s);
  }
  nl_cache_free(cache);
  return out;
}

Status in_netns(const std::string& netns_path, const std::function<Status()>& fn) {
  Status result = ok();
  std::thread t([&] {
    // This thread alone changes namespace, and ends there: the others never see it.
    UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
      result = sys_fail("open netns {}", netns_path);
      return;
    }
    if (setns(ns.get(), CLONE_NEWNET) < 0) {
      result = sys_fail("join netns {}", netns_path);
      return;
    }
    result = fn();
  });
  t.join();
  return result;
}

Status create_netns(const std::string& path) {
  {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!f) return sys_fail("create {}", path);
  }
  Status result = ok();
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) < 0) {
      result = sys_fail("unshare network namespace");
      return;
    }
    if (mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      result = sys_fail("bind netns to {}", path);
      return;
    }
    auto nl = Netlink::open();
    result = nl ? nl->set_up("lo") : Status(std::unexpected(nl.error()));
  });
  t.join();
  if (!result) remove_netns(path);
  return result;
}

Status remove_netns(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return sys_fail("unmount {}", path);
  if (unlink(path.c_str()) < 0 && errno != ENOENT) return sys_fail("remove {}", path);
  return ok();
}

}  // namespace berth::network

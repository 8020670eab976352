// The embedded DNS server of user-defined networks: a UDP socket at 127.0.0.11:53 inside
// each such container's network namespace, all served by one daemon thread. Names of
// containers on the asker's networks are answered here; other names go to the host's
// resolvers, asked from the host's namespace.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::network {

class DnsServer {
 public:
  // The IPv4 addresses `name` has for the container asking; empty: not a name of ours.
  using Resolver = std::function<std::vector<std::string>(const std::string& container_id,
                                                          const std::string& name)>;

  DnsServer(Resolver resolver, std::vector<std::string> upstreams);
  ~DnsServer();

  // `upstreams`: where this container's other names go (its --dns servers, as in Docker);
  // empty: the servers given at construction (the host's).
  Status add(const std::string& container_id, const std::string& netns_path,
             std::vector<std::string> upstreams = {});
  void remove(const std::string& container_id);

  // The host's nameservers, from its resolv.conf.
  static std::vector<std::string> host_nameservers();

 private:
  void loop();
  void serve(int fd, const std::string& container_id);
  void wake();

  Resolver resolver_;
  std::vector<std::string> upstreams_;
  std::mutex mu_;
  std::map<std::string, UniqueFd> socks_;                          // by container ID
  std::map<std::string, std::vector<std::string>> own_upstreams_;  // by container ID
  UniqueFd wake_r_, wake_w_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace berth::network

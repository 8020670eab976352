#include "network/dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "network/dns_message.h"
#include "network/netlink.h"

namespace berth::network {

namespace {

constexpr int kTtl = 600;

// Asks `upstream` on the client's behalf and relays the answer (on a thread of its own: a
// slow resolver must not hold up the names we answer ourselves).
void forward(int reply_fd, sockaddr_in client, std::string query, std::string upstream) {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in up{};
  up.sin_family = AF_INET;
  up.sin_port = htons(53);
  if (!s || inet_pton(AF_INET, upstream.c_str(), &up.sin_addr) != 1) return;
  if (::sendto(s.get(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&up),
               sizeof up) < 0)
    return;
  struct pollfd p {
    s.get(), POLLIN, 0
  };
  if (::poll(&p, 1, 3000) <= 0) return;
  char buf[4096];
  ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
  if (n > 0)
    ::sendto(reply_fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&client),
             sizeof client);
}

}  // namespace

std::vector<std::string> DnsServer::host_nameservers() {
  std::vector<std::string> out;
  for (auto& line : split(read_file("/etc/resolv.conf").value_or(""), '\n')) {
    auto f = split(std::string(trim(line)), ' ');
    if (f.size() >= 2 && f[0] == "nameserver" && f[1].find(':') == std::string::npos)
      out.push_back(f[1]);
  }
  return out;
}

DnsServer::DnsServer(Resolver resolver, std::vector<std::string> upstreams)
    : resolver_(std::move(resolver)), upstreams_(std::move(upstreams)) {
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_r_.reset(p[0]);
    wake_w_.reset(p[1]);
  }
  thread_ = std::thread([this] { loop(); });
}

DnsServer::~DnsServer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
}

void DnsServer::wake() {
  [[maybe_unused]] auto n = ::write(wake_w_.get(), "x", 1);
}

Status DnsServer::add(const std::string& container_id, const std::string& netns_path,
                      std::vector<std::string> upstreams) {
  UniqueFd sock;
  BERTH_TRY(in_netns(netns_path, [&]() -> Status {
    sock.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!sock) return sys_fail("dns socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    inet_pton(AF_INET, "127.0.0.11", &a.sin_addr);
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
      return sys_fail("bind 127.0.0.11:53");
    return ok();
  }));
  {
    std::lock_guard<std::mutex> l(mu_);
    socks_[container_id] = std::move(sock);
    own_upstreams_[container_id] = std::move(upstreams);
  }
  wake();
  return ok();
}

void DnsServer::remove(const std::string& container_id) {
  {
    std::lock_guard<std::mutex> l(mu_);
    own_upstreams_.erase(container_id);
    if (!socks_.erase(container_id)) return;
  }
  wake();
}

void DnsServer::loop() {
  for (;;) {
    std::vector<pollfd> fds{{wake_r_.get(), POLLIN, 0}};
    std::vector<std::string> ids{""};
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) return;
      for (auto& [id, fd] : socks_) {
        fds.push_back({fd.get(), POLLIN, 0});
        ids.push_back(id);
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents) {
      char buf[64];
      while (::read(wake_r_.get(), buf, sizeof buf) > 0) {
      }
      continue;  // the set changed: the fds below may be closed
    }
    for (size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents & POLLIN) serve(fds[i].fd, ids[i]);
  }
}

void DnsServer::serve(int fd, const std::string& container_id) {
  uint8_t buf[4096];
  sockaddr_in client{};
  socklen_t clen = sizeof client;
  ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&client), &clen);
  if (n <= 0) return;
  auto q = parse_dns_query(buf, static_cast<size_t>(n));
  if (!q) return;
  std::vector<std::string> ips = resolver_(container_id, q->name);
  if (ips.empty()) {
    std::string up;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto own = own_upstreams_.find(container_id);
      if (own != own_upstreams_.end() && !own->second.empty())
        up = own->second.front();
      else if (!upstreams_.empty())
        up = upstreams_.front();
    }
    if (up.empty()) return;
    // dup: the container's socket may be closed while the answer is on its way
    int reply = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (reply < 0) return;
    std::thread([reply, client, query = std::string(reinterpret_cast<char*>(buf), size_t(n)), up] {
      forward(reply, client, query, up);
      ::close(reply);
    }).detach();
    return;
  }
  std::string reply = dns_answer(buf, *q, ips, kTtl);
  ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&client), clen);
}

}  // namespace berth::network

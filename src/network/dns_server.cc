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
#include "network/netlink.h"

// last: its C headers define macros that clash with the C++ library
#include <ldns/ldns.h>

namespace berth::network {

namespace {

constexpr int kTtl = 600;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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
  ldns_pkt* q = nullptr;
  if (ldns_wire2pkt(&q, buf, static_cast<size_t>(n)) != LDNS_STATUS_OK) return;
  ldns_rr_list* qs = ldns_pkt_question(q);
  if (!qs || ldns_rr_list_rr_count(qs) != 1) {
    ldns_pkt_free(q);
    return;
  }
  ldns_rr* qrr = ldns_rr_list_rr(qs, 0);
  char* owner = ldns_rdf2str(ldns_rr_owner(qrr));
  std::string name = lower(owner ? owner : "");
  free(owner);
  if (name.ends_with('.')) name.pop_back();
  ldns_rr_type type = ldns_rr_get_type(qrr);
  std::vector<std::string> ips = resolver_(container_id, name);
  if (ips.empty()) {
    ldns_pkt_free(q);
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
  ldns_pkt* r = ldns_pkt_new();
  ldns_pkt_set_id(r, ldns_pkt_id(q));
  ldns_pkt_set_qr(r, true);
  ldns_pkt_set_aa(r, true);
  ldns_pkt_set_rd(r, ldns_pkt_rd(q));
  ldns_pkt_set_ra(r, true);
  ldns_pkt_set_rcode(r, LDNS_RCODE_NOERROR);
  ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
  // names of ours have A and AAAA records; any other type they have none of (NOERROR)
  bool want_a = type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_ANY;
  bool want_aaaa = type == LDNS_RR_TYPE_AAAA || type == LDNS_RR_TYPE_ANY;
  for (auto& ip : ips) {
    bool v6 = ip.find(':') != std::string::npos;
    if (v6 ? !want_aaaa : !want_a) continue;
    ldns_rr* a = nullptr;
    std::string text = name + ". " + std::to_string(kTtl) + (v6 ? " IN AAAA " : " IN A ") + ip;
    if (ldns_rr_new_frm_str(&a, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK)
      ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, a);
  }
  uint8_t* wire = nullptr;
  size_t len = 0;
  if (ldns_pkt2wire(&wire, r, &len) == LDNS_STATUS_OK)
    ::sendto(fd, wire, len, 0, reinterpret_cast<sockaddr*>(&client), clen);
  free(wire);
  ldns_pkt_free(r);
  ldns_pkt_free(q);
}

}  // namespace berth::network

#include "api/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <system_error>

#include "base/file.h"
#include "base/log.h"

namespace berth::api {

namespace {

Result<UniqueFd> listen_unix(const std::string& path, gid_t gid) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path)
    return fail(ErrorKind::InvalidArgument, "socket path too long: {}", path);
  strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) BERTH_TRY(mkdir_all(path.substr(0, slash), 0755));
  ::unlink(path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_fail("socket");
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    return sys_fail("bind {}", path);
  // root and the socket's group only; clients cannot connect before listen()
  if (gid != static_cast<gid_t>(-1) && ::chown(path.c_str(), 0, gid) < 0)
    return sys_fail("chown {}", path);
  if (::chmod(path.c_str(), 0660) < 0) return sys_fail("chmod {}", path);
  if (::listen(fd.get(), 512) < 0) return sys_fail("listen {}", path);
  return fd;
}

Result<UniqueFd> listen_tcp(const std::string& hostport) {
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos)
    return fail(ErrorKind::InvalidArgument, "tcp address needs a port: {}", hostport);
  std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return fail(ErrorKind::InvalidArgument, "tcp address {}: {}", hostport, gai_strerror(rc));
  Defer free_res([&] { freeaddrinfo(res); });
  UniqueFd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_fail("socket");
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), res->ai_addr, res->ai_addrlen) < 0) return sys_fail("bind {}", hostport);
  if (::listen(fd.get(), 512) < 0) return sys_fail("listen {}", hostport);
  return fd;
}

}  // namespace

Server::~Server() {
  stop();
}

Status Server::listen(const std::string& address) {
  std::string a = address;
  if (a.starts_with("unix://")) {
    std::string path = a.substr(7);
    BERTH_ASSIGN(auto fd, listen_unix(path, unix_gid_));
    listeners_.push_back(std::move(fd));
    tcp_.push_back(false);
    unix_paths_.push_back(path);
  } else if (a.starts_with("tcp://")) {
    BERTH_ASSIGN(auto fd, listen_tcp(a.substr(6)));
    listeners_.push_back(std::move(fd));
    tcp_.push_back(true);
  } else if (a.starts_with("/")) {
    return listen("unix://" + a);
  } else {
    return fail(ErrorKind::InvalidArgument, "unsupported address {:?}: use unix:// or tcp://",
                address);
  }
  return ok();
}

void Server::start() {
  for (size_t i = 0; i < listeners_.size(); ++i)
    threads_.emplace_back(
        [this, fd = listeners_[i].get(), tcp = tcp_[i]] { accept_loop(fd, tcp); });
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  for (auto& l : listeners_) ::shutdown(l.get(), SHUT_RDWR);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  for (auto& p : unix_paths_) ::unlink(p.c_str());
}

void Server::accept_loop(int lfd, bool tcp) {
  while (!stopping_) {
    struct pollfd p {
      lfd, POLLIN, 0
    };
    if (::poll(&p, 1, 500) <= 0) continue;
    int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      if (stopping_) break;
      log::warn("accept: {}", strerror(errno));
      usleep(10000);
      continue;
    }
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on unix
    // a thread per connection; without one (out of threads) the connection is refused, and
    // berthd goes on
    try {
      if (tcp && tls_) {
        // the handshake runs on the connection's own thread, so a slow client holds no other
        std::thread([this, c] {
          auto plain = tls_->wrap(UniqueFd(c));
          if (!plain) {
            log::debug("tcp client: {}", plain.error().message());
            return;
          }
          serve_connection(plain->release(), handler_);
        }).detach();
      } else {
        std::thread([this, c] { serve_connection(c, handler_); }).detach();
      }
    } catch (const std::system_error& e) {
      log::warn("accept: no thread for a connection: {}", e.what());
      ::close(c);
      usleep(10000);
    }
  }
}

}  // namespace berth::api

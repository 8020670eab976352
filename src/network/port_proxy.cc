#include "network/port_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio.hpp>
#include <future>

#include "base/log.h"

namespace berth::network {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One direction of a relay: reads from `from`, writes to `to`, half-closes `to` at EOF.
struct Pipe : std::enable_shared_from_this<Pipe> {
  std::shared_ptr<tcp::socket> from, to;
  std::array<char, 16384> buf;
  Pipe(std::shared_ptr<tcp::socket> f, std::shared_ptr<tcp::socket> t)
      : from(std::move(f)), to(std::move(t)) {}
  void read() {
    from->async_read_some(asio::buffer(buf), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) {
        boost::system::error_code ignored;
        self->to->shutdown(tcp::socket::shutdown_send, ignored);
        if (ec != asio::error::eof) self->from->close(ignored);
        return;
      }
      asio::async_write(*self->to, asio::buffer(self->buf, n), [self](auto wec, size_t) {
        if (wec) {
          boost::system::error_code ignored;
          self->from->close(ignored);
          self->to->close(ignored);
          return;
        }
        self->read();
      });
    });
  }
};

}  // namespace

struct PortProxy::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::mutex mu;
  std::map<std::string, std::vector<std::shared_ptr<tcp::acceptor>>> acceptors;

  void accept(std::shared_ptr<tcp::acceptor> a, tcp::endpoint target) {
    a->async_accept([this, a, target](auto ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !a->is_open()) return;
      if (!ec) relay(std::make_shared<tcp::socket>(std::move(s)), target);
      accept(a, target);
    });
  }

  void relay(std::shared_ptr<tcp::socket> client, tcp::endpoint target) {
    auto up = std::make_shared<tcp::socket>(io);
    up->async_connect(target, [client, up](auto ec) {
      if (ec) {
        boost::system::error_code ignored;
        client->close(ignored);  // the client sees a reset, as with a closed port
        return;
      }
      std::make_shared<Pipe>(client, up)->read();
      std::make_shared<Pipe>(up, client)->read();
    });
  }
};

PortProxy::PortProxy() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

PortProxy::~PortProxy() {
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

Status PortProxy::add(const std::string& owner, UniqueFd listener, const std::string& ipv4,
                      int port) {
  boost::system::error_code ec;
  auto target_ip = asio::ip::make_address_v4(ipv4, ec);
  if (ec) return fail(ErrorKind::InvalidArgument, "proxy target {}: {}", ipv4, ec.message());
  if (::listen(listener.get(), SOMAXCONN) < 0) return sys_fail("listen");
  auto a = std::make_shared<tcp::acceptor>(impl_->io);
  a->assign(tcp::v6(), listener.release(), ec);
  if (ec) return fail(ErrorKind::Internal, "proxy listener: {}", ec.message());
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    impl_->acceptors[owner].push_back(a);
  }
  asio::post(impl_->io, [this, a, target = tcp::endpoint(target_ip, static_cast<uint16_t>(port))] {
    impl_->accept(a, target);
  });
  return ok();
}

void PortProxy::remove(const std::string& owner) {
  std::vector<std::shared_ptr<tcp::acceptor>> gone;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    auto it = impl_->acceptors.find(owner);
    if (it == impl_->acceptors.end()) return;
    gone = std::move(it->second);
    impl_->acceptors.erase(it);
  }
  // closed on the io thread, which owns them; the port is free when this returns
  std::promise<void> done;
  asio::post(impl_->io, [&] {
    boost::system::error_code ignored;
    for (auto& a : gone) a->close(ignored);
    done.set_value();
  });
  done.get_future().wait();
}

Result<UniqueFd> bind_tcp6(const std::string& addr, int port) {
  UniqueFd s(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return sys_fail("socket");
  int one = 1;
  setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(static_cast<uint16_t>(port));
  sa.sin6_addr = in6addr_any;
  if (!addr.empty() && addr != "::" && inet_pton(AF_INET6, addr.c_str(), &sa.sin6_addr) != 1)
    return fail(ErrorKind::InvalidArgument, "invalid IPv6 address {:?}", addr);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    return sys_fail("bind [{}]:{}", addr.empty() ? "::" : addr, port);
  return s;
}

}  // namespace berth::network

#include "runtime/sync.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>

namespace berth::runtime {

namespace {
struct Header {
  uint32_t type;
  uint32_t len;
  int64_t value;
};
constexpr size_t kMaxText = 16 * 1024;
}  // namespace

Status sync_send(int fd, SyncType type, int64_t value, const std::string& text) {
  Header h{static_cast<uint32_t>(type), static_cast<uint32_t>(std::min(text.size(), kMaxText)),
           value};
  iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(text.data()), h.len}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_fail("sync send");
  return ok();
}

Result<SyncMsg> sync_recv(int fd) {
  char buf[sizeof(Header) + kMaxText];
  ssize_t n;
  do n = recv(fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_fail("sync receive");
  if (n == 0) return fail(ErrorKind::Unavailable, "container process exited before it was ready");
  if (static_cast<size_t>(n) < sizeof(Header))
    return fail(ErrorKind::Internal, "short sync message");
  Header h;
  std::memcpy(&h, buf, sizeof h);
  SyncMsg m{
      static_cast<SyncType>(h.type), h.value,
      std::string(buf + sizeof h, std::min<size_t>(h.len, static_cast<size_t>(n) - sizeof h))};
  return m;
}

Result<SyncMsg> sync_expect(int fd, SyncType type) {
  BERTH_ASSIGN(SyncMsg m, sync_recv(fd));
  if (m.type == SyncType::Error)
    return std::unexpected(Error(ErrorKind::Internal, m.text, static_cast<int>(m.value)));
  if (m.type != type)
    return fail(ErrorKind::Internal, "unexpected sync message {} (wanted {})",
                static_cast<uint32_t>(m.type), static_cast<uint32_t>(type));
  return m;
}

Status send_fd(int sock, int fd, const std::string& name) {
  char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{const_cast<char*>(name.data()), name.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) return sys_fail("send fd over console socket");
  return ok();
}

Result<int> recv_fd(int sock) {
  char control[CMSG_SPACE(sizeof(int))] = {};
  char name[4096];
  iovec iov{name, sizeof name};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return sys_fail("receive fd");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS)
    return fail(ErrorKind::Internal, "no file descriptor received");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

}  // namespace berth::runtime

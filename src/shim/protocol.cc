#include "shim/protocol.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace berth::shim {

std::string frame(uint8_t stream, std::string_view data) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  uint32_t n = static_cast<uint32_t>(data.size());
  out[4] = static_cast<char>(n >> 24);
  out[5] = static_cast<char>(n >> 16);
  out[6] = static_cast<char>(n >> 8);
  out[7] = static_cast<char>(n);
  out.append(data);
  return out;
}

bool FrameReader::next(uint8_t& stream, std::string& payload) {
  if (buf_.size() < 8) return false;
  auto b = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(buf_[i])); };
  uint32_t n = b(4) << 24 | b(5) << 16 | b(6) << 8 | b(7);
  if (buf_.size() < 8 + size_t{n}) return false;
  stream = static_cast<uint8_t>(buf_[0]);
  payload.assign(buf_, 8, n);
  buf_.erase(0, 8 + size_t{n});
  return true;
}

nlohmann::json ExitStatus::to_json() const {
  return {{"exit_code", exit_code},
          {"oom_killed", oom_killed},
          {"finished_at", finished_at},
          {"error", error}};
}

ExitStatus ExitStatus::from_json(const nlohmann::json& j) {
  ExitStatus s;
  s.exit_code = j.value("exit_code", 0);
  s.oom_killed = j.value("oom_killed", false);
  s.finished_at = j.value("finished_at", "");
  s.error = j.value("error", "");
  return s;
}

std::string short_path(const std::string& path, UniqueFd& dirfd) {
  if (path.size() < sizeof(sockaddr_un{}.sun_path)) return path;
  // Deep data roots overflow sun_path (108 bytes): reach the dir through /proc/self/fd.
  auto slash = path.rfind('/');
  dirfd.reset(::open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return path;
  return "/proc/self/fd/" + std::to_string(dirfd.get()) + path.substr(slash);
}

Result<UniqueFd> connect(const std::string& dir, const nlohmann::json& request) {
  UniqueFd dirfd;
  std::string path = short_path(socket_path(dir), dirfd);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path)
    return fail(ErrorKind::Internal, "shim socket path too long: {}", path);
  strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_fail("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    return sys_fail("connect to shim {}", path);
  std::string line = request.dump() + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    return sys_fail("send to shim");
  return fd;
}

}  // namespace berth::shim

namespace berth::shim {

Status await_frame(int fd, FrameReader& fr, uint8_t kind, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  for (;;) {
    uint8_t s;
    std::string payload;
    if (fr.next(s, payload)) {
      if (s != kind) return fail(ErrorKind::Internal, "shim: unexpected frame {}", int(s));
      return ok();
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return fail(ErrorKind::Unavailable, "shim: no answer");
    struct pollfd p {
      fd, POLLIN, 0
    };
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorKind::Unavailable, "shim: connection closed");
    fr.feed(buf, static_cast<size_t>(n));
  }
}

}  // namespace berth::shim

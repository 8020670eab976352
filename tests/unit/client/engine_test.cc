// Engine against a fake daemon on a unix socket that writes its answers in pieces, as
// dockerd does on a busy machine (status line, fields and the blank line in separate writes).
#include "client/engine.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace berth::client {
namespace {

// Accepts one connection, reads the request's headers and writes `pieces` with a pause
// between them so that each arrives in its own read.
class PieceServer {
 public:
  PieceServer(const std::string& path, std::vector<std::string> pieces) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path.copy(a.sun_path, sizeof a.sun_path - 1);
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_, 1), 0);
    thread_ = std::thread([this, pieces = std::move(pieces)] {
      int c = ::accept(listen_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      for (auto& p : pieces) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        // MSG_NOSIGNAL: a client that gave up must not kill the test binary with SIGPIPE
        if (::send(c, p.data(), p.size(), MSG_NOSIGNAL) < 0) break;
      }
      ::close(c);
    });
  }
  ~PieceServer() {
    thread_.join();
    ::close(listen_);
  }

 private:
  int listen_ = -1;
  std::thread thread_;
};

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

TEST(Engine, HijackAnswerWrittenInPieces) {
  test_util::TempDir dir;
  std::string sock = dir / "d.sock";
  PieceServer server(sock, {"HTTP/1.1 101 UPGRADED\r\n",
                            "Content-Type: application/vnd.docker.raw-stream\r\n"
                            "Connection: Upgrade\r\nUpgrade: tcp\r\n",
                            "\r\n", "hello\n"});
  Engine e("unix://" + sock);
  auto h = e.hijack("/v1.41/exec/x/start", nlohmann::json{{"Detach", false}});
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_FALSE(h->multiplexed);
  EXPECT_EQ(h->pending + read_all(h->fd.get()), "hello\n");
}

TEST(Engine, JsonAnswerSplitInsideTheStatusLineAndChunks) {
  test_util::TempDir dir;
  std::string sock = dir / "d.sock";
  PieceServer server(sock, {"HTTP/1.1 2", "00 OK\r\nContent-Type: application/json\r\n",
                            "Transfer-Encoding: chunked\r\n\r\n6\r\n{\"Id\":", "\r\n4\r\n\"ab\"",
                            "\r\n1\r\n}\r\n0\r\n\r\n"});
  Engine e("unix://" + sock);
  auto r = e.call("GET", "/v1.41/exec/x/json");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json().value("Id", ""), "ab");
}

}  // namespace
}  // namespace berth::client

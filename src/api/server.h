// Listens on unix and TCP sockets and serves each connection on its own thread: requests
// are parsed (Beast), handed to the handler, and kept alive until the client closes or a
// handler takes the connection over (hijack).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/http.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "tls/tls.h"

namespace berth::api {

using Handler = std::function<void(Request&, Conn&)>;

class Server {
 public:
  explicit Server(Handler handler) : handler_(std::move(handler)) {}
  ~Server();

  // "unix:///run/berth/berth.sock", "tcp://127.0.0.1:2375", "fd://" is not supported.
  Status listen(const std::string& address);
  // The group that may use the unix sockets listened on after this (mode 0660, owner root).
  void set_unix_group(gid_t gid) { unix_gid_ = gid; }
  // TLS for the tcp:// listeners (dockerd's --tls/--tlsverify); unix sockets stay plain.
  void use_tls(std::shared_ptr<tls::Context> ctx) { tls_ = std::move(ctx); }
  // Accept loops run on their own threads until stop().
  void start();
  void stop();

 private:
  void accept_loop(int lfd, bool tcp);
  Handler handler_;
  std::shared_ptr<tls::Context> tls_;
  std::vector<UniqueFd> listeners_;
  std::vector<bool> tcp_;  // per listener
  gid_t unix_gid_ = static_cast<gid_t>(-1);
  std::vector<std::string> unix_paths_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
};

// Serves one connected socket until it closes (exposed for tests).
void serve_connection(int fd, const Handler& handler);

}  // namespace berth::api

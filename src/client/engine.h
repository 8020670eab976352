// A client of the Docker Engine API (berthd or dockerd) over a unix socket or plain TCP:
// JSON calls, streamed bodies (logs -f, events) and hijacked attach/exec streams.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"
#include "tls/tls.h"

namespace berth::client {

struct Response {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string api_version;  // the API-Version header
  std::string path_stat;    // X-Docker-Container-Path-Stat (container archive HEAD and GET)
  nlohmann::json json() const;
  // Docker's {"message": ...} of an error response.
  std::string message() const;
};

// A stream after a 101 (or 200) to an attach or exec start: the socket and the bytes read
// with the response headers.
struct Hijacked {
  UniqueFd fd;
  std::string pending;
  bool multiplexed = true;  // application/vnd.docker.multiplexed-stream
};

class Engine {
 public:
  // "unix:///run/berth/berth.sock" or "tcp://host:port".
  explicit Engine(std::string host) : host_(std::move(host)) {}
  // -H, else BERTH_HOST, else DOCKER_HOST, else berthd's default socket.
  static std::string default_host(const std::string& flag);
  const std::string& host() const { return host_; }
  // TLS for tcp:// hosts (--tls/--tlsverify); the default port becomes 2376.
  void use_tls(std::shared_ptr<tls::Context> ctx) { tls_ = std::move(ctx); }

  Result<Response> call(std::string_view method, const std::string& target,
                        const std::optional<nlohmann::json>& body = std::nullopt);
  // Sends `raw` (e.g. a tar) as the body.
  Result<Response> call_raw(std::string_view method, const std::string& target,
                            std::string_view content_type, int body_fd);
  // The response body piece by piece (until the server ends it or on_data returns false).
  // `on_headers` runs once the response headers are in (the CLI starts a container only
  // after its wait request is answered, so the exit cannot be missed).
  Result<int> stream(std::string_view method, const std::string& target,
                     const std::function<bool(std::string_view)>& on_data,
                     const std::optional<nlohmann::json>& body = std::nullopt,
                     const std::function<void(int status)>& on_headers = nullptr);
  // A HEAD request: the status and headers only.
  Result<Response> head(const std::string& target);
  Result<Hijacked> hijack(const std::string& target, const std::optional<nlohmann::json>& body);

  // Agrees on an API version as the docker CLI does: ours (1.45), or the daemon's when it is
  // older (dockerd 20.10 speaks 1.41). A daemon that cannot be asked leaves ours.
  void negotiate();
  // /vX.Y prefix for targets ("/v1.45"), with the negotiated version. One engine per
  // process (the CLI's), so the version is the process's.
  static std::string api(const std::string& path);
  // A query parameter's value, percent-encoded (filters={"name":...}).
  static std::string query_escape(std::string_view value);

 private:
  Result<UniqueFd> dial();
  // Connects and sends a request with a JSON body (or none).
  Result<UniqueFd> send(std::string_view method, const std::string& target,
                        const std::optional<nlohmann::json>& body, bool upgrade);
  std::string host_;
  std::shared_ptr<tls::Context> tls_;
};

// "Error response from daemon: <message>" as the docker CLI prints it.
Error daemon_error(const Response& r);

}  // namespace berth::client

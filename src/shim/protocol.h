// What berthd and a berth-shim say to each other on the shim's unix socket. A client writes
// one JSON request line; the shim answers with frames in Docker's multiplexed layout
// ([stream, 0, 0, 0, big-endian length] + payload), so non-tty output passes through
// unchanged. After the request, the client's bytes are the process's stdin; a half-close is
// stdin's EOF.
//
// Requests: {"op":"attach","stdin":b,"stdout":b,"stderr":b}       (kAttached, frames)
//           {"op":"exec","process":{OCI process},"stdin":b}   (kStarted, frames, kExit)
//           {"op":"wait"}                                    (kExit when the init exits)
//           {"op":"resize","exec_pid":0|pid,"h":n,"w":n}     (one line "ok" back)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::shim {

// kStarted carries an exec's pid (for resize); kExit the ExitStatus JSON; kAttached (empty)
// confirms an attach: output from then on reaches this client.
enum Frame : uint8_t { kStdout = 1, kStderr = 2, kExit = 10, kStarted = 11, kAttached = 12 };

std::string frame(uint8_t stream, std::string_view data);

// Splits a byte stream into frames.
class FrameReader {
 public:
  void feed(const char* data, size_t n) { buf_.append(data, n); }
  // The next complete frame, if any.
  bool next(uint8_t& stream, std::string& payload);

 private:
  std::string buf_;
};

// The exit record: written by the shim to exit.json and sent as the kExit payload.
struct ExitStatus {
  int exit_code = 0;
  bool oom_killed = false;
  std::string finished_at;  // RFC 3339
  std::string error;
  nlohmann::json to_json() const;
  static ExitStatus from_json(const nlohmann::json& j);
};

inline std::string socket_path(const std::string& dir) {
  return dir + "/shim.sock";
}
inline std::string exit_path(const std::string& dir) {
  return dir + "/exit.json";
}
inline std::string pid_path(const std::string& dir) {
  return dir + "/shim.pid";
}

// A name for a unix socket path that fits sun_path (dirfd keeps the dir open while used).
std::string short_path(const std::string& path, UniqueFd& dirfd);

// Reads from `fd` into `fr` until the first frame arrives; it must be `kind`. Bytes after it
// stay in `fr`.
Status await_frame(int fd, FrameReader& fr, uint8_t kind, int timeout_ms);

// Connects to the shim in `dir` and sends `request`.
Result<UniqueFd> connect(const std::string& dir, const nlohmann::json& request);

}  // namespace berth::shim

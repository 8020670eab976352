// Starts berth-shim processes for container starts. After the first, one shim is kept started
// ahead ("standby": exec'd, its static init done, blocked reading its arguments from a pipe),
// so a start hands it the arguments instead of paying ~1.2 ms for posix_spawn + exec first.
// Only the first start, and starts that find the spare taken, spawn a shim of their own.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::daemon {

class ShimSpawner {
 public:
  // A shim running with the arguments: reap `pid` unless -1 (it forks away at once) and
  // read its one line ("ok <pid>" or "error: ...") from `ready`.
  struct Started {
    pid_t pid = -1;
    UniqueFd ready;
  };

  explicit ShimSpawner(std::string shim_path) : path_(std::move(shim_path)) {}
  ~ShimSpawner();  // the spare reads EOF and exits
  ShimSpawner(const ShimSpawner&) = delete;
  ShimSpawner& operator=(const ShimSpawner&) = delete;

  // `args` without argv[0]. Starts another spare in the background afterwards.
  Result<Started> start(const std::vector<std::string>& args);

 private:
  // detached already (not our child): a start needs no fork
  struct Spare {
    UniqueFd ready;  // read end of its fd 3
    UniqueFd args;   // write end of its fd 4
  };
  Result<Started> spawn(const std::vector<std::string>& args);
  Result<Spare> spawn_spare();
  void refill();

  const std::string path_;
  std::mutex mu_;
  std::optional<Spare> spare_;
  bool refilling_ = false;
  bool closing_ = false;
};

}  // namespace berth::daemon

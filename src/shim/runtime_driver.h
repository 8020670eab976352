// How berthd and the shims drive a container's OCI runtime: the built-in one (the runtime
// library, in process) or an external binary with runc's command line (runc, crun, or
// berth-runtime itself), chosen per container as Docker's --runtime / --add-runtime do.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::shim {

struct RuntimeInfo {
  std::string name;               // as HostConfig.Runtime names it
  std::string path;               // "" for the built-in runtime
  std::vector<std::string> args;  // runtimeArgs, before the command
  bool builtin() const { return path.empty(); }
};

// The name and path of the runtime built into berth.
inline constexpr const char* kBuiltinRuntime = "berth";

// The process's stdio; a tty process gets /dev/null here and its pty master comes back.
struct Stdio {
  int in = -1, out = -1, err = -1;
  bool tty = false;
};

struct Started {
  pid_t pid = 0;
  UniqueFd console;  // the pty master, with Stdio::tty
};

class RuntimeDriver {
 public:
  // `state_root`: the runtime's --root; `work_dir`: where files for one call go (pid files,
  // process.json, the console socket, the runtime's log).
  RuntimeDriver(RuntimeInfo rt, std::string state_root)
      : rt_(std::move(rt)), root_(std::move(state_root)) {}

  Result<Started> create(const std::string& id, const std::string& bundle, const Stdio& io,
                         const std::string& work_dir) const;
  // A process (OCI process JSON) in the running container; detached, so its pid comes back.
  Result<Started> exec(const std::string& id, const nlohmann::json& process, const Stdio& io,
                       const std::string& work_dir) const;
  Status start(const std::string& id) const;
  Status kill(const std::string& id, int sig) const;
  Status pause(const std::string& id, bool pause) const;
  // OCI linux.resources.
  Status update(const std::string& id, const nlohmann::json& resources) const;
  Status remove(const std::string& id) const;

  const RuntimeInfo& info() const { return rt_; }
  const std::string& state_root() const { return root_; }

 private:
  // Runs the external runtime with `cmd` (after --root/--log) and waits for it. stdio as
  // given (-1: /dev/null); `input` is written to its stdin when io.in is -1.
  Status run(const std::vector<std::string>& cmd, const Stdio& io, const std::string& log_file,
             const std::string& input = "") const;
  RuntimeInfo rt_;
  std::string root_;
};

}  // namespace berth::shim

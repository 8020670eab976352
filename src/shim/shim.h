// berth-shim: one small process per container. It creates the container through the
// container's runtime (see runtime_driver.h), holds its stdio (pipes or the pty master), writes its
// logs, reaps it, records the exit status, and serves attach, exec, wait and resize on a unix
// socket, so berthd can restart (even after a kill -9) without touching the container.
#pragma once

#include <string>

#include "logs/log_file.h"
#include "shim/runtime_driver.h"

namespace berth::shim {

struct Config {
  std::string id;
  std::string bundle;
  RuntimeInfo runtime;     // the built-in runtime, or an external one (runc, crun)
  std::string state_root;  // the runtime's state root
  std::string dir;         // this shim's dir: socket, exit.json, pid
  std::string log_path;
  logs::LogConfig log;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
};

// Creates the container, reports "ok\n" (or "error: ...\n") on ready_fd, then serves until
// the container's init has exited and its status is recorded. Returns the shim's exit code.
int run(const Config& cfg, int ready_fd);

}  // namespace berth::shim

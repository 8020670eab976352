// berthd's settings: dockerd's flags, then daemon.json for what no flag gave, then the
// runtimes and defaults that follow from both; the API's access rules (the socket's group, no
// plain TCP beyond loopback unless asked for).
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "daemon/daemon.h"
#include "tls/tls.h"

namespace berth::berthd {

struct Options {
  daemon::Config cfg;
  std::vector<std::string> hosts;
  std::string pidfile = "/run/berth.pid", log_level = "info",
              config_file = "/etc/berth/daemon.json";
  bool no_live_restore = false, use_tls = false, tls_verify = false;
  // --tls=false or --tlsverify=false given (flag or daemon.json): plain TCP is intended
  bool tls_refused = false;
  // -G/--group: the unix socket's group; empty = "berth", else "docker", when they exist
  std::string group;
  gid_t socket_gid = static_cast<gid_t>(-1);  // -1: left root's
  tls::Options tls;  // defaults: ~/.docker/{ca,cert,key}.pem or $DOCKER_CERT_PATH's, as dockerd
  std::vector<std::string> add_runtimes;
};

// Registers dockerd's flags on `app`, writing into `o`.
void add_flags(CLI::App& app, Options& o);

// After parsing: daemon.json (a flag given wins), --add-runtime, runc by name when
// installed, the default runtime checked, the default host. Errors are whole lines to print.
Status finish_options(const CLI::App& app, Options& o);

// Part of finish_options: refuses plain TCP beyond loopback unless --tls=false (dockerd 27),
// and finds the unix socket's group (-G, else "berth", else "docker", as dockerd's default).
Status check_api_access(const CLI::App& app, Options& o);

}  // namespace berth::berthd

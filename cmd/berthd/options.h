// berthd's settings: dockerd's flags, then daemon.json for what no flag gave, then the
// runtimes and defaults that follow from both.
#pragma once

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
  tls::Options tls;  // defaults: ~/.docker/{ca,cert,key}.pem or $DOCKER_CERT_PATH's, as dockerd
  std::vector<std::string> add_runtimes;
};

// Registers dockerd's flags on `app`, writing into `o`.
void add_flags(CLI::App& app, Options& o);

// After parsing: daemon.json (a flag given wins), --add-runtime, runc by name when
// installed, the default runtime checked, the default host. Errors are whole lines to print.
Status finish_options(const CLI::App& app, Options& o);

}  // namespace berth::berthd

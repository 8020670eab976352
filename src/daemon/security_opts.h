// HostConfig.SecurityOpt, parsed and checked as dockerd does ("invalid --security-opt 2: ...").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace berth::daemon {

struct SecurityOpts {
  bool no_new_privileges = false;
  // "" (the default profile), "unconfined", "builtin", or a profile's JSON text
  std::string seccomp;
  bool unconfined_system_paths = false;  // systempaths=unconfined: nothing masked
};

Result<SecurityOpts> parse_security_opts(const nlohmann::json& host_config);

}  // namespace berth::daemon

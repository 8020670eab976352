// Seccomp profiles in Docker's format (what `--security-opt seccomp=FILE` sends and what
// Docker's built-in default is written in) turned into OCI linux.seccomp for one container.
// Docker's format adds, per rule, conditions on the container's capabilities, the host's
// architecture and kernel version ("includes"/"excludes"), and an archMap from the native
// architecture to the sub-architectures whose syscall tables the filter must also cover.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::daemon {

struct SeccompTarget {
  std::vector<std::string> capabilities;  // the container's bounding set, CAP_ names
  std::string machine;                    // uname's machine: x86_64, aarch64, ...
  std::string kernel;                     // uname's release: 6.1.0-13-amd64
  // The running host's machine and kernel.
  static SeccompTarget host(std::vector<std::string> capabilities);
};

// Docker's default profile (moby's profiles/seccomp/default.json, as data), Docker's format.
const nlohmann::json& default_seccomp_profile();

// A profile in Docker's format (or already in OCI's: `architectures` instead of `archMap`)
// for `target`. Errors name what is wrong ("decoding seccomp profile failed: ...").
Result<nlohmann::json> seccomp_to_oci(const nlohmann::json& profile, const SeccompTarget& target);

}  // namespace berth::daemon

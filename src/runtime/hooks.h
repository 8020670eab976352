// OCI lifecycle hooks: each gets the container state on stdin; a timeout kills it.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace berth::runtime {

// Runs the hooks in order; stops at the first failure, whose message names
// "hooks.<phase>[i]" and the hook's path, exit status and stderr.
Status run_hooks(const std::vector<oci::Hook>& hooks, const char* phase,
                 const std::string& state_json);

}  // namespace berth::runtime

// linux.seccomp through libseccomp.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace berth::runtime {

// Builds the filter without loading it, so create can reject a bad profile early,
// naming the field at fault (e.g. "linux.seccomp.syscalls[3].action: unknown action ...").
Status check_seccomp(const oci::Seccomp& profile);

// Checks the profile and compiles it to its BPF program once, before the container's
// process is cloned: taken from `cache_dir` when a container has used the same profile before
// (libseccomp takes ~10 ms per build of Docker's default), else built and stored there.
// apply_seccomp of an equal profile then loads that program. Profiles with flags or
// SCMP_ACT_NOTIFY keep the libseccomp path. A cache that cannot be written is no error.
Status prepare_seccomp(const oci::Seccomp& profile, const std::string& cache_dir);

// Builds and loads the filter into the calling process. Returns the notify fd when the
// profile uses SCMP_ACT_NOTIFY (invalid UniqueFd otherwise).
Result<UniqueFd> apply_seccomp(const oci::Seccomp& profile);

}  // namespace berth::runtime

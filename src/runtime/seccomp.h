// linux.seccomp through libseccomp.
#pragma once

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace berth::runtime {

// Builds the filter without loading it, so create can reject a bad profile early,
// naming the field at fault (e.g. "linux.seccomp.syscalls[3].action: unknown action ...").
Status check_seccomp(const oci::Seccomp& profile);

// Builds and loads the filter into the calling process. Returns the notify fd when the
// profile uses SCMP_ACT_NOTIFY (invalid UniqueFd otherwise).
Result<UniqueFd> apply_seccomp(const oci::Seccomp& profile);

}  // namespace berth::runtime

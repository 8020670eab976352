// Turning the current process into the container's process: rlimits, user, capabilities,
// no_new_privs, seccomp, then execve. Shared by the container init and `exec`.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace berth::runtime {

// Finds args[0] the way execvp would, using PATH from `env` (resolved in the current root).
// The error reads like runc's: exec: "foo": executable file not found in $PATH.
Result<std::string> resolve_executable(const std::vector<std::string>& args,
                                       const std::vector<std::string>& env);

// Steps that must precede the user switch and need no further input: rlimits, oom score,
// personality, LSM labels.
Status setup_process_limits(const oci::Process& p, const oci::Spec& spec);

// Becomes the configured user with the configured capabilities (and loads seccomp first when
// no_new_privs is off, since that needs CAP_SYS_ADMIN). Runs before the parent is told the
// process is ready, so these errors fail `create`/`exec` themselves, as with runc.
Status finalize_process(const oci::Process& p, const oci::Seccomp* seccomp, bool in_userns);
// Loads seccomp when no_new_privs is on, then execve; returns only on failure.
Status exec_process(const oci::Process& p, const oci::Seccomp* seccomp,
                    const std::string& executable);

// Marks every fd >= first close-on-exec (what --preserve-fds leaves open is below it).
Status mark_cloexec_from(int first);

// HOME from /etc/passwd for uid when env has none; PATH default when env has none.
std::vector<std::string> complete_env(const std::vector<std::string>& env, uint32_t uid);

}  // namespace berth::runtime

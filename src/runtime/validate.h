// Checks of a parsed config against this host and runc's rules, before anything is created.
#pragma once

#include "base/error.h"
#include "oci/spec.h"

namespace berth::runtime {

// sysctls allowed for the namespaces in use, rlimit and capability names, namespace paths
// that exist (the seccomp profile: prepare_seccomp). Errors name the field.
Status validate_for_host(const oci::Spec& spec);

// runc's sysctl rule: namespaced keys only, each needing its namespace.
Status validate_sysctl(const std::string& key, const oci::Spec& spec);

}  // namespace berth::runtime

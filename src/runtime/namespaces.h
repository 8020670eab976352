// Namespace kinds: config names, clone flags and /proc/<pid>/ns names.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace berth::runtime {

struct NamespaceKind {
  const char* type;  // OCI name: "network"
  const char* proc;  // /proc/<pid>/ns/<proc>: "net"
  int clone_flag;    // CLONE_NEWNET
};

const std::vector<NamespaceKind>& namespace_kinds();
const NamespaceKind* find_namespace_kind(const std::string& type);

// setns order that always works: user first (it grants rights in the others), mount last
// (after it, paths resolve in the container).
std::vector<oci::Namespace> ordered_for_setns(const std::vector<oci::Namespace>& ns);

// Joins the namespace at path; error names the config entry.
Status join_namespace(const oci::Namespace& ns);

// Writes /proc/self/timens_offsets after unshare(CLONE_NEWTIME).
Status write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets);

}  // namespace berth::runtime

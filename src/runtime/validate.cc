#include "runtime/validate.h"

#include "base/file.h"
#include "base/log.h"
#include "runtime/names.h"

namespace berth::runtime {

namespace {
bool starts_with(const std::string& s, std::string_view p) {
  return s.rfind(p, 0) == 0;
}

bool new_namespace(const oci::Spec& spec, const char* type) {
  auto* ns = spec.find_namespace(type);
  return ns != nullptr;
}
}  // namespace

Status validate_sysctl(const std::string& key, const oci::Spec& spec) {
  static const char* kIpcKeys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                   "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                   "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const char* k : kIpcKeys) {
    if (key == k) {
      if (!new_namespace(spec, "ipc"))
        return fail(ErrorKind::InvalidArgument, "linux.sysctl.{}: sysctl requires an ipc namespace",
                    key);
      return ok();
    }
  }
  if (starts_with(key, "fs.mqueue.")) {
    if (!new_namespace(spec, "ipc"))
      return fail(ErrorKind::InvalidArgument, "linux.sysctl.{}: sysctl requires an ipc namespace",
                  key);
    return ok();
  }
  if (starts_with(key, "net.")) {
    if (!new_namespace(spec, "network"))
      return fail(ErrorKind::InvalidArgument,
                  "linux.sysctl.{}: sysctl requires a network namespace (not host networking)",
                  key);
    return ok();
  }
  if (key == "kernel.hostname" || key == "kernel.domainname") {
    if (!new_namespace(spec, "uts"))
      return fail(ErrorKind::InvalidArgument, "linux.sysctl.{}: sysctl requires a uts namespace",
                  key);
    return ok();
  }
  return fail(ErrorKind::InvalidArgument,
              "linux.sysctl.{}: sysctl is not in a separate kernel namespace", key);
}

Status validate_for_host(const oci::Spec& spec) {
  const oci::Process& p = *spec.process;
  for (size_t i = 0; i < p.rlimits.size(); ++i)
    if (!rlimit_from_name(p.rlimits[i].type))
      return fail(ErrorKind::InvalidArgument, "process.rlimits[{}].type: unknown rlimit {:?}", i,
                  p.rlimits[i].type);
  if (p.capabilities) {
    // Like runc, unknown names are ignored with a warning so one config serves many kernels.
    for (const auto* set :
         {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
          &p.capabilities->inheritable, &p.capabilities->ambient})
      for (const auto& n : *set) {
        auto v = capability_from_name(n);
        if (!v || *v > last_capability())
          log::warn("process.capabilities: ignoring unknown capability {:?}", n);
      }
  }
  if (!spec.linux) return ok();
  const oci::Linux& lx = *spec.linux;
  for (const auto& [key, value] : lx.sysctl) BERTH_TRY(validate_sysctl(key, spec));
  for (size_t i = 0; i < lx.namespaces.size(); ++i) {
    const auto& n = lx.namespaces[i];
    if (!n.path.empty() && !path_exists(n.path))
      return fail(ErrorKind::NotFound, "linux.namespaces[{}].path: {} does not exist", i, n.path);
  }
  if (spec.find_namespace("time") && !path_exists("/proc/self/ns/time"))
    return fail(ErrorKind::Unavailable,
                "linux.namespaces: time namespaces are not supported by "
                "this kernel");
  // linux.seccomp is checked by prepare_seccomp, which can skip a build it has cached
  if (!spec.has_namespace("mount") && !spec.mounts.empty())
    log::warn("mounts: ignored without a mount namespace");
  return ok();
}

}  // namespace berth::runtime

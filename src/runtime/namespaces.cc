#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "base/file.h"
#include "base/unique_fd.h"

namespace berth::runtime {

const std::vector<NamespaceKind>& namespace_kinds() {
  static const std::vector<NamespaceKind> kKinds = {
      {"user", "user", CLONE_NEWUSER}, {"ipc", "ipc", CLONE_NEWIPC},
      {"uts", "uts", CLONE_NEWUTS},    {"network", "net", CLONE_NEWNET},
      {"pid", "pid", CLONE_NEWPID},    {"cgroup", "cgroup", CLONE_NEWCGROUP},
      {"time", "time", CLONE_NEWTIME}, {"mount", "mnt", CLONE_NEWNS},
  };
  return kKinds;
}

const NamespaceKind* find_namespace_kind(const std::string& type) {
  for (const auto& k : namespace_kinds())
    if (type == k.type) return &k;
  return nullptr;
}

std::vector<oci::Namespace> ordered_for_setns(const std::vector<oci::Namespace>& ns) {
  std::vector<oci::Namespace> out;
  for (const auto& k : namespace_kinds())
    for (const auto& n : ns)
      if (n.type == k.type) out.push_back(n);
  return out;
}

Status join_namespace(const oci::Namespace& ns) {
  const NamespaceKind* k = find_namespace_kind(ns.type);
  if (!k) return fail(ErrorKind::InvalidArgument, "unknown namespace {}", ns.type);
  UniqueFd fd(open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_fail("linux.namespaces: open {} namespace {}", ns.type, ns.path);
  if (setns(fd.get(), k->clone_flag) < 0)
    return sys_fail("linux.namespaces: join {} namespace {}", ns.type, ns.path);
  return ok();
}

Status write_time_offsets(const std::map<std::string, oci::TimeOffset>& offsets) {
  std::string text;
  for (const auto& [clock, off] : offsets) {
    if (clock != "monotonic" && clock != "boottime")
      return fail(ErrorKind::InvalidArgument, "linux.timeOffsets.{}: unknown clock", clock);
    text += fmt::format("{} {} {}\n", clock, off.secs, off.nanosecs);
  }
  if (text.empty()) return ok();
  if (auto st = write_file("/proc/self/timens_offsets", text); !st)
    return std::unexpected(std::move(st.error()).context("linux.timeOffsets"));
  return ok();
}

}  // namespace berth::runtime

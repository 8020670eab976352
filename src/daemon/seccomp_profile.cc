#include "daemon/seccomp_profile.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>

namespace berth::daemon {

using nlohmann::json;

namespace {

struct ArchNames {
  const char* machine;  // uname
  const char* go;       // the names Docker's includes/excludes use (Go's GOARCH)
  const char* scmp;     // libseccomp's
};

constexpr ArchNames kArches[] = {{"x86_64", "amd64", "SCMP_ARCH_X86_64"},
                                 {"aarch64", "arm64", "SCMP_ARCH_AARCH64"},
                                 {"i686", "386", "SCMP_ARCH_X86"},
                                 {"i386", "386", "SCMP_ARCH_X86"},
                                 {"armv7l", "arm", "SCMP_ARCH_ARM"},
                                 {"armv6l", "arm", "SCMP_ARCH_ARM"},
                                 {"s390x", "s390x", "SCMP_ARCH_S390X"},
                                 {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"},
                                 {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
                                 {"mips64", "mips64", "SCMP_ARCH_MIPS64"},
                                 {"loongarch64", "loong64", "SCMP_ARCH_LOONGARCH64"}};

const ArchNames* arch_of(const std::string& machine) {
  for (auto& a : kArches)
    if (machine == a.machine) return &a;
  return nullptr;
}

// "6.1.0-13-amd64" -> {6, 1}; "4.8" -> {4, 8}.
std::pair<int, int> kernel_version(const std::string& s) {
  int major = 0, minor = 0;
  std::sscanf(s.c_str(), "%d.%d", &major, &minor);
  return {major, minor};
}

bool contains(const json& list, const std::string& v) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(),
                     [&](const json& e) { return e.is_string() && e.get<std::string>() == v; });
}

bool has_all(const std::vector<std::string>& caps, const json& wanted) {
  for (auto& c : wanted)
    if (!c.is_string() || std::find(caps.begin(), caps.end(), c.get<std::string>()) == caps.end())
      return false;
  return true;
}

bool has_any(const std::vector<std::string>& caps, const json& listed) {
  for (auto& c : listed)
    if (c.is_string() && std::find(caps.begin(), caps.end(), c.get<std::string>()) != caps.end())
      return true;
  return false;
}

bool kernel_at_least(const std::string& kernel, const json& min) {
  if (!min.is_string() || min.get<std::string>().empty()) return true;
  return kernel_version(kernel) >= kernel_version(min.get<std::string>());
}

// Whether a rule's includes/excludes keep it for this container.
bool applies(const json& rule, const SeccompTarget& t, const std::string& go_arch) {
  if (rule.contains("includes") && rule["includes"].is_object()) {
    const json& in = rule["includes"];
    if (in.contains("caps") && !has_all(t.capabilities, in["caps"])) return false;
    if (in.contains("arches") && !in["arches"].empty() && !contains(in["arches"], go_arch))
      return false;
    if (in.contains("minKernel") && !kernel_at_least(t.kernel, in["minKernel"])) return false;
  }
  if (rule.contains("excludes") && rule["excludes"].is_object()) {
    const json& ex = rule["excludes"];
    if (ex.contains("caps") && has_any(t.capabilities, ex["caps"])) return false;
    if (ex.contains("arches") && contains(ex["arches"], go_arch)) return false;
    if (ex.contains("minKernel") && ex["minKernel"].is_string() &&
        !ex["minKernel"].get<std::string>().empty() && kernel_at_least(t.kernel, ex["minKernel"]))
      return false;
  }
  return true;
}

Error bad(const std::string& what) {
  return Error(ErrorKind::InvalidArgument, "decoding seccomp profile failed: " + what);
}

}  // namespace

SeccompTarget SeccompTarget::host(std::vector<std::string> capabilities) {
  utsname u{};
  uname(&u);
  return {std::move(capabilities), u.machine, u.release};
}

// obj[key] as a string: "" when absent, an error naming it when of another type.
Result<std::string> string_field(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::unexpected(bad(where + key + " is not a string"));
  return it->get<std::string>();
}

Result<json> seccomp_to_oci(const json& profile, const SeccompTarget& t) {
  if (!profile.is_object()) return std::unexpected(bad("the profile is not a JSON object"));
  const ArchNames* arch = arch_of(t.machine);
  std::string go_arch = arch ? arch->go : t.machine;
  BERTH_ASSIGN(std::string default_action, string_field(profile, "defaultAction", ""));
  if (default_action.empty()) return std::unexpected(bad("defaultAction is missing"));
  json out = {{"defaultAction", default_action}};
  if (profile.contains("defaultErrnoRet")) out["defaultErrnoRet"] = profile["defaultErrnoRet"];
  if (profile.contains("architectures") && profile.contains("archMap") &&
      !profile["architectures"].empty() && !profile["archMap"].empty())
    return std::unexpected(bad("use either 'architectures' or 'archMap'"));
  json arches = json::array();
  if (profile.contains("architectures") && profile["architectures"].is_array())
    arches = profile["architectures"];
  if (profile.contains("archMap") && profile["archMap"].is_array() && arch) {
    for (auto& m : profile["archMap"]) {
      if (!m.is_object()) return std::unexpected(bad("archMap has an entry that is no object"));
      BERTH_ASSIGN(std::string native, string_field(m, "architecture", "archMap[]."));
      if (native != arch->scmp) continue;
      arches.push_back(arch->scmp);
      if (m.contains("subArchitectures") && m["subArchitectures"].is_array())
        for (auto& s : m["subArchitectures"]) arches.push_back(s);
    }
  }
  if (!arches.empty()) out["architectures"] = arches;
  for (auto key : {"flags", "listenerPath", "listenerMetadata"})
    if (profile.contains(key)) out[key] = profile[key];

  json syscalls = json::array();
  if (profile.contains("syscalls") && !profile["syscalls"].is_array())
    return std::unexpected(bad("syscalls is not a list"));
  size_t i = 0;
  for (auto& rule : profile.value("syscalls", json::array())) {
    std::string where = "syscalls[" + std::to_string(i++) + "]";
    if (!rule.is_object()) return std::unexpected(bad(where + " is not an object"));
    json names = rule.value("names", json::array());
    if (!names.is_array()) return std::unexpected(bad(where + ".names is not a list"));
    if (rule.contains("name") && rule["name"].is_string()) {  // the old single-name form
      if (!names.empty()) return std::unexpected(bad(where + ": use either 'name' or 'names'"));
      names.push_back(rule["name"]);
    }
    if (names.empty()) return std::unexpected(bad(where + " names no syscall"));
    if (!applies(rule, t, go_arch)) continue;
    BERTH_ASSIGN(std::string action, string_field(rule, "action", where + "."));
    json s = {{"names", names}, {"action", action}};
    if (rule.contains("errnoRet")) s["errnoRet"] = rule["errnoRet"];
    if (rule.contains("args") && rule["args"].is_array() && !rule["args"].empty())
      s["args"] = rule["args"];
    syscalls.push_back(std::move(s));
  }
  out["syscalls"] = syscalls;
  return out;
}

}  // namespace berth::daemon

#include "runtime/names.h"

#include <sys/capability.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstring>

#include "base/file.h"
#include "base/strings.h"

namespace berth::runtime {

namespace {
std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}
}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  std::string u = upper(name);
  if (u.rfind("CAP_", 0) != 0) return std::nullopt;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  cap_value_t v;
  if (cap_from_name(lower.c_str(), &v) != 0) return std::nullopt;
  return static_cast<int>(v);
}

std::string capability_name(int cap) {
  char* n = cap_to_name(static_cast<cap_value_t>(cap));
  if (!n) return "CAP_" + std::to_string(cap);
  std::string out = upper(n);
  cap_free(n);
  return out;
}

int last_capability() {
  static int cached = -1;
  if (cached >= 0) return cached;
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  if (text) {
    if (auto v = parse_int(trim(*text))) cached = static_cast<int>(*v);
  }
  if (cached < 0) cached = CAP_LAST_CAP;
  return cached;
}

Result<int> parse_signal(std::string_view s) {
  if (s.empty()) return fail(ErrorKind::InvalidArgument, "invalid signal: empty");
  if (auto n = parse_int(s)) {
    if (*n <= 0 || *n > SIGRTMAX) return fail(ErrorKind::InvalidArgument, "invalid signal: {}", s);
    return static_cast<int>(*n);
  }
  std::string u = upper(s);
  if (u.rfind("SIG", 0) == 0) u = u.substr(3);
  auto rt = [&](std::string_view base, int origin) -> std::optional<int> {
    if (u.rfind(base, 0) != 0) return std::nullopt;
    std::string_view rest = std::string_view(u).substr(base.size());
    if (rest.empty()) return origin;
    if (rest.front() == '+') rest.remove_prefix(1);
    if (auto off = parse_int(rest)) return origin + static_cast<int>(*off);
    return std::nullopt;
  };
  if (auto v = rt("RTMIN", SIGRTMIN); v && *v >= SIGRTMIN && *v <= SIGRTMAX) return *v;
  if (auto v = rt("RTMAX", SIGRTMAX); v && *v >= SIGRTMIN && *v <= SIGRTMAX) return *v;
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && u == abbrev) return sig;
  }
  return fail(ErrorKind::InvalidArgument, "invalid signal: {}", s);
}

std::string signal_name(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(sig);
}

std::optional<int> rlimit_from_name(std::string_view name) {
  static const std::pair<const char*, int> kTable[] = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  for (auto& [n, v] : kTable)
    if (name == n) return v;
  return std::nullopt;
}

}  // namespace berth::runtime

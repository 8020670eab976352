// Name tables shared by config validation and the CLI: capabilities, signals, rlimits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::runtime {

// "CAP_SYS_ADMIN" (case-insensitive, CAP_ prefix required) -> 21. nullopt if unknown.
std::optional<int> capability_from_name(std::string_view name);
std::string capability_name(int cap);
// Highest capability number the running kernel knows (from /proc/sys/kernel/cap_last_cap).
int last_capability();

// "KILL", "SIGKILL", "kill", "9", "RTMIN+3", "SIGRTMAX-1" -> number, as runc/docker accept them.
Result<int> parse_signal(std::string_view s);
std::string signal_name(int sig);  // "SIGTERM"

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE.
std::optional<int> rlimit_from_name(std::string_view name);

}  // namespace berth::runtime

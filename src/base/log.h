// Runtime logging in runc's --log / --log-format text|json style. Synchronous and
// thread-free on purpose: the runtime forks, so no logger thread may exist.
#pragma once

#include <fmt/format.h>

#include <string>

namespace berth::log {

enum class Level { Debug, Info, Warn, Error };

void configure(const std::string& path, bool json, bool debug);
void write(Level level, const std::string& msg);

template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace berth::log

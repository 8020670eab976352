#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

// Now in RFC 3339 with nanoseconds, UTC: "2026-11-27T19:31:09.123456789Z".
std::string now_rfc3339();
// Nanoseconds since the epoch as RFC 3339 (UTC, nanoseconds).
std::string rfc3339_from_ns(int64_t ns);
int64_t now_ns();
// "2026-11-27T19:31:09.123456789Z" (fraction and zone optional; +hh:mm offsets accepted).
std::optional<int64_t> parse_rfc3339_ns(std::string_view s);
// Docker's --since/--until forms: unix seconds with an optional fraction ("1700000000.5"),
// RFC 3339, or a duration back from `now_ns` ("10m", "1h30m", "2s").
std::optional<int64_t> parse_timestamp_ns(std::string_view s, int64_t now);
// Go durations: "300ms", "1.5s", "2m", "1h30m"; nanoseconds.
std::optional<int64_t> parse_duration_ns(std::string_view s);

}  // namespace berth

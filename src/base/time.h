#pragma once

#include <string>

namespace berth {

// Now in RFC 3339 with nanoseconds, UTC: "2026-11-27T19:31:09.123456789Z".
std::string now_rfc3339();

}  // namespace berth

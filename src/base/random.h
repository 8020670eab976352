// Random identifiers from the kernel's CSPRNG (getrandom): container, exec, network,
// endpoint and volume IDs.
#pragma once

#include <cstddef>
#include <string>

namespace berth {

// n hex digits.
std::string random_hex(size_t n);
// A uniformly chosen index below n (n > 0).
size_t random_index(size_t n);

}  // namespace berth

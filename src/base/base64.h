// Standard base64 (RFC 4648, with padding), as Docker's headers use it
// (X-Docker-Container-Path-Stat, X-Registry-Auth).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth {

std::string base64_encode(std::string_view data);
// nullopt when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace berth

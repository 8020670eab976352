// User-namespace id mappings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci/spec.h"

namespace berth::runtime {

// The text written to /proc/<pid>/uid_map: "containerID hostID size\n" per mapping.
std::string format_id_map(const std::vector<oci::IdMapping>& maps);
// Host id that container id `id` maps to; nullopt when unmapped.
std::optional<uint32_t> to_host_id(uint32_t id, const std::vector<oci::IdMapping>& maps);

}  // namespace berth::runtime

#include "runtime/idmap.h"

#include <fmt/format.h>

namespace berth::runtime {

std::string format_id_map(const std::vector<oci::IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps) out += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
  return out;
}

std::optional<uint32_t> to_host_id(uint32_t id, const std::vector<oci::IdMapping>& maps) {
  for (const auto& m : maps) {
    if (id >= m.container_id && static_cast<uint64_t>(id) < uint64_t{m.container_id} + m.size)
      return m.host_id + (id - m.container_id);
  }
  return std::nullopt;
}

}  // namespace berth::runtime

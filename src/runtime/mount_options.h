// Translating OCI mount options ("ro", "nosuid", "rbind", "mode=755", ...) to mount(2) terms.
#pragma once

#include <string>
#include <vector>

namespace berth::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_* to set
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (| MS_REC)
  std::string data;               // filesystem-specific: "mode=755,size=65536k"
  // Recursive attributes (rro, rnosuid, ...) applied with mount_setattr(AT_RECURSIVE).
  unsigned long long attr_set = 0, attr_clr = 0;
  bool bind() const;
  bool recursive_bind() const;
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

// "rprivate" -> MS_PRIVATE|MS_REC; 0 if unknown.
unsigned long propagation_flag(const std::string& name);

}  // namespace berth::runtime

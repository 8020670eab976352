// A container's mount points, as Docker records them: binds and volumes from Binds, Mounts,
// VolumesFrom and the Config's (and image's) Volumes, resolved once at create. The spec
// mounts them, inspect shows them, and volume removal checks them.
//
// Each is a JSON object in Docker's MountPoint shape: Type ("bind"|"volume"), Name,
// Source, Destination, Driver, Mode, RW, Propagation, plus CopyData (the image's content
// at Destination is copied into an empty volume on first start) and Anonymous.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "daemon/volumes.h"

namespace berth::daemon {

// "src:dst[:opts]" from HostConfig.Binds; src is a host path or a volume name.
struct BindSpec {
  std::string source, destination;
  bool volume = false;  // source names a volume
  bool read_only = false, nocopy = false;
  std::string propagation;  // "" or rprivate, shared, ...
  std::string mode;         // the opts as given
};
Result<BindSpec> parse_bind(const std::string& spec);

// Checks Binds, Mounts and VolumesFrom without creating anything.
Status validate_mounts(const nlohmann::json& host_config);

// Resolves the container's mount points, creating the named and anonymous volumes they
// need. `mounts_of` gives another container's mount points (VolumesFrom).
Result<nlohmann::json> resolve_mount_points(
    const nlohmann::json& config, const nlohmann::json& host_config, VolumeStore& volumes,
    const std::function<Result<nlohmann::json>(const std::string& container)>& mounts_of);

// Mount points as `docker inspect` shows them under "Mounts".
nlohmann::json mounts_for_inspect(const nlohmann::json& mount_points);

}  // namespace berth::daemon

// Dockerfile-style "--change" lines applied to an image config (import, commit).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace berth::image {

// CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD, as
// `docker import --change` / `docker commit --change` accept them. `config` is the image
// config's "config" object.
Status apply_change(nlohmann::json& config, const std::string& line);

}  // namespace berth::image

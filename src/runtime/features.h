// `features`: what this runtime supports, in the runtime-spec features.json shape.
#pragma once

#include <string>

namespace berth::runtime {

std::string features_json();

}  // namespace berth::runtime

// Layer ids become path components under a driver's root, so they are checked first.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::storage {

// Accepts [A-Za-z0-9][A-Za-z0-9_.-]* up to 128 chars (Docker's hex ids, "<hex>-init").
Status validate_layer_id(const std::string& id);

}  // namespace berth::storage

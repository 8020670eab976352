// A consistency check of the image store (berth-image check): what a crash at any point must
// never leave behind once recovery has run.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace berth::image {

// Returns the problems found, one line each; empty when the store is consistent:
// no unfinished layer rows; every ready layer has its driver dir and its parent; every driver
// dir belongs to a layer row or a container; every image's layer chain matches its config;
// reference counts match their holders; the blobs recorded for layers exist.
Result<std::vector<std::string>> check(Store& store);

}  // namespace berth::image

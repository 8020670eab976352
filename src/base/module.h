// Optional parts of Berth built as modules (berth-tls.so, berth-cp.so): dlopened on first
// use, so that every start of berthd or berth does not pay for libraries few commands need.
#pragma once

#include <string>

#include "base/error.h"

namespace berth {

// The address of `symbol` in the module `name`, found beside the executable (the build tree's
// cmd/) or in ../lib/berth (installed: /usr/local/bin -> /usr/local/lib/berth). Loaded once per
// name and kept; an error says which paths were tried, or what dlopen said.
Result<void*> module_symbol(const std::string& name, const std::string& symbol);

}  // namespace berth

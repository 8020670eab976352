// Runs nft scripts through libnftables: one batch, one transaction.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::network {

Status nft_run(const std::string& script);

}  // namespace berth::network

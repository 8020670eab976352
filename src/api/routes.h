// One router per resource; each registers its routes on the shared table.
#pragma once

#include "api/router.h"
#include "daemon/daemon.h"

namespace berth::api {

void add_system_routes(Router& r, daemon::Daemon& d);
void add_container_routes(Router& r, daemon::Daemon& d);
void add_image_routes(Router& r, daemon::Daemon& d);

// Copies between a hijacked client and a shim connection until the shim closes. `tty`:
// the shim's frames are unwrapped into a raw stream.
void proxy_stream(RawStream& client, int shim_fd, bool tty, bool client_stdin,
                  const std::string& detach_keys);

}  // namespace berth::api

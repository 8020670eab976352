// One router per resource; each registers its routes on the shared table.
#pragma once

#include "api/router.h"
#include "daemon/daemon.h"

namespace berth::api {

// A container as GET /containers/json lists it.
nlohmann::json container_summary(daemon::Container& c);
// SizeRw and SizeRootFs (ps -s, system df), measured on the container's layer.
void add_sizes(daemon::Daemon& d, daemon::Container& c, nlohmann::json& summary);

// The request body as JSON: empty is {}, malformed is a 400.
Result<nlohmann::json> parse_body(Conn& c);

void add_system_routes(Router& r, daemon::Daemon& d);
void add_container_routes(Router& r, daemon::Daemon& d);
void add_image_routes(Router& r, daemon::Daemon& d);
void add_exec_routes(Router& r, daemon::Daemon& d);
void add_volume_routes(Router& r, daemon::Daemon& d);
void add_network_routes(Router& r, daemon::Daemon& d);
void add_container_read_routes(Router& r, daemon::Daemon& d);
void add_archive_routes(Router& r, daemon::Daemon& d);

}  // namespace berth::api

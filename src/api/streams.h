// Tar (and other) bodies produced or consumed by the stores, which work on file
// descriptors: a pipe and a thread between them and the connection.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "base/error.h"

namespace berth::api {

// Runs `produce(fd)` on a thread and streams what it writes as a chunked 200 response.
// A producer that fails half-way aborts the response, so the client never takes a
// truncated tar for a whole one.
Status stream_out(Conn& c, std::string_view content_type, const std::function<Status(int)>& produce,
                  const std::vector<std::pair<std::string, std::string>>& headers = {});

// Runs `consume(fd)` on a thread, feeding it the request body.
Status feed_body(Conn& c, const std::function<Status(int)>& consume);

}  // namespace berth::api

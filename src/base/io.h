// Whole-buffer writes on file descriptors: short writes and EINTR are retried.
#pragma once

#include <string_view>

namespace berth {

// false on error (errno tells which).
bool write_all(int fd, std::string_view data);
// send() with MSG_NOSIGNAL: a peer that went away is an error, not a SIGPIPE.
bool send_all(int fd, std::string_view data);

}  // namespace berth

// The container's terminal: a pty opened inside the container, its master handed out.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace berth::runtime {

// In the container (after pivot_root): opens a pty from its /dev/ptmx, sends the master over
// `console_sock`, makes the slave the controlling terminal and stdio.
Status setup_console_in_child(int console_sock, const std::optional<oci::ConsoleSize>& size);

// Connects to a --console-socket path.
Result<UniqueFd> connect_console_socket(const std::string& path);

// Foreground runs without a console socket: copy between our stdio and the pty master until
// `done` reports true, with our terminal in raw mode and window size changes forwarded.
void set_raw_mode(int fd, bool raw);
void copy_window_size(int from_fd, int to_fd);

}  // namespace berth::runtime

// The terminal and the stdio of an attach or exec session.
#pragma once

#include <string>

#include "client/engine.h"

namespace berth::cli {

// Raw mode on stdin while alive, when stdin is a terminal.
class RawTerminal {
 public:
  explicit RawTerminal(bool enable);
  ~RawTerminal();

 private:
  bool active_ = false;
  char saved_[64];  // struct termios, kept opaque here
};

// Copies stdin to the stream (when `send_stdin`; its EOF half-closes the stream) and the
// stream to stdout/stderr (demultiplexed unless it is a tty's raw stream) until it ends.
void pump(client::Hijacked& h, bool send_stdin);

// The body of a GET to a file (`output`), or to stdout unless that is a terminal (save,
// export). Returns the exit code.
int stream_to(client::Engine& e, const std::string& path, const std::string& output);

// Rows and columns of the terminal on stdout, if it is one.
bool terminal_size(int& rows, int& cols);

}  // namespace berth::cli

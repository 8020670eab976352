// Copies between a hijacked client and a shim connection (attach and exec sessions).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "api/http.h"
#include "shim/protocol.h"

namespace berth::api {

struct ProxyOptions {
  bool tty = false;           // the shim's frames are unwrapped into a raw stream
  bool client_stdin = false;  // the client's bytes are the process's stdin
  std::string detach_keys;    // "" is Docker's ctrl-p,ctrl-q
  // Frames other than stdout/stderr (an exec's kStarted and kExit), in stream order: the
  // exit is recorded before the client sees the end of its stream.
  std::function<void(uint8_t frame, const std::string& payload)> on_control;
  // On a detach or a vanished client, leave the shim connection open for the caller to
  // drain (with `frames`, which holds any part-read frame).
  bool keep_shim = false;
  shim::FrameReader* frames = nullptr;
};

enum class ProxyEnd { Finished, Detached, ClientGone };

ProxyEnd proxy_stream(RawStream& client, int shim_fd, const ProxyOptions& opt);

// "ctrl-p,ctrl-q" -> the bytes that detach.
std::string parse_detach_keys(const std::string& spec);

}  // namespace berth::api

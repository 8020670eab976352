// Typed messages between the runtime (parent) and the container's init or exec child,
// over a SOCK_SEQPACKET socketpair: one message per datagram, EOF when the peer dies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/error.h"

namespace berth::runtime {

enum class SyncType : uint32_t {
  Go = 1,        // parent -> child: maps written, cgroup joined; value = child's host pid
  HooksRequest,  // child -> parent: run prestart/createRuntime now
  HooksDone,     // parent -> child
  Ready,         // child -> parent: waiting for start (init) / about to exec (exec)
  Error,         // child -> parent: text holds the message
  Pid,           // stage -> parent: the pid of the process it cloned
};

struct SyncMsg {
  SyncType type;
  int64_t value = 0;
  std::string text;
};

Status sync_send(int fd, SyncType type, int64_t value = 0, const std::string& text = {});
// Blocks; an EOF is reported as an Unavailable error.
Result<SyncMsg> sync_recv(int fd);
// Receives, and turns an Error message into an error carrying its text.
Result<SyncMsg> sync_expect(int fd, SyncType type);

// Passes a file descriptor over a unix socket (SCM_RIGHTS), as runc does with the pty master.
Status send_fd(int sock, int fd, const std::string& name);
Result<int> recv_fd(int sock);

}  // namespace berth::runtime

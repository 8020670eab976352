#include "base/trace.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace berth {

void trace_step(const char* step) {
  static const char* path = getenv("BERTH_TRACE");
  if (!path || !*path) return;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[160];
  int n = snprintf(line, sizeof line, "%ld.%09ld %d %s\n", static_cast<long>(ts.tv_sec), ts.tv_nsec,
                   static_cast<int>(getpid()), step);
  // opened each time: the shim closes inherited fds when it detaches; one write() to an
  // O_APPEND file keeps lines whole between processes
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (n > 0) (void)!::write(fd, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
  ::close(fd);
}

}  // namespace berth

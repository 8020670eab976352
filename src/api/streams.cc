#include "api/streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "base/io.h"
#include "base/log.h"
#include "base/unique_fd.h"

namespace berth::api {

Status stream_out(Conn& c, std::string_view content_type, const std::function<Status(int)>& produce,
                  const std::vector<std::pair<std::string, std::string>>& headers) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return sys_fail("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  Status produced;
  std::thread producer([&] {
    produced = produce(wr.get());
    wr.reset();
  });
  c.begin(200, content_type, headers);
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!c.chunk(std::string_view(buf, static_cast<size_t>(n)))) break;
  }
  rd.reset();  // a client that went away: the producer's writes fail and it stops
  producer.join();
  if (!produced) {
    log::warn("{}: {}", content_type, produced.error().message());
    c.abort();
  } else {
    c.finish();
  }
  return ok();
}

Status feed_body(Conn& c, const std::function<Status(int)>& consume) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return sys_fail("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  Status consumed;
  std::thread consumer([&] {
    consumed = consume(rd.get());
    rd.reset();  // a consumer that failed stops reading: the writer sees EPIPE
  });
  Status fed;
  char buf[1 << 16];
  for (;;) {
    auto n = c.read_body(buf, sizeof buf);
    if (!n) {
      fed = std::unexpected(n.error());
      break;
    }
    if (*n == 0) break;
    if (!write_all(wr.get(), std::string_view(buf, *n))) {
      fed = sys_fail("write body");
      break;
    }
  }
  wr.reset();
  consumer.join();
  if (!consumed) return consumed;
  return fed;
}

}  // namespace berth::api

// berthd: the Docker Engine API over the image store, the runtime and per-container shims.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "api/routes.h"
#include "api/server.h"
#include "base/background_removal.h"
#include "base/file.h"
#include "base/log.h"
#include "options.h"
#include "tls/tls.h"

int main(int argc, char** argv) {
  berth::berthd::Options o;
  CLI::App app{"berthd: a container engine serving the Docker Engine API"};
  berth::berthd::add_flags(app, o);
  CLI11_PARSE(app, argc, argv);
  if (auto st = berth::berthd::finish_options(app, o); !st) {
    fmt::print(stderr, "{}\n", st.error().message());
    return 1;
  }
  berth::log::configure("", false, o.log_level == "debug");
  signal(SIGPIPE, SIG_IGN);

  std::shared_ptr<berth::tls::Context> tls_ctx;
  if (o.use_tls || o.tls_verify) {
    o.tls.verify_peer = o.tls_verify;
    auto ctx = berth::tls::Context::server(o.tls);
    if (!ctx) {
      fmt::print(stderr, "berthd: {}\n", ctx.error().message());
      return 1;
    }
    tls_ctx = *ctx;
  } else {
    for (auto& h : o.hosts)
      if (h.starts_with("tcp://"))
        berth::log::warn("{} without --tlsverify: anyone who can reach it has root on this host",
                         h);
  }

  // removed containers' and layers' files are unlinked after the answer
  berth::enable_background_removal();
  auto d = berth::daemon::Daemon::open(o.cfg);
  if (!d) {
    fmt::print(stderr, "berthd: {}\n", d.error().message());
    return 1;
  }
  berth::api::Router router;
  berth::api::add_system_routes(router, **d);
  berth::api::add_container_routes(router, **d);
  berth::api::add_image_routes(router, **d);
  berth::api::add_exec_routes(router, **d);
  berth::api::add_volume_routes(router, **d);
  berth::api::add_network_routes(router, **d);
  berth::api::add_container_read_routes(router, **d);
  berth::api::add_archive_routes(router, **d);
  berth::api::Server server(
      [&router](berth::api::Request& req, berth::api::Conn& c) { router.dispatch(req, c); });
  if (tls_ctx) server.use_tls(tls_ctx);
  server.set_unix_group(o.socket_gid);
  for (auto& h : o.hosts) {
    if (auto st = server.listen(h); !st) {
      fmt::print(stderr, "berthd: {}\n", st.error().message());
      return 1;
    }
  }
  (*d)->restore();
  // Opening the stores and restoring containers leave freed heap behind; give it back before
  // berthd settles into serving.
  malloc_trim(0);
  berth::write_file_atomic(o.pidfile, std::to_string(getpid()) + "\n", 0644, false);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  server.start();
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  // live restore: containers and their shims keep running; without it they stop with us
  if (!o.cfg.live_restore) (*d)->stop_all();
  ::unlink(o.pidfile.c_str());
  _exit(0);
}

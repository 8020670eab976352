// /containers/{id}/exec and /exec/...: create, start (hijacked or detached), resize, inspect.
#include "api/routes.h"
#include "api/stream_proxy.h"

namespace berth::api {

using nlohmann::json;

void add_exec_routes(Router& r, daemon::Daemon& d) {
  r.add("POST", "/containers/{id}/exec", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    BERTH_ASSIGN(std::string id, d.exec_create(req.params[0], body));
    c.json(201, {{"Id", id}});
    return ok();
  });
  r.add("POST", "/exec/{id}/start", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(json body, parse_body(c));
    if (!body.is_object()) return fail(ErrorKind::InvalidArgument, "invalid exec start body");
    BERTH_ASSIGN(auto e, d.exec_get(req.params[0]));
    bool detach = body.value("Detach", false);
    bool tty, in;
    std::string keys;
    {
      std::lock_guard<std::mutex> l(e->mu);
      tty = e->config.value("Tty", false);
      in = e->config.value("AttachStdin", false) && !detach;
      keys = e->config.value("DetachKeys", "");
    }
    if (detach) {
      BERTH_ASSIGN(UniqueFd conn, d.exec_start(e, in));
      d.exec_drain(e, std::move(conn), {});
      c.reply(200, "", "");
      return ok();
    }
    BERTH_TRY(d.exec_check(e));
    auto client = c.hijack(tty ? "application/vnd.docker.raw-stream"
                               : "application/vnd.docker.multiplexed-stream");
    // Started only once the response headers are out, as in Docker: clients (docker-py)
    // that read the headers and then the raw socket would lose output sent with them.
    auto conn = d.exec_start(e, in);
    if (!conn) {
      std::string msg = conn.error().message() + "\r\n";
      client->write_all(tty ? msg : shim::frame(shim::kStdout, msg));
      client->shutdown_write();
      return ok();
    }
    shim::FrameReader frames;
    auto end = proxy_stream(
        *client, conn->get(),
        {.tty = tty,
         .client_stdin = in,
         .detach_keys = keys,
         .on_control = [&d, e](uint8_t f, const std::string& p) { d.exec_control(e, f, p); },
         .keep_shim = true,
         .frames = &frames});
    // Detached, or the client went away: the process runs on; its exit is still recorded.
    if (end != ProxyEnd::Finished) d.exec_drain(e, std::move(*conn), std::move(frames));
    return ok();
  });
  r.add("POST", "/exec/{id}/resize", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(long long h, req.q_int("h", 0));
    BERTH_ASSIGN(long long w, req.q_int("w", 0));
    BERTH_TRY(d.exec_resize(req.params[0], static_cast<int>(h), static_cast<int>(w)));
    c.reply(200, "text/plain", "");
    return ok();
  });
  r.add("GET", "/exec/{id}/json", [&d](Request& req, Conn& c) -> Status {
    BERTH_ASSIGN(auto e, d.exec_get(req.params[0]));
    c.json(200, e->inspect_json());
    return ok();
  });
}

}  // namespace berth::api

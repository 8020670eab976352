#include "client/engine.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <cstring>

#include "base/io.h"

namespace berth::client {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

Result<std::string> read_more(int fd) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_fail("read from the daemon");
    return std::string(buf, static_cast<size_t>(n));
  }
}

std::string request_head(std::string_view method, const std::string& target,
                         std::string_view content_type, std::optional<size_t> length,
                         bool upgrade) {
  std::string h = std::string(method) + " " + target + " HTTP/1.1\r\nHost: berth\r\n" +
                  "User-Agent: berth-cli\r\n";
  if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
  if (length) h += "Content-Length: " + std::to_string(*length) + "\r\n";
  if (upgrade) h += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
  return h + "\r\n";
}

// Parses a response from fd with Beast's parser, fed from our own buffer, handing body
// pieces to on_body. Stops after the headers when `headers_only`; `rest` gets the bytes
// read past them.
template <class OnHeaders>
Result<int> read_response(int fd, const std::function<bool(std::string_view)>& on_body,
                          bool headers_only, std::string* rest, OnHeaders on_headers) {
  http::response_parser<http::buffer_body> p;
  p.body_limit(boost::none);
  p.eager(true);
  std::string buf;
  boost::beast::error_code ec;
  char chunk[65536];
  for (;;) {
    if (!p.is_header_done()) {
      if (buf.empty()) {
        BERTH_ASSIGN(buf, read_more(fd));
        if (buf.empty()) return fail(ErrorKind::Unavailable, "the daemon closed the connection");
      }
      size_t used = p.put(boost::asio::buffer(buf), ec);
      // Beast consumes a complete status line even when the fields are still to come
      // (dockerd writes its 101 answer in pieces): those bytes must not be fed again.
      buf.erase(0, used);
      if (ec == http::error::need_more) {
        std::string more;
        BERTH_ASSIGN(more, read_more(fd));
        if (more.empty()) return fail(ErrorKind::Unavailable, "the daemon closed the connection");
        buf += more;
        continue;
      }
      // need_buffer: the headers are in and the body wants somewhere to go
      if (ec && ec != http::error::need_buffer)
        return fail(ErrorKind::Internal, "bad response from the daemon: {}", ec.message());
      if (!p.is_header_done()) continue;
      on_headers(p.get());
      if (headers_only) {
        if (rest) *rest = buf;
        return static_cast<int>(p.get().result_int());
      }
      continue;
    }
    if (p.is_done()) return static_cast<int>(p.get().result_int());
    if (buf.empty()) {
      BERTH_ASSIGN(buf, read_more(fd));
      if (buf.empty()) {
        // a body that runs to the end of the connection
        p.put_eof(ec);
        return static_cast<int>(p.get().result_int());
      }
    }
    p.get().body().data = chunk;
    p.get().body().size = sizeof chunk;
    size_t used = p.put(boost::asio::buffer(buf), ec);
    if (ec && ec != http::error::need_buffer && ec != http::error::need_more)
      return fail(ErrorKind::Internal, "bad response from the daemon: {}", ec.message());
    buf.erase(0, used);
    size_t got = sizeof chunk - p.get().body().size;
    if (got && on_body && !on_body(std::string_view(chunk, got)))
      return static_cast<int>(p.get().result_int());
    if (ec == http::error::need_more && used == 0) {
      // a partial chunk header or trailer: it needs the bytes that follow
      std::string more;
      BERTH_ASSIGN(more, read_more(fd));
      if (more.empty()) return fail(ErrorKind::Unavailable, "the daemon closed the connection");
      buf += more;
    }
  }
}

}  // namespace

json Response::json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;  // (json() here would be this function)
}

std::string Response::message() const {
  auto j = json();
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"];
  std::string b = body;
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  return b.empty() ? "HTTP " + std::to_string(status) : b;
}

Error daemon_error(const Response& r) {
  return Error(r.status == 404 ? ErrorKind::NotFound : ErrorKind::Internal,
               "Error response from daemon: " + r.message());
}

std::string Engine::default_host(const std::string& flag) {
  if (!flag.empty()) return flag;
  for (const char* v : {"BERTH_HOST", "DOCKER_HOST"})
    if (const char* h = std::getenv(v); h && *h) return h;
  return "unix:///run/berth/berth.sock";
}

namespace {
std::string api_version = "1.45";
}

std::string Engine::api(const std::string& path) {
  return "/v" + api_version + path;
}

std::string Engine::query_escape(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

void Engine::negotiate() {
  auto r = call("GET", "/_ping");
  if (!r || r->status != 200 || r->api_version.empty()) return;
  auto parse = [](const std::string& v) {
    auto dot = v.find('.');
    return dot == std::string::npos
               ? std::pair{0, 0}
               : std::pair{std::atoi(v.c_str()), std::atoi(v.c_str() + dot + 1)};
  };
  if (parse(r->api_version) < parse(api_version)) api_version = r->api_version;
}

Result<UniqueFd> Engine::dial() {
  if (host_.starts_with("unix://")) {
    std::string path = host_.substr(7);
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof a.sun_path)
      return fail(ErrorKind::InvalidArgument, "socket path too long: {}", path);
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
      return fail(ErrorKind::Unavailable,
                  "Cannot connect to the Docker daemon at {}. Is the docker daemon running?",
                  host_);
    return s;
  }
  if (host_.starts_with("tcp://")) {
    std::string hp = host_.substr(6);
    auto colon = hp.rfind(':');
    std::string h = hp.substr(0, colon),
                port = colon == std::string::npos ? (tls_ ? "2376" : "2375") : hp.substr(colon + 1);
    if (colon == std::string::npos) h = hp;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(h.c_str(), port.c_str(), &hints, &res) != 0)
      return fail(ErrorKind::InvalidArgument, "cannot resolve {}", h);
    UniqueFd s(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int rc = ::connect(s.get(), res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc < 0)
      return fail(ErrorKind::Unavailable,
                  "Cannot connect to the Docker daemon at {}. Is the docker daemon running?",
                  host_);
    if (tls_) {
      auto plain = tls_->wrap(std::move(s), h);
      if (!plain)
        return fail(ErrorKind::Unavailable, "error during connect: {}: {}", host_,
                    plain.error().message());
      return std::move(*plain);
    }
    return s;
  }
  return fail(ErrorKind::InvalidArgument, "unsupported host: {:?}", host_);
}

Result<UniqueFd> Engine::send(std::string_view method, const std::string& target,
                              const std::optional<json>& body, bool upgrade) {
  BERTH_ASSIGN(UniqueFd s, dial());
  std::string payload = body ? body->dump() : "";
  std::string req =
      request_head(method, target, body ? "application/json" : "",
                   body || upgrade ? std::optional<size_t>(payload.size()) : std::nullopt,
                   upgrade) +
      payload;
  if (!send_all(s.get(), req)) return sys_fail("write to the daemon");
  return s;
}

namespace {

// The whole response, status, type and body.
Result<Response> collect(int fd) {
  Response r;
  BERTH_ASSIGN(r.status, read_response(
                             fd,
                             [&](std::string_view d) {
                               r.body.append(d);
                               return true;
                             },
                             false, nullptr,
                             [&](auto& h) {
                               r.content_type = std::string(h[http::field::content_type]);
                               r.api_version = std::string(h["Api-Version"]);
                               r.path_stat = std::string(h["X-Docker-Container-Path-Stat"]);
                             }));
  return r;
}

}  // namespace

Result<Response> Engine::head(const std::string& target) {
  BERTH_ASSIGN(UniqueFd s, send("HEAD", target, std::nullopt, false));
  Response r;
  BERTH_ASSIGN(r.status, read_response(
                             s.get(), [](std::string_view) { return true; }, true, nullptr,
                             [&](auto& h) {
                               r.api_version = std::string(h["Api-Version"]);
                               r.path_stat = std::string(h["X-Docker-Container-Path-Stat"]);
                             }));
  return r;
}

Result<Response> Engine::call(std::string_view method, const std::string& target,
                              const std::optional<json>& body) {
  BERTH_ASSIGN(UniqueFd s, send(method, target, body, false));
  return collect(s.get());
}

Result<Response> Engine::call_raw(std::string_view method, const std::string& target,
                                  std::string_view content_type, int body_fd) {
  BERTH_ASSIGN(UniqueFd s, dial());
  // chunked: the body's size is not known up front
  std::string head = std::string(method) + " " + target +
                     " HTTP/1.1\r\nHost: berth\r\nUser-Agent: berth-cli\r\nContent-Type: " +
                     std::string(content_type) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  if (!send_all(s.get(), head)) return sys_fail("write to the daemon");
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(body_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_fail("read the input");
    if (n == 0) break;
    std::string c = fmt::format("{:x}\r\n", n) + std::string(buf, static_cast<size_t>(n)) + "\r\n";
    if (!send_all(s.get(), c)) break;  // the daemon refused: its answer says why
  }
  send_all(s.get(), "0\r\n\r\n");
  return collect(s.get());
}

Result<int> Engine::stream(std::string_view method, const std::string& target,
                           const std::function<bool(std::string_view)>& on_data,
                           const std::optional<json>& body,
                           const std::function<void(int)>& on_headers) {
  BERTH_ASSIGN(UniqueFd s, send(method, target, body, false));
  int status = 0;
  std::string err;
  BERTH_ASSIGN(int st, read_response(
                           s.get(),
                           [&](std::string_view d) {
                             if (status >= 400) {
                               err.append(d);
                               return true;
                             }
                             return on_data(d);
                           },
                           false, nullptr,
                           [&](auto& h) {
                             status = static_cast<int>(h.result_int());
                             if (on_headers) on_headers(status);
                           }));
  if (st >= 400) {
    Response r{st, err, ""};
    return std::unexpected(daemon_error(r));
  }
  return st;
}

Result<Hijacked> Engine::hijack(const std::string& target, const std::optional<json>& body) {
  BERTH_ASSIGN(UniqueFd s, send("POST", target, body, true));
  Hijacked h;
  std::string ctype;
  BERTH_ASSIGN(int st, read_response(s.get(), nullptr, true, &h.pending, [&](auto& r) {
                 ctype = std::string(r[http::field::content_type]);
               }));
  if (st >= 400) {
    // an error answer: its body follows the headers
    Response r{st, h.pending, ctype};
    for (;;) {
      auto more = read_more(s.get());
      if (!more || more->empty()) break;
      r.body += *more;
      if (r.json().is_object()) break;
    }
    return std::unexpected(daemon_error(r));
  }
  h.multiplexed = ctype != "application/vnd.docker.raw-stream";
  h.fd = std::move(s);
  return h;
}

}  // namespace berth::client

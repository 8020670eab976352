// One HTTP/1.1 connection: Beast parses requests from our own read buffer (so bytes a client
// sends after an upgrade request stay with us), responses are written directly.
#include "api/http.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "api/server.h"
#include "base/io.h"
#include "base/log.h"
#include "base/strings.h"

namespace berth::api {
namespace http = boost::beast::http;

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::optional<std::string> Request::q(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::q_all(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = query.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

Result<bool> Request::q_bool(const std::string& name, bool def) const {
  auto v = q(name);
  if (!v || v->empty()) return def;
  if (*v == "1" || *v == "true" || *v == "True" || *v == "TRUE") return true;
  if (*v == "0" || *v == "false" || *v == "False" || *v == "FALSE") return false;
  return fail(ErrorKind::InvalidArgument, "invalid boolean value for {}: {:?}", name, *v);
}

Result<long long> Request::q_int(const std::string& name, long long def) const {
  auto v = q(name);
  if (!v || v->empty()) return def;
  auto n = parse_int(*v);
  if (!n) return fail(ErrorKind::InvalidArgument, "invalid value for {}: {:?}", name, *v);
  return *n;
}

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

std::string http_date() {
  char buf[64];
  time_t t = time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

class FdStream : public RawStream {
 public:
  FdStream(int fd, std::string pending) : fd_(fd), pending_(std::move(pending)) {}
  ~FdStream() override { ::close(fd_); }
  ssize_t read(char* buf, size_t n) override {
    if (!pending_.empty()) {
      size_t k = std::min(n, pending_.size());
      memcpy(buf, pending_.data(), k);
      pending_.erase(0, k);
      return static_cast<ssize_t>(k);
    }
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }
  bool write_all(std::string_view d) override { return send_all(fd_, d); }
  void shutdown_write() override { ::shutdown(fd_, SHUT_WR); }
  int fd() const override { return fd_; }
  bool has_buffered() const override { return !pending_.empty(); }

 private:
  int fd_;
  std::string pending_;
};

class HttpConn : public Conn {
 public:
  explicit HttpConn(int fd) : fd_(fd) {}

  // Reads and parses the next request's header; false when the client closed cleanly.
  Result<bool> next_request(Request& req) {
    parser_.emplace();
    parser_->header_limit(1 << 20);
    parser_->body_limit(boost::none);
    replied_ = streaming_ = false;
    for (;;) {
      boost::beast::error_code ec;
      if (in_off_ < in_.size()) {
        size_t used =
            parser_->put(boost::asio::buffer(in_.data() + in_off_, in_.size() - in_off_), ec);
        in_off_ += used;
        if (!ec && parser_->is_header_done()) break;
        if (ec && ec != http::error::need_more)
          return fail(ErrorKind::InvalidArgument, "bad request: {}", ec.message());
        if (!ec && used > 0) continue;
      }
      if (!fill()) {
        if (in_off_ >= in_.size() && !parser_->got_some()) return false;
        return fail(ErrorKind::InvalidArgument, "connection closed mid-request");
      }
    }
    auto& m = parser_->get();
    req = Request{};
    req.method = std::string(m.method_string());
    req.target = std::string(m.target());
    for (auto& f : m) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    keep_alive_ = m.keep_alive();
    upgrade_ = m[http::field::upgrade].size() > 0;
    return true;
  }

  Result<std::string> body(size_t limit) override {
    std::string out;
    char buf[65536];
    for (;;) {
      BERTH_ASSIGN(size_t n, read_body(buf, sizeof buf));
      if (n == 0) break;
      out.append(buf, n);
      if (out.size() > limit)
        return fail(ErrorKind::InvalidArgument, "request body larger than {} bytes", limit);
    }
    return out;
  }

  Result<size_t> read_body(char* out, size_t n) override {
    if (!parser_ || parser_->is_done()) return size_t{0};
    auto& b = parser_->get().body();
    b.data = out;
    b.size = n;
    b.more = true;
    parser_->eager(true);
    while (!parser_->is_done() && b.size > 0) {
      boost::beast::error_code ec;
      size_t used =
          parser_->put(boost::asio::buffer(in_.data() + in_off_, in_.size() - in_off_), ec);
      in_off_ += used;
      if (ec == http::error::need_buffer) break;
      if (ec == http::error::need_more || (!ec && used == 0 && !parser_->is_done())) {
        if (b.size < n) break;  // hand over what we have before blocking
        if (!fill()) return fail(ErrorKind::InvalidArgument, "client closed mid-body");
        continue;
      }
      if (ec) return fail(ErrorKind::InvalidArgument, "bad request body: {}", ec.message());
    }
    return n - b.size;
  }

  void reply(int status, std::string_view content_type, std::string_view body,
             const std::vector<std::pair<std::string, std::string>>& headers) override {
    std::string h = status_line(status) + common_headers();
    if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
    for (auto& [k, v] : headers) h += k + ": " + v + "\r\n";
    h += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (!keep_alive_) h += "Connection: close\r\n";
    h += "\r\n";
    h.append(body);
    replied_ = true;
    if (!send_all(fd_, h)) keep_alive_ = false;
  }

  void begin(int status, std::string_view content_type,
             const std::vector<std::pair<std::string, std::string>>& headers) override {
    std::string h = status_line(status) + common_headers();
    if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
    for (auto& [k, v] : headers) h += k + ": " + v + "\r\n";
    h += "Transfer-Encoding: chunked\r\n\r\n";
    replied_ = streaming_ = true;
    if (!send_all(fd_, h)) broken_ = true;
  }

  bool chunk(std::string_view data) override {
    if (broken_) return false;
    if (data.empty()) return true;
    char head[32];
    int k = snprintf(head, sizeof head, "%zx\r\n", data.size());
    std::string frame(head, static_cast<size_t>(k));
    frame.append(data);
    frame += "\r\n";
    if (!send_all(fd_, frame)) broken_ = true;
    return !broken_;
  }

  void finish() override {
    if (!broken_ && !send_all(fd_, "0\r\n\r\n")) broken_ = true;
    streaming_ = false;
    if (broken_) keep_alive_ = false;
  }

  void abort() override {
    broken_ = true;
    keep_alive_ = false;
    ::shutdown(fd_, SHUT_RDWR);
  }

  std::unique_ptr<RawStream> hijack(std::string_view content_type) override {
    std::string h = upgrade_ ? "HTTP/1.1 101 UPGRADED\r\n" : "HTTP/1.1 200 OK\r\n";
    h += "Content-Type: " + std::string(content_type) + "\r\n";
    h += common_headers();
    if (upgrade_) h += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
    h += "\r\n";
    send_all(fd_, h);
    replied_ = true;
    hijacked_ = true;
    auto s = std::make_unique<FdStream>(fd_, in_.substr(in_off_));
    in_.clear();
    in_off_ = 0;
    return s;
  }

  bool client_gone() override {
    struct pollfd p {
      fd_, POLLRDHUP, 0
    };
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
  }
  bool replied() const override { return replied_; }

  bool keep_alive() const { return keep_alive_ && !broken_ && !streaming_; }
  bool hijacked() const { return hijacked_; }
  bool body_done() const { return parser_ && parser_->is_done(); }
  // Drains what is left of an unread body so the next request parses.
  bool drain_body() {
    char buf[16384];
    for (int i = 0; i < 4096; ++i) {
      auto n = read_body(buf, sizeof buf);
      if (!n) return false;
      if (*n == 0) return true;
    }
    return false;
  }

 private:
  bool fill() {
    if (in_off_ > 0) {
      in_.erase(0, in_off_);
      in_off_ = 0;
    }
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      in_.append(buf, static_cast<size_t>(n));
      return true;
    }
  }

  static std::string status_line(int status) {
    auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  }
  static std::string common_headers() {
    return "Api-Version: " + kApiVersion.str() +
           "\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Berth (linux)\r\nDate: " +
           http_date() + "\r\n";
  }

  int fd_;
  std::string in_;
  size_t in_off_ = 0;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  bool keep_alive_ = true, upgrade_ = false, replied_ = false, streaming_ = false;
  bool broken_ = false, hijacked_ = false;
};

}  // namespace

void serve_connection(int fd, const Handler& handler) {
  HttpConn conn(fd);
  for (;;) {
    Request req;
    auto got = conn.next_request(req);
    if (!got) {
      conn.reply(400, "application/json", nlohmann::json{{"message", got.error().message()}}.dump(),
                 {});
      break;
    }
    if (!*got) break;
    handler(req, conn);
    if (conn.hijacked()) return;  // the stream owns (and closes) the fd
    if (!conn.replied()) conn.reply(500, "application/json", R"({"message":"no response"})", {});
    if (!conn.keep_alive()) break;
    if (!conn.body_done() && !conn.drain_body()) break;
  }
  ::close(fd);
}

}  // namespace berth::api

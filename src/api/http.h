// The HTTP side of the Engine API as handlers see it: a parsed request and the connection
// to answer on (plain or chunked bodies, or a hijacked raw stream). Beast stays in http.cc.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::api {

struct ApiVersion {
  int major = 1;
  int minor = 0;
  bool at_least(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
  bool below(int ma, int mi) const { return !at_least(ma, mi); }
  std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }
};

inline constexpr ApiVersion kApiVersion{1, 45};
inline constexpr ApiVersion kMinApiVersion{1, 24};

struct Request {
  std::string method;
  std::string target;  // as sent
  std::string path;    // percent-decoded, without the /vX.Y prefix
  ApiVersion version = kApiVersion;
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::vector<std::string> params;             // captures of the route pattern

  std::optional<std::string> q(const std::string& name) const;
  std::vector<std::string> q_all(const std::string& name) const;
  // Docker's booleans: 1/0, true/false, True/False; empty or absent gives `def`.
  Result<bool> q_bool(const std::string& name, bool def = false) const;
  Result<long long> q_int(const std::string& name, long long def) const;
  std::string header(const std::string& lower_name) const;
};

// A byte stream after the HTTP exchange: attach and exec sessions.
class RawStream {
 public:
  virtual ~RawStream() = default;
  virtual ssize_t read(char* buf, size_t n) = 0;  // 0 at EOF, -1 on error
  virtual bool write_all(std::string_view data) = 0;
  virtual void shutdown_write() = 0;
  virtual int fd() const = 0;             // for poll()
  virtual bool has_buffered() const = 0;  // bytes read ahead with the request
};

class Conn {
 public:
  virtual ~Conn() = default;
  // The request body: whole (up to `limit` bytes) or piece by piece (0 at the end).
  virtual Result<std::string> body(size_t limit = 64u << 20) = 0;
  virtual Result<size_t> read_body(char* buf, size_t n) = 0;

  virtual void reply(int status, std::string_view content_type, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  void json(int status, const nlohmann::json& j) { reply(status, "application/json", j.dump()); }
  void no_content() { reply(204, "", ""); }

  // A streamed (chunked) response. chunk() is false once the client is gone.
  virtual void begin(int status, std::string_view content_type,
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  virtual bool chunk(std::string_view data) = 0;
  virtual void finish() = 0;
  // Ends a streamed response without its last chunk: the client sees a truncated body as an
  // error instead of taking a partial tar for a whole one.
  virtual void abort() = 0;

  // 101 UPGRADED (or 200 when the client did not ask to upgrade), then a raw stream.
  virtual std::unique_ptr<RawStream> hijack(std::string_view content_type) = 0;

  // The peer closed or reset the connection (checked without blocking).
  virtual bool client_gone() = 0;
  virtual bool replied() const = 0;
};

// Percent-decoding for paths and query values ('+' is a space only in queries).
std::string url_decode(std::string_view s, bool plus_is_space);

}  // namespace berth::api

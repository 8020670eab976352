#include "api/router.h"

#include <optional>

#include "base/log.h"
#include "base/strings.h"

namespace berth::api {

namespace {

std::vector<std::string> segments_of(const std::string& path) {
  std::vector<std::string> out;
  for (auto& s : split(path, '/'))
    if (!s.empty()) out.push_back(s);
  return out;
}

// "/v1.41/containers/json" -> (1.41, length of "/v1.41").
std::optional<std::pair<ApiVersion, size_t>> version_prefix(const std::string& path) {
  if (path.size() < 5 || path[0] != '/' || path[1] != 'v') return std::nullopt;
  size_t i = 2;
  auto number = [&](int& out) {
    size_t start = i;
    out = 0;
    while (i < path.size() && isdigit(static_cast<unsigned char>(path[i])) && i - start < 4)
      out = out * 10 + (path[i++] - '0');
    return i > start;
  };
  ApiVersion v;
  if (!number(v.major) || i >= path.size() || path[i++] != '.' || !number(v.minor))
    return std::nullopt;
  if (i >= path.size() || path[i] != '/') return std::nullopt;
  return std::pair{v, i};
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, RouteFn fn) {
  routes_.push_back({method, segments_of(pattern), std::move(fn)});
}

bool Router::match(const Route& r, const std::vector<std::string>& segs,
                   std::vector<std::string>& params) const {
  params.clear();
  size_t i = 0;
  for (size_t k = 0; k < r.segments.size(); ++k) {
    const std::string& p = r.segments[k];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (p[p.size() - 2] == '*') {
        // greedy: leave as many segments as the rest of the pattern needs
        size_t rest = r.segments.size() - k - 1;
        if (segs.size() < i + 1 + rest) return false;
        size_t end = segs.size() - rest;
        std::string v;
        for (size_t j = i; j < end; ++j) v += (j > i ? "/" : "") + segs[j];
        params.push_back(v);
        i = end;
        continue;
      }
      if (i >= segs.size()) return false;
      params.push_back(segs[i++]);
      continue;
    }
    if (i >= segs.size() || segs[i] != p) return false;
    ++i;
  }
  return i == segs.size();
}

void Router::dispatch(Request& req, Conn& conn) const {
  // target -> path + query
  std::string target = req.target;
  auto qpos = target.find('?');
  std::string raw_path = target.substr(0, qpos);
  if (qpos != std::string::npos) {
    for (auto& kv : split(target.substr(qpos + 1), '&')) {
      if (kv.empty()) continue;
      auto eq = kv.find('=');
      std::string k = url_decode(kv.substr(0, eq), true);
      std::string v = eq == std::string::npos ? "" : url_decode(kv.substr(eq + 1), true);
      req.query.emplace(k, v);
    }
  }
  std::string path = url_decode(raw_path, false);
  if (auto v = version_prefix(path)) {
    ApiVersion ver = v->first;
    if (!ver.at_least(kMinApiVersion.major, kMinApiVersion.minor)) {
      reply_error(conn, Error(ErrorKind::InvalidArgument,
                              fmt::format("client version {} is too old. Minimum supported API "
                                          "version is {}, please upgrade your client to a newer "
                                          "version",
                                          ver.str(), kMinApiVersion.str())));
      return;
    }
    if (!kApiVersion.at_least(ver.major, ver.minor)) {
      reply_error(conn, Error(ErrorKind::InvalidArgument,
                              fmt::format("client version {} is too new. Maximum supported API "
                                          "version is {}",
                                          ver.str(), kApiVersion.str())));
      return;
    }
    req.version = ver;
    path = path.substr(v->second);
  }
  req.path = path;
  log::debug("{} {}", req.method, req.target);
  auto segs = segments_of(path);
  bool path_known = false;
  for (auto& r : routes_) {
    std::vector<std::string> params;
    if (!match(r, segs, params)) continue;
    path_known = true;
    if (r.method != req.method && !(r.method == "GET" && req.method == "HEAD" && path == "/_ping"))
      continue;
    req.params = std::move(params);
    Status st;
    try {
      st = r.fn(req, conn);
    } catch (const std::exception& e) {
      st = std::unexpected(Error(ErrorKind::InvalidArgument, e.what()));
    }
    if (!st && !conn.replied()) reply_error(conn, st.error());
    if (!st) log::debug("{} {}: {}", req.method, req.target, st.error().message());
    return;
  }
  if (path_known) {
    conn.json(405, {{"message", "method not allowed"}});
    return;
  }
  conn.json(404, {{"message", "page not found"}});
}

}  // namespace berth::api

// Routes are a table: method + pattern ("/containers/{id}/json", "{name*}" spans slashes, as
// image names do) -> handler. Strips the /vX.Y prefix and turns handler errors into Docker's
// JSON error bodies (errors.cc holds the one error -> status mapping).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/http.h"

namespace berth::api {

using RouteFn = std::function<Status(Request&, Conn&)>;

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, RouteFn fn);
  void dispatch(Request& req, Conn& conn) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    RouteFn fn;
  };
  bool match(const Route& r, const std::vector<std::string>& segs,
             std::vector<std::string>& params) const;
  std::vector<Route> routes_;
};

// Error -> HTTP status, and the {"message": ...} body.
int http_status(const Error& e);
void reply_error(Conn& conn, const Error& e);

}  // namespace berth::api

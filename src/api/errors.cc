// The one place an Error becomes an HTTP status.
#include "api/router.h"

namespace berth::api {

int http_status(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::InvalidArgument:
      return 400;
    case ErrorKind::NotFound:
      return 404;
    case ErrorKind::Conflict:
      return 409;
    case ErrorKind::PermissionDenied:
      return 403;
    case ErrorKind::Unavailable:
      return 503;
    case ErrorKind::Internal:
      return 500;
  }
  return 500;
}

void reply_error(Conn& conn, const Error& e) {
  conn.json(http_status(e), {{"message", e.message()}});
}

}  // namespace berth::api

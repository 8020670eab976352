#include "storage/layer_id.h"

namespace berth::storage {

namespace {

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Status validate_layer_id(const std::string& id) {
  bool valid = !id.empty() && id.size() <= 128 && id.front() != '.' && id.front() != '-' &&
               id.front() != '_';
  for (char c : id) valid = valid && id_char(c);
  if (!valid) return fail(ErrorKind::InvalidArgument, "invalid layer id \"{}\"", id);
  return ok();
}

}  // namespace berth::storage

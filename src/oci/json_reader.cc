#include "oci/json_reader.h"

namespace berth::oci {

Field Field::operator[](const char* key) const {
  std::string p = path_.empty() ? key : path_ + "." + key;
  if (!present() || !j_->is_object()) return Field(nullptr, p);
  auto it = j_->find(key);
  if (it == j_->end()) return Field(nullptr, p);
  return Field(&*it, p);
}

Field Field::at(size_t i) const {
  std::string p = path_ + "[" + std::to_string(i) + "]";
  if (!present() || !j_->is_array() || i >= j_->size()) return Field(nullptr, p);
  return Field(&(*j_)[i], p);
}

size_t Field::size() const {
  return present() && j_->is_array() ? j_->size() : 0;
}

Status Field::expect_object() const {
  if (present() && !j_->is_object()) return bad("expected an object");
  return ok();
}

Status Field::expect_array() const {
  if (present() && !j_->is_array()) return bad("expected an array");
  return ok();
}

Result<std::string> Field::str(std::string def) const {
  if (!present()) return def;
  if (!j_->is_string()) return bad("expected a string");
  return j_->get<std::string>();
}

Result<bool> Field::boolean(bool def) const {
  if (!present()) return def;
  if (!j_->is_boolean()) return bad("expected a boolean");
  return j_->get<bool>();
}

Result<int64_t> Field::i64(int64_t def) const {
  if (!present()) return def;
  if (!j_->is_number_integer()) return bad("expected an integer");
  if (j_->is_number_unsigned() && j_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return bad("integer out of range");
  return j_->get<int64_t>();
}

Result<uint64_t> Field::u64(uint64_t def) const {
  if (!present()) return def;
  if (!j_->is_number_integer()) return bad("expected an integer");
  if (!j_->is_number_unsigned() && j_->get<int64_t>() < 0)
    return bad("expected a non-negative integer");
  return j_->get<uint64_t>();
}

Result<std::optional<int64_t>> Field::opt_i64() const {
  if (!present()) return std::optional<int64_t>();
  BERTH_ASSIGN(int64_t v, i64());
  return std::optional<int64_t>(v);
}

Result<std::optional<uint64_t>> Field::opt_u64() const {
  if (!present()) return std::optional<uint64_t>();
  BERTH_ASSIGN(uint64_t v, u64());
  return std::optional<uint64_t>(v);
}

Result<std::vector<std::string>> Field::strings() const {
  std::vector<std::string> out;
  if (!present()) return out;
  if (!j_->is_array()) return bad("expected an array of strings");
  for (size_t i = 0; i < j_->size(); ++i) {
    BERTH_ASSIGN(std::string s, at(i).str());
    if (!(*j_)[i].is_string()) return at(i).bad("expected a string");
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::map<std::string, std::string>> Field::string_map() const {
  std::map<std::string, std::string> out;
  if (!present()) return out;
  if (!j_->is_object()) return bad("expected an object of strings");
  for (auto& [k, v] : j_->items()) {
    if (!v.is_string())
      return fail(ErrorKind::InvalidArgument, "{}.{}: expected a string", path_, k);
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace berth::oci

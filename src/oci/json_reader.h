// Typed access to JSON fields with errors that name the field path.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::oci {

class Field {
 public:
  Field(const nlohmann::json* j, std::string path) : j_(j), path_(std::move(path)) {}

  bool present() const { return j_ != nullptr && !j_->is_null(); }
  const std::string& path() const { return path_; }
  const nlohmann::json& json() const { return *j_; }

  Field operator[](const char* key) const;
  Field at(size_t i) const;
  size_t size() const;

  Result<std::string> str(std::string def = {}) const;
  Result<bool> boolean(bool def = false) const;
  Result<int64_t> i64(int64_t def = 0) const;
  Result<uint64_t> u64(uint64_t def = 0) const;
  Result<std::optional<int64_t>> opt_i64() const;
  Result<std::optional<uint64_t>> opt_u64() const;
  Result<std::vector<std::string>> strings() const;
  Result<std::map<std::string, std::string>> string_map() const;
  Status expect_object() const;
  Status expect_array() const;

  std::unexpected<Error> bad(const char* what) const {
    return fail(ErrorKind::InvalidArgument, "{}: {}", path_, what);
  }

 private:
  const nlohmann::json* j_;
  std::string path_;
};

}  // namespace berth::oci

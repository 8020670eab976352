// Image references, parsed and normalised as Docker does (distribution/reference):
// "busybox" -> docker.io/library/busybox:latest; "host:5000/ns/name:tag@sha256:...".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::image {

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000"
  std::string path;    // "library/busybox", "ns/name"
  std::string tag;     // "" when only a digest was given
  std::string digest;  // "sha256:..." or ""

  // docker.io/library/busybox:latest (tag omitted when empty; @digest appended when set)
  std::string full() const;
  // The short form Docker shows: "busybox:latest", "localhost:5000/x:1".
  std::string familiar() const;
  // Name without tag/digest: "docker.io/library/busybox".
  std::string name() const;
  std::string familiar_name() const;
};

// Parses and normalises; adds ":latest" when neither tag nor digest is given (unless
// add_latest is false). Errors: "invalid reference format", "invalid reference format:
// repository name must be lowercase", as Docker words them.
Result<Reference> parse_reference(std::string_view s, bool add_latest = true);

// A full 64-hex id or a unique id prefix is not a reference; callers check ids first.
bool looks_like_id(std::string_view s);

}  // namespace berth::image

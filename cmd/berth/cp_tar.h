// The tar work of `berth cp`, built as the module berth-cp.so: libarchive and the dozen
// libraries it pulls in (libxml2, ICU, the compressors) cost every berth command ~1 ms at
// start when linked in, and only cp needs them. The client and the module come from one build,
// so the table may pass C++ types.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::cli {

struct CpTar {
  // Extracts the tar on `in` under the directory `dest`.
  Status (*extract)(int in, const std::string& dest);
  // Writes `name` (in the directory open as `parent_fd`), recursively, as a tar to `out`.
  Status (*write_entry)(int out, int parent_fd, const std::string& name);
  // Copies the tar on `in` to `out` with its root entry renamed to `root`.
  Status (*rebase)(int in, int out, const std::string& root);
};

inline constexpr const char* kCpTarModule = "berth-cp.so";
inline constexpr const char* kCpTarSymbol = "berth_cp_tar";

}  // namespace berth::cli

// Small filesystem helpers returning Result.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

Result<std::string> read_file(const std::string& path);
// Writes via a temp file and rename so readers never see a partial file; `durable` adds an
// fsync before the rename (not needed for state under /run, which a reboot clears anyway).
Status write_file_atomic(const std::string& path, std::string_view data, int mode = 0644,
                         bool durable = true);
// Plain write (for sysfs/procfs/cgroupfs files that must not be replaced).
Status write_file(const std::string& path, std::string_view data);
// Replaces an existing file's content in place (same inode): a bind mount of it sees the
// change, which a write-and-rename would not give.
Status rewrite_file(const std::string& path, std::string_view data);
Status mkdir_all(const std::string& path, int mode = 0755);
Status remove_all(const std::string& path);
bool path_exists(const std::string& path);
// Joins two paths with exactly one slash.
std::string path_join(std::string_view a, std::string_view b);
// Cleans a path lexically: collapses //, . and .. (never above /).
std::string clean_path(std::string_view p);
// An executable `name` in $PATH (or `name` itself when it has a slash), else "".
std::string find_in_path(const std::string& name);
// The directory of the running binary (its helpers, berth-shim and berth-tls.so, sit there).
std::string executable_dir();

}  // namespace berth

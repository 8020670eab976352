// The unit tests' scratch directory: a fresh dir under /tmp (ext4 here, so overlay can use
// it), removed at the end of the test with everything mounted below it.
#pragma once

#include <string>
#include <string_view>

namespace berth::test_util {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view rel) const { return path_ + "/" + std::string(rel); }

 private:
  std::string path_;
};

// Unmounts everything at or below dir, deepest first.
void unmount_below(const std::string& dir);

}  // namespace berth::test_util

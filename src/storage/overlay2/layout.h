// Docker's overlay2 on-disk layout, so tools that know it (and people) can find their way:
//   <root>/<id>/diff      the layer's files (the upper dir of its mount)
//   <root>/<id>/link      its short name, 26 chars
//   <root>/<id>/lower     "l/<parent link>:l/<grandparent link>:..." (top first)
//   <root>/<id>/work      overlayfs work dir; merged: the mount point while mounted
//   <root>/<id>/committed exists once the layer is read-only (an image layer or a parent)
//   <root>/l/<link>       symlink to ../<id>/diff; short names keep mount data small
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::storage::overlay2 {

class Layout {
 public:
  explicit Layout(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string diff(const std::string& id) const { return dir(id) + "/diff"; }
  std::string work(const std::string& id) const { return dir(id) + "/work"; }
  std::string merged(const std::string& id) const { return dir(id) + "/merged"; }
  std::string links() const { return root_ + "/l"; }

  Result<std::string> link(const std::string& id) const;
  // The "lower" file's entries ("l/XXX", relative to root); empty for a base layer.
  Result<std::vector<std::string>> lowers(const std::string& id) const;
  bool has_parent(const std::string& id) const;
  // The diff dirs the lowers' links point at, top first.
  Result<std::vector<std::string>> lower_diffs(const std::string& id) const;

 private:
  std::string root_;
};

// A fresh short name: 16 random bytes in base32 without padding, as Docker makes them.
Result<std::string> new_link_id();

}  // namespace berth::storage::overlay2

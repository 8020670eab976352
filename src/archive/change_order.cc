#include <algorithm>

#include "archive/changes.h"
#include "archive/safe_path.h"

namespace berth::archive {

void sort_changes(std::vector<Change>& changes) {
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return path_less(a.path, b.path); });
}

}  // namespace berth::archive

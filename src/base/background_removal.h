// Directory trees deleted after the answer: a removal renames the tree out of the way (one
// rename, atomic) and its files are unlinked on a background thread. Unlinking a container's
// dozen files and dirs cost ~1-2 ms of every `run --rm`. berthd turns it on; elsewhere (tools,
// tests) remove_renamed() deletes at once. What is queued when the process dies stays under its
// renamed name: the owner of such names clears them when it opens (clear_renamed()).
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace berth {

void enable_background_removal();
// `from` renamed to `to` (a name nothing else will use), then `to` deleted now or soon.
// When the rename fails (`from` is missing, say), `from` is deleted at once instead.
Status remove_via(const std::string& from, const std::string& to);
// Any other removal's last steps (the same thread, in order): now when not enabled.
void run_in_background(std::function<void()> task);
// Returns once everything queued before the call is done.
void drain_background_removals();
// Queues for deletion every entry of `dir` whose name starts with `prefix` or ends with
// `suffix` (what remove_via() left behind in a process that died).
void clear_renamed(const std::string& dir, const std::string& prefix, const std::string& suffix);

}  // namespace berth

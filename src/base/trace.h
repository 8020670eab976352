// Timestamps of the steps of a container's life, for finding where time goes: with
// BERTH_TRACE=<file> in the environment (berthd passes it on to its shims), each process
// appends "<CLOCK_MONOTONIC seconds> <pid> <step>" lines to the file. bench/run-steps reads
// them. Without it, a step costs one branch.
#pragma once

namespace berth {

void trace_step(const char* step);

}  // namespace berth

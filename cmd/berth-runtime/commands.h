#pragma once

namespace berth::runtime_cli {

// Parses runc's command line and runs the command; returns the process exit code.
int run(int argc, char** argv);

}  // namespace berth::runtime_cli

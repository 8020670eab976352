// berth's commands, registered on the CLI11 app. Each returns the process's exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "client/engine.h"

namespace berth::cli {

// The engine is made after parsing (-H is known then).
using EngineRef = std::function<client::Engine&()>;
// Set by the subcommand that ran: its exit code.
extern int exit_code;

void add_container_commands(CLI::App& app, EngineRef engine);
void add_object_commands(CLI::App& app, EngineRef engine);
void add_network_commands(CLI::App& app, EngineRef engine);
void add_container_op_commands(CLI::App& app, EngineRef engine);

// Prints "Error...: msg" to stderr and gives the exit code the docker CLI would.
int report(const Error& e, int code = 1);
// Docker's tabwriter layout: columns at least 10 wide, 3 spaces apart.
std::string table(const std::vector<std::vector<std::string>>& rows);
// "5 seconds", "About a minute", "3 hours"
std::string human_duration(int64_t seconds);
std::string human_size(double bytes);

}  // namespace berth::cli

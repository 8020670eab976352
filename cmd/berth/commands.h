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

void add_container_commands(CLI::App& app, EngineRef engine);     // containers.cc
void add_container_op_commands(CLI::App& app, EngineRef engine);  // container_ops.cc
void add_image_commands(CLI::App& app, EngineRef engine);         // images.cc
void add_volume_commands(CLI::App& app, EngineRef engine);        // volumes.cc
void add_network_commands(CLI::App& app, EngineRef engine);       // networks.cc
void add_system_commands(CLI::App& app, EngineRef engine);        // system.cc
void add_cp_command(CLI::App& app, EngineRef engine);             // cp.cc

// Prints "Error...: msg" to stderr and gives the exit code the docker CLI would.
int report(const Error& e, int code = 1);
// report() of a failed call: the daemon's message, or why there was no answer.
int fail_with(const Result<client::Response>& r);
// "repo:tag" -> (repo, tag), `def` when there is no tag (a colon before the last '/' is a
// registry's port).
std::pair<std::string, std::string> split_ref(const std::string& ref, const std::string& def);
// "key=value" (or another separator) split at the first one.
std::pair<std::string, std::string> key_value(const std::string& s, char sep = '=');
// --filter key=value... as Docker's filters query parameter ("filters=<url-escaped JSON>").
std::string filters_query(const std::vector<std::string>& filters);
// Docker's tabwriter layout: columns at least 10 wide, 3 spaces apart.
std::string table(const std::vector<std::vector<std::string>>& rows);
// Prints a prune's "Deleted <things>:" list (IDs, or untagged/deleted lines for images);
// returns its SpaceReclaimed.
double print_pruned(const nlohmann::json& answer, const char* key, const char* title);
// Go's time.Time.String() of a unix time, as CreatedAt shows it: "2026-11-28 02:50:01 +0000 UTC"
std::string go_time(int64_t unix_seconds);
// "5 seconds", "About a minute", "3 hours"
std::string human_duration(int64_t seconds);
std::string human_size(double bytes);

}  // namespace berth::cli

// berth: a client of the Docker Engine API with Docker's command syntax. It talks to berthd,
// or to any dockerd (-H, BERTH_HOST or DOCKER_HOST choose).
#include <signal.h>

#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>
#include "base/file.h"
#include "base/trace.h"

#include "commands.h"

namespace {

// The first word that is not a global flag (or its value) is the command.
size_t command_index(const std::vector<std::string>& args) {
  size_t i = 1;
  while (i < args.size() && args[i].starts_with("-")) {
    bool takes_value = (args[i] == "-H" || args[i] == "--host" || args[i] == "--tlscacert" ||
                        args[i] == "--tlscert" || args[i] == "--tlskey") &&
                       i + 1 < args.size();
    i += takes_value ? 2 : 1;
  }
  return i;
}

using AddCommands = void (*)(CLI::App&, berth::cli::EngineRef);

// Registering every command with its flags costs ~1.5 ms per berth call (CLI11 checks each
// new option against the ones before it), more than the call itself often takes: only the
// group of the command being run is registered. A word not listed (help, a typo, a command
// added to a group but not here) registers them all, which is always right, only slower.
std::vector<AddCommands> groups_for(const std::vector<std::string>& args) {
  using namespace berth::cli;
  static const std::map<std::string_view, AddCommands> groups = {
      {"run", add_container_commands},
      {"create", add_container_commands},
      {"start", add_container_commands},
      {"stop", add_container_commands},
      {"restart", add_container_commands},
      {"kill", add_container_commands},
      {"rm", add_container_commands},
      {"wait", add_container_commands},
      {"ps", add_container_commands},
      {"logs", add_container_commands},
      {"exec", add_container_commands},
      {"port", add_container_commands},
      {"pause", add_container_op_commands},
      {"unpause", add_container_op_commands},
      {"rename", add_container_op_commands},
      {"update", add_container_op_commands},
      {"top", add_container_op_commands},
      {"diff", add_container_op_commands},
      {"export", add_container_op_commands},
      {"commit", add_container_op_commands},
      {"attach", add_container_op_commands},
      {"stats", add_container_op_commands},
      {"container-prune", add_container_op_commands},
      {"images", add_image_commands},
      {"rmi", add_image_commands},
      {"tag", add_image_commands},
      {"save", add_image_commands},
      {"load", add_image_commands},
      {"import", add_image_commands},
      {"history", add_image_commands},
      {"pull", add_image_commands},
      {"image-prune", add_image_commands},
      {"volume", add_volume_commands},
      {"network", add_network_commands},
      {"version", add_system_commands},
      {"info", add_system_commands},
      {"events", add_system_commands},
      {"system-df", add_system_commands},
      {"system-prune", add_system_commands},
      {"inspect", add_system_commands},
      {"cp", add_cp_command},
  };
  size_t i = command_index(args);
  if (i < args.size())
    if (auto g = groups.find(args[i]); g != groups.end()) return {g->second};
  return {add_container_commands, add_container_op_commands, add_image_commands,
          add_volume_commands,    add_network_commands,      add_system_commands,
          add_cp_command};
}

// Docker's management forms (`container ls`, `image rm`, `system info`...) name the same
// commands as the top-level ones: rewritten to those before parsing.
std::vector<std::string> management_to_top_level(std::vector<std::string> args) {
  static const std::map<std::string, std::map<std::string, std::vector<std::string>>> forms = {
      {"container", {{"ls", {"ps"}},           {"list", {"ps"}},
                     {"ps", {"ps"}},           {"rm", {"rm"}},
                     {"remove", {"rm"}},       {"inspect", {"inspect", "--type", "container"}},
                     {"run", {"run"}},         {"create", {"create"}},
                     {"start", {"start"}},     {"stop", {"stop"}},
                     {"restart", {"restart"}}, {"kill", {"kill"}},
                     {"logs", {"logs"}},       {"exec", {"exec"}},
                     {"wait", {"wait"}},       {"port", {"port"}},
                     {"attach", {"attach"}},   {"top", {"top"}},
                     {"stats", {"stats"}},     {"cp", {"cp"}},
                     {"diff", {"diff"}},       {"commit", {"commit"}},
                     {"export", {"export"}},   {"pause", {"pause"}},
                     {"unpause", {"unpause"}}, {"rename", {"rename"}},
                     {"update", {"update"}},   {"prune", {"container-prune"}}}},
      {"image",
       {{"ls", {"images"}},
        {"list", {"images"}},
        {"rm", {"rmi"}},
        {"remove", {"rmi"}},
        {"inspect", {"inspect", "--type", "image"}},
        {"tag", {"tag"}},
        {"load", {"load"}},
        {"save", {"save"}},
        {"import", {"import"}},
        {"history", {"history"}},
        {"pull", {"pull"}},
        {"push", {"push"}},
        {"prune", {"image-prune"}}}},
      {"system",
       {{"info", {"info"}},
        {"df", {"system-df"}},
        {"events", {"events"}},
        {"prune", {"system-prune"}}}},
  };
  size_t i = command_index(args);
  if (i + 1 >= args.size()) return args;
  auto group = forms.find(args[i]);
  if (group == forms.end()) return args;
  auto verb = group->second.find(args[i + 1]);
  if (verb == group->second.end()) return args;
  std::vector<std::string> out(args.begin(), args.begin() + static_cast<long>(i));
  out.insert(out.end(), verb->second.begin(), verb->second.end());
  out.insert(out.end(), args.begin() + static_cast<long>(i) + 2, args.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  berth::trace_step("cli-main");
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"berth: a container engine's client, with Docker's commands"};
  app.require_subcommand(1);
  std::string host_flag;
  app.add_option("-H,--host", host_flag, "daemon socket to connect to");
  // the docker CLI's TLS flags and their environment: DOCKER_TLS_VERIFY, DOCKER_CERT_PATH
  const char* cert_env = getenv("DOCKER_CERT_PATH");
  const char* home = getenv("HOME");
  std::string cert_dir =
      cert_env && *cert_env ? cert_env : std::string(home ? home : "") + "/.docker";
  berth::tls::Options tls{cert_dir + "/ca.pem", cert_dir + "/cert.pem", cert_dir + "/key.pem"};
  bool use_tls = false, tls_verify = false;
  app.add_flag("--tls", use_tls, "use TLS; implied by --tlsverify");
  app.add_flag("--tlsverify", tls_verify, "use TLS and verify the remote");
  app.add_option("--tlscacert", tls.ca_file, "trust certs signed only by this CA");
  app.add_option("--tlscert", tls.cert_file, "path to the TLS certificate file");
  app.add_option("--tlskey", tls.key_file, "path to the TLS key file");
  std::optional<berth::client::Engine> engine;
  auto get = [&]() -> berth::client::Engine& {
    if (!engine) {
      engine.emplace(berth::client::Engine::default_host(host_flag));
      const char* verify_env = getenv("DOCKER_TLS_VERIFY");
      if (verify_env && *verify_env) tls_verify = true;
      if (use_tls || tls_verify) {
        tls.verify_peer = tls_verify;
        // a client certificate is optional unless named
        if (!app.count("--tlscert") && !berth::path_exists(tls.cert_file)) tls.cert_file.clear();
        if (!app.count("--tlskey") && !berth::path_exists(tls.key_file)) tls.key_file.clear();
        auto ctx = berth::tls::Context::client(tls);
        if (!ctx) {
          fmt::print(stderr, "{}\n", ctx.error().message());
          exit(1);
        }
        engine->use_tls(*ctx);
      }
      engine->negotiate();
    }
    return *engine;
  };
  std::vector<std::string> args = management_to_top_level({argv, argv + argc});
  for (AddCommands add : groups_for(args)) add(app, get);
  try {
    // CLI11 takes them in reverse order, without the program name
    std::vector<std::string> rev(args.rbegin(), args.rend() - 1);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 125;  // docker's code for a usage error
  }
  berth::trace_step("cli-end");
  return berth::cli::exit_code;
}

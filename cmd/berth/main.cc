// berth: a client of the Docker Engine API with Docker's command syntax. It talks to berthd,
// or to any dockerd (-H, BERTH_HOST or DOCKER_HOST choose).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <optional>

#include "commands.h"

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"berth: a container engine's client, with Docker's commands"};
  app.require_subcommand(1);
  std::string host_flag;
  app.add_option("-H,--host", host_flag, "daemon socket to connect to");
  std::optional<berth::client::Engine> engine;
  auto get = [&]() -> berth::client::Engine& {
    if (!engine) {
      engine.emplace(berth::client::Engine::default_host(host_flag));
      engine->negotiate();
    }
    return *engine;
  };
  berth::cli::add_container_commands(app, get);
  berth::cli::add_object_commands(app, get);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 125;  // docker's code for a usage error
  }
  return berth::cli::exit_code;
}

// berth: a client of the Docker Engine API with Docker's command syntax. It talks to berthd,
// or to any dockerd (-H, BERTH_HOST or DOCKER_HOST choose).
#include <signal.h>

#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>
#include "base/file.h"

#include "commands.h"

namespace {

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
  // the first word that is not a global flag (or its value) is the command
  size_t i = 1;
  while (i < args.size() && args[i].starts_with("-")) {
    bool takes_value = (args[i] == "-H" || args[i] == "--host" || args[i] == "--tlscacert" ||
                        args[i] == "--tlscert" || args[i] == "--tlskey") &&
                       i + 1 < args.size();
    i += takes_value ? 2 : 1;
  }
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
  berth::cli::add_container_commands(app, get);
  berth::cli::add_container_op_commands(app, get);
  berth::cli::add_image_commands(app, get);
  berth::cli::add_volume_commands(app, get);
  berth::cli::add_network_commands(app, get);
  berth::cli::add_system_commands(app, get);
  berth::cli::add_cp_command(app, get);
  std::vector<std::string> args = management_to_top_level({argv, argv + argc});
  try {
    // CLI11 takes them in reverse order, without the program name
    std::vector<std::string> rev(args.rbegin(), args.rend() - 1);
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 125;  // docker's code for a usage error
  }
  return berth::cli::exit_code;
}

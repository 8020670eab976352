// berth-runtime: an OCI runtime with runc's command line.
#include "commands.h"

int main(int argc, char** argv) {
  return berth::runtime_cli::run(argc, argv);
}

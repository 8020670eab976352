#!/bin/bash
# Builds and runs every test (unit and system) through ctest. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 1200 "$@"

#!/bin/bash
# Configures and builds Berth in ./build (Release with debug info).
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache (when installed) shares results between clones at different paths.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
ninja -C build

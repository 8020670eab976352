#!/bin/bash
# One command from a fresh Debian 12 machine (as root) to a running container:
# packages, build, a busybox base rootfs, then `berth-runtime run` of a bundle that prints,
# from inside the container, its hostname, its PID 1 and its mounts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
install -m 0755 build/cmd/berth-runtime /usr/local/bin/berth-runtime

bundle=/var/lib/berth/bundles/hello
rm -rf "$bundle"
mkdir -p "$bundle"
bash scripts/mkrootfs.sh "$bundle/rootfs"
cd "$bundle"
berth-runtime spec
# Not interactive, and a command that shows the container from the inside.
jq '.process.terminal = false
    | .hostname = "berth-demo"
    | .process.args = ["sh", "-c", "echo hostname: $(hostname); echo pid 1: $(cat /proc/1/cmdline | tr \"\\\\0\" \" \"); echo mounts:; cat /proc/self/mounts"]' \
  config.json > config.json.new && mv config.json.new config.json
berth-runtime run "hello-$$"

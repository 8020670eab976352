#!/bin/bash
# Installs what Berth needs to build and test, from Debian's archive.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(
  build-essential cmake ninja-build pkg-config clang-format ccache
  libseccomp-dev libcap-dev nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev
  libarchive-dev libzstd-dev libsqlite3-dev libboost1.81-dev libssl-dev nettle-dev libisal-dev
  libnftables-dev libnl-3-dev libnl-route-3-dev nftables
  busybox-static curl jq sqlite3 bats procps iproute2 util-linux python3 python3-docker openssl
  strace
  # interop references and benchmarks
  docker.io runc crun hyperfine skopeo umoci btrfs-progs
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

#!/bin/bash
# One command from a fresh Debian 12 machine (as root) to a running container: packages,
# build, the binaries in /usr/local/bin, berthd started (unless one answers already), a
# busybox base image, and `berth run` of a container that shows itself from the inside.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
for b in berthd berth-shim berth-init berth berth-runtime berth-image; do
  install -m 0755 "build/cmd/$b" "/usr/local/bin/$b"
done
# Modules loaded when needed, from bin/../lib/berth: TLS (OpenSSL; berthd and berth) and the
# tar side of `berth cp` (libarchive)
for m in berth-tls.so berth-cp.so; do
  install -D -m 0644 "build/cmd/$m" "/usr/local/lib/berth/$m"
done

sock=/run/berth/berth.sock
if ! curl -sf --unix-socket "$sock" http://berth/_ping >/dev/null 2>&1; then
  mkdir -p /run/berth
  # its own session: it outlives this script; its log in /var/log/berthd.log
  (setsid /usr/local/bin/berthd >>/var/log/berthd.log 2>&1 </dev/null &)
  for _ in $(seq 100); do
    curl -sf --unix-socket "$sock" http://berth/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf --unix-socket "$sock" http://berth/_ping >/dev/null ||
    { echo "berthd did not start; see /var/log/berthd.log" >&2; tail -n 20 /var/log/berthd.log >&2; exit 1; }
  echo "berthd is running (socket $sock, log /var/log/berthd.log)"
fi

if ! berth inspect --type image busybox:latest >/dev/null 2>&1; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  bash scripts/mkrootfs.sh "$work/rootfs"
  tar -C "$work/rootfs" -c . | berth import - busybox:latest >/dev/null
  echo "imported busybox:latest (from Debian's busybox-static)"
fi

# A container on the default bridge, showing itself from the inside.
berth run --rm --hostname berth-demo busybox sh -c '
  echo "hostname: $(hostname)"
  echo "pid 1:    $(cat /proc/1/comm)"
  echo "user:     $(id)"
  echo "address:  $(ip -4 -o addr show eth0 | awk "{print \$4}")"
  echo "route:    $(ip route | head -n 1)"'

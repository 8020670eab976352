# A private berthd and a private dockerd 20.10 (+ its containerd) side by side, for the
# benches that compare them (bench/berthd, bench/berthd-scale): own data roots, exec roots,
# sockets and cgroup parents, no bridge for dockerd, the same busybox image on both. Sets
#   work (a scratch dir), BH / DH (the two hosts), bpid / dpid / cpid (berthd, dockerd,
#   containerd), onb / ond (the docker CLI on each), and rss / pss / mib / ratio helpers.
# Everything it starts (daemons, shims, containers, mounts, cgroups, /tmp dirs, and the sockets
# containerd's shims leave in /run/containerd/s when killed) is removed on exit, also on failure
# or Ctrl-C. Source it after setting BENCH (the bench's name, for messages).

# shellcheck source=../../tests/system/lib/berthd.bash
source "$berth_src/tests/system/lib/berthd.bash"
# shellcheck source=../../tests/system/lib/dockerd.bash
source "$berth_src/tests/system/lib/dockerd.bash"

work=$(mktemp -d "/tmp/berth-bench-$BENCH.XXXXXX")
pair_cleanup() {
  local rc=$?
  set +e
  trap - ERR
  trap '' INT TERM HUP
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ]; then
    local f
    for f in "$work/start.log" "${BT:-/nonexistent}/berthd.log" "${DTMP:-/nonexistent}/dockerd.log"; do
      [ -s "$f" ] && { echo "--- tail of $f"; tail -n 15 "$f"; } >&2
    done
  fi
  # Each lib's cleanup asks its own daemon for the containers to remove.
  if [ -n "${BT:-}" ]; then
    DOCKER_HOST="unix://$BT/berth.sock" DOCKER_CONFIG="$work/cli" berthd_cleanup >/dev/null 2>&1
  fi
  if [ -n "${DTMP:-}" ]; then
    # containerd 1.6 puts each shim's socket in /run/containerd/s/, named by the sha256 of
    # ADDRESS/NAMESPACE/ID; a shim killed by dk_cleanup leaves it there.
    local socks=() p a
    for p in $(pgrep -x containerd-shim); do
      a=$({ tr '\0' '\n' < "/proc/$p/cmdline"; } 2>/dev/null |
        awk -v d="$DTMP" '/^-(namespace|id|address)$/ {k = $0; next} k {v[k] = $0; k = ""}
          END {if (index(v["-address"], d "/") == 1) print v["-address"] "/" v["-namespace"] "/" v["-id"]}')
      [ -n "$a" ] && socks+=("/run/containerd/s/$(printf '%s' "$a" | sha256sum | cut -d' ' -f1)")
    done
    DOCKER_HOST="unix://$DTMP/docker.sock" DOCKER_CONFIG="$work/cli" dk_cleanup >/dev/null 2>&1
    for p in "${socks[@]}"; do
      [ -S "$p" ] && ! grep -qF " $p" /proc/net/unix && rm -f "$p"
    done
  fi
  rm -rf --one-file-system "$work"
}
trap pair_cleanup EXIT
trap 'echo "$BENCH bench: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir -p "$work/cli"
berthd_start >>"$work/start.log"
BH=$DOCKER_HOST
dockerd_start >>"$work/start.log"
[ -z "${DK_MISSING:-}" ] || { echo "$BENCH bench: dockerd/containerd missing" >&2; exit 1; }
DH=$DOCKER_HOST
export DOCKER_CONFIG="$work/cli"  # keep the CLI away from ~/.docker
unset DOCKER_HOST
onb() { timeout -k 5 120 docker -H "$BH" "$@"; }
ond() { timeout -k 5 120 docker -H "$DH" "$@"; }
ond import "$BT/rootfs.tar" busybox:latest >/dev/null

kb() { awk -v k="$1" '$1 == k":" {print $2; f=1} END {if (!f) print 0}' "$2" 2>/dev/null || echo 0; }
rss() { kb VmRSS "/proc/$1/status"; }
pss() { kb Pss "/proc/$1/smaps_rollup"; }
mib() { printf '%.2f' "$(echo "$1 / 1024" | bc -l)"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

bpid=$(cat "$BT/berthd.pid")
dpid=$(cat "$DTMP/dockerd.launch.pid")
cpid=$(cat "$DTMP/containerd.pid")
[ "$(cat "/proc/$bpid/comm")" = berthd ] && [ "$(cat "/proc/$dpid/comm")" = dockerd ] &&
  [ "$(cat "/proc/$cpid/comm")" = containerd ]

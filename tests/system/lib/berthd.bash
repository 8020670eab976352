# A private berthd for system tests: its own data root, exec root, socket and cgroup parent
# under one mktemp dir, with a busybox image imported from scripts/mkrootfs.sh.
# BT_DAEMON_ARGS: more berthd flags for berthd_launch (word-split).
# BT_IPV6=1: the default bridge has IPv6 too (fd42:4254:N::/64, N as in BT_NET=10.N); berthd
# then turns on net.ipv6.conf.all.forwarding, which berthd_cleanup puts back as it was
# (see berthd_ipv6_forwarding_hold).
# berthd_start sets BT (the dir) and DOCKER_HOST; berthd_cleanup removes everything it made.

berthd_start() {
  export BT
  BT="$(mktemp -d /tmp/berth-d.XXXXXX)"
  export BT_ID="${BT##*.}"
  export DOCKER_HOST="unix://$BT/berth.sock"
  export DOCKER_CONFIG="$BT/cli"
  mkdir -p "$DOCKER_CONFIG"
  local probe="${BERTH_BUILD:?}/tests/berth-probe"
  [ -x "$probe" ] || probe=
  bash "${BERTH_SRC:?}/scripts/mkrootfs.sh" "$BT/rootfs" $probe >/dev/null
  tar -C "$BT/rootfs" -cf "$BT/rootfs.tar" .
  "$BERTH_BUILD/cmd/berth-image" --data-root "$BT/data" import "$BT/rootfs.tar" busybox:latest >/dev/null
  berthd_claim_net
  [ -z "${BT_IPV6:-}" ] || berthd_ipv6_forwarding_hold
  berthd_launch
}

# IPv6 test daemons turn net.ipv6.conf.all.forwarding on; the value from before the first of
# them comes back when the last one is cleaned up (they may run in parallel).
BT_FWD=/tmp/berth-ipv6fwd
berthd_ipv6_forwarding_hold() {
  (
    flock 9
    [ -f "$BT_FWD.orig" ] || sysctl -n net.ipv6.conf.all.forwarding >"$BT_FWD.orig"
    touch "$BT_FWD.user.$BT_ID"
  ) 9>"$BT_FWD.lock"
}
berthd_ipv6_forwarding_release() {
  [ -f "$BT_FWD.user.$BT_ID" ] || return 0
  (
    flock 9
    rm -f "$BT_FWD.user.$BT_ID"
    if ! compgen -G "$BT_FWD.user.*" >/dev/null && [ -s "$BT_FWD.orig" ]; then
      sysctl -qw "net.ipv6.conf.all.forwarding=$(cat "$BT_FWD.orig")" || true
      rm -f "$BT_FWD.orig" "$BT_FWD.lock"
    fi
  ) 9>>"$BT_FWD.lock"
}

# A bridge name and a 10.N.0.0/16 of our own: the default bridge gets 10.N.0.0/24 and
# user networks the /24s after it. N is claimed with an atomic mkdir so parallel test
# daemons never share a subnet, and skipped if the host routes any of it.
berthd_claim_net() {
  export BT_BRIDGE="bt${BT_ID}"
  local n
  for n in $(shuf -i 100-249); do
    ip route show | grep -q "^10\.$n\." && continue
    mkdir "/tmp/berth-netlock-$n" 2>/dev/null || continue
    echo "$n" >"$BT/netlock"
    export BT_NET="10.$n"
    return 0
  done
  echo "no free 10.N.0.0/16 for the test daemon" >&2
  return 1
}

berthd_launch() {
  # in a subshell: not a job of the test's shell, so its SIGKILL is not reported
  (setsid "$BERTH_BUILD/cmd/berthd" --config-file /nonexistent --data-root "$BT/data" \
    --exec-root "$BT/exec" -H "$DOCKER_HOST" -p "$BT/berthd.pid" \
    --cgroup-parent "/berth-test-$BT_ID" --bridge "$BT_BRIDGE" --bip "$BT_NET.0.1/24" \
    --default-address-pool "base=$BT_NET.0.0/16,size=24" ${BT_IPV6:+--ipv6 --fixed-cidr-v6 "fd42:4254:${BT_NET#10.}::/64"} \
    ${BT_DAEMON_ARGS:-} \
    >>"$BT/berthd.log" 2>&1 </dev/null 3>&- &)
  local n=100
  until curl -sf --unix-socket "$BT/berth.sock" http://x/_ping >/dev/null 2>&1; do
    n=$((n - 1)); [ "$n" -gt 0 ] || { tail -n 20 "$BT/berthd.log"; return 1; }
    sleep 0.05
  done
}

# Our processes: berthd, shims and containers all mention $BT on their command line or
# live in our cgroups.
berthd_cleanup() {
  [ -n "${BT:-}" ] && [ -d "$BT" ] || return 0
  local ids
  ids=$(timeout -k 2 10 docker ps -aq 2>/dev/null) || true
  [ -z "$ids" ] || timeout -k 2 30 docker rm -f $ids >/dev/null 2>&1 || true
  [ -f "$BT/berthd.pid" ] && kill -9 "$(cat "$BT/berthd.pid")" 2>/dev/null || true
  local p
  for p in $(pgrep -f "$BT" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  local cg
  for cg in /sys/fs/cgroup/*/berth-test-"$BT_ID" /sys/fs/cgroup/berth-test-"$BT_ID"; do
    [ -d "$cg" ] || continue
    for p in $(cat "$cg"/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    sleep 0.1
    find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  grep -F " $BT/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  berthd_cleanup_net
  berthd_ipv6_forwarding_release
  rm -rf "$BT"
}

# Bridges (the default one and those of user networks, from the daemon's records), the
# parents berthd made for macvlan networks, any veth still attached to them, and the
# daemon's nftables tables.
berthd_cleanup_net() {
  local br brs f l
  brs="${BT_BRIDGE:-}"
  for f in "$BT"/data/network/*.json; do
    [ -f "$f" ] || continue
    br=$(jq -r '.BerthBridge // .Options["com.docker.network.bridge.name"] // empty' "$f" 2>/dev/null) || true
    [ -n "$br" ] && brs="$brs $br"
    # a macvlan network's parent, when berthd made it (never a link the test owns)
    br=$(jq -r 'select(.BerthOwnParent == true) | .BerthParent' "$f" 2>/dev/null) || true
    [ -n "$br" ] && brs="$brs $br"
  done
  for br in $brs; do
    ip link show "$br" >/dev/null 2>&1 || continue
    for l in $(ip -o link show master "$br" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
      ip link delete "$l" 2>/dev/null || true
    done
    ip link delete "$br" 2>/dev/null || true
  done
  if [ -n "${BT_BRIDGE:-}" ]; then
    nft delete table ip "berth_$BT_BRIDGE" 2>/dev/null || true
    nft delete table ip6 "berth_$BT_BRIDGE" 2>/dev/null || true
    nft delete table bridge "berth_$BT_BRIDGE" 2>/dev/null || true
  fi
  if [ -f "$BT/netlock" ]; then rmdir "/tmp/berth-netlock-$(cat "$BT/netlock")" 2>/dev/null || true; fi
}

# The frame of a bats file that drives a private berthd with the docker CLI:
#   setup_file() { berthd_setup_file; }   setup() { berthd_setup; }
#   teardown() { berthd_teardown; }        teardown_file() { berthd_cleanup; }
berthd_setup_file() {
  # `skip` is not allowed in setup_file: setup() skips each test instead
  command -v docker >/dev/null || { export BD_MISSING=1; return 0; }
  berthd_start
}
berthd_setup() {
  [ -z "${BD_MISSING:-}" ] || skip "the docker CLI is not installed"
}
# berthd's log, when a test failed
berthd_teardown() {
  if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${BT:-}" ]; then
    echo "--- berthd.log (tail)"
    tail -n 30 "$BT/berthd.log"
  fi
}
# The client under test: the docker CLI, or Berth's own with BT_CLIENT=berth.
dk() {
  if [ "${BT_CLIENT:-docker}" = berth ]; then
    timeout -k 2 30 "$BERTH_BUILD/cmd/berth" "$@"
  else
    timeout -k 2 30 docker "$@"
  fi
}

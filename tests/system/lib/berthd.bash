# A private berthd for system tests: its own data root, exec root, socket and cgroup parent
# under one mktemp dir, with a busybox image imported from scripts/mkrootfs.sh.
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
  berthd_launch
}

berthd_launch() {
  # in a subshell: not a job of the test's shell, so its SIGKILL is not reported
  (setsid "$BERTH_BUILD/cmd/berthd" --config-file /nonexistent --data-root "$BT/data" \
    --exec-root "$BT/exec" -H "$DOCKER_HOST" -p "$BT/berthd.pid" \
    --cgroup-parent "/berth-test-$BT_ID" >>"$BT/berthd.log" 2>&1 </dev/null 3>&- &)
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
  rm -rf "$BT"
}

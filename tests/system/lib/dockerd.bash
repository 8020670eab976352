# A private Debian dockerd 20.10 (with its own containerd) for interop tests, and its full
# cleanup. dockerd_start sets DTMP, DID, DOCKER_HOST, DOCKER_CONFIG; DK_MISSING=1 when
# dockerd/containerd are not installed (setup() should then skip).

dockerd_start() {
  if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
    export DK_MISSING=1  # `skip` is not allowed in setup_file: setup() skips each test
    return 0
  fi
  export DTMP
  DTMP="$(mktemp -d /tmp/berth-dk.XXXXXX)"
  export DID="${DTMP##*.}"                 # unique suffix for namespaces and cgroups
  export CGPARENT="/berth-dk-$DID"         # absolute, like docker's default "/docker"
  export DOCKER_HOST="unix://$DTMP/docker.sock"
  export DOCKER_CONFIG="$DTMP/cli"         # keep the CLI away from ~/.docker
  export BERTH_RT="${BERTH_BUILD:?}/cmd/berth-runtime"
  [ -x "$BERTH_RT" ] || { echo "missing $BERTH_RT"; return 1; }
  mkdir -p "$DTMP/ctrd" "$DOCKER_CONFIG"
  # Cgroup dirs that exist already: cleanup may remove the new parents of our cgroups only.
  find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d > "$DTMP/cgroups.before" 2>/dev/null || true

  cat > "$DTMP/ctrd/config.toml" <<EOF
version = 2
root = "$DTMP/ctrd/root"
state = "$DTMP/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$DTMP/ctrd/ctrd.sock"
[ttrpc]
  address = "$DTMP/ctrd/ctrd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$DTMP/ctrd/opt"
EOF
  containerd --config "$DTMP/ctrd/config.toml" >"$DTMP/containerd.log" 2>&1 3>&- </dev/null &
  echo $! > "$DTMP/containerd.pid"
  wait_until 20 test -S "$DTMP/ctrd/ctrd.sock" || { tail -n 30 "$DTMP/containerd.log"; return 1; }

  # The trust key would otherwise be written to /etc/docker/key.json.
  echo "{\"deprecated-key-path\": \"$DTMP/key.json\"}" > "$DTMP/daemon.json"
  # No bridge and no iptables by default. Opt-in: a non-empty DK_NET_ARGS (split on blanks)
  # replaces these four flags, e.g. "--bip 10.N.250.1/24 --iptables=false ..." for docker0.
  local net_args=(--bridge=none --iptables=false --ip6tables=false --ip-masq=false)
  [ -z "${DK_NET_ARGS:-}" ] || read -r -a net_args <<<"$DK_NET_ARGS"
  dockerd --config-file "$DTMP/daemon.json" \
    --data-root "$DTMP/data" --exec-root "$DTMP/exec" --pidfile "$DTMP/docker.pid" \
    -H "$DOCKER_HOST" --containerd "$DTMP/ctrd/ctrd.sock" \
    --containerd-namespace "berth-test-$DID" --containerd-plugins-namespace "berth-test-plugins-$DID" \
    "${net_args[@]}" \
    --cgroup-parent "$CGPARENT" --shutdown-timeout 2 \
    --add-runtime "berth=$BERTH_RT" >"$DTMP/dockerd.log" 2>&1 3>&- </dev/null &
  echo $! > "$DTMP/dockerd.launch.pid"
  wait_until 30 docker version -f '{{.Server.Version}}' || { tail -n 30 "$DTMP/dockerd.log"; return 1; }
  docker info -f '{{json .Runtimes}}' | grep -q '"berth"'

}


# wait_until SECONDS CMD...: retries CMD every 0.1 s.
wait_until() {
  local n=$(($1 * 10)); shift
  while ! "$@" >/dev/null 2>&1; do
    n=$((n - 1))
    [ "$n" -gt 0 ] || return 1
    sleep 0.1
  done
}

dk() { timeout -k 5 60 docker "$@"; }

# True if PID is alive (not a zombie) and its command line mentions our dir (no pid reuse).
ours_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF "$DTMP"
}

# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS.
stop_pid() {
  local pid=$1 n=$(($2 * 10))
  [ -n "$pid" ] && ours_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while ours_alive "$pid" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
  if ours_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
}

# Our cgroups: the dockerd-wide parent and the relative parent one case uses.
our_cgroups() {
  find /sys/fs/cgroup -mindepth 2 -maxdepth 7 -type d -name "berth-dk*-$DID" -prune 2>/dev/null
}

dk_cleanup() {
  [ -n "${DTMP:-}" ] && [ -d "$DTMP" ] || return 0
  local ids pid d p
  if [ -S "$DTMP/docker.sock" ] && ids=$(timeout -k 5 20 docker ps -aq 2>/dev/null) && [ -n "$ids" ]; then
    timeout -k 5 60 docker rm -f $ids >/dev/null 2>&1 || true
  fi
  stop_pid "$(cat "$DTMP/dockerd.launch.pid" 2>/dev/null)" 20
  stop_pid "$(cat "$DTMP/containerd.pid" 2>/dev/null)" 10
  # Leftovers after a crash: container processes (thaw first: a frozen task ignores SIGKILL),
  # then shims and anything else started with our dir on its command line.
  for d in $(our_cgroups); do
    find "$d" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null || true
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  done
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" != "$$" ] && [ "$pid" != "$BASHPID" ] && ours_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  sleep 0.2
  # Mounts under our dir (overlay rootfs, shm, netns), deepest first.
  awk -v d="$DTMP" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  for d in $(our_cgroups); do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    # parents created for it (a runtime resolving a relative parent elsewhere), if now empty
    p=${d%/*}
    while [ "${p#/sys/fs/cgroup/*/}" != "$p" ] && ! grep -qxF "$p" "$DTMP/cgroups.before"; do
      rmdir "$p" 2>/dev/null || break
      p=${p%/*}
    done
  done
  if awk -v d="$DTMP" 'index($5, d) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
    echo "mounts remain under $DTMP; not deleting it"
    return 1
  fi
  rm -rf --one-file-system "$DTMP"
}


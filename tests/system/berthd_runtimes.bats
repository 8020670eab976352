#!/usr/bin/env bats
# Other OCI runtimes in place of the built-in one: --add-runtime, daemon.json's runtimes,
# --runtime per container, --default-runtime. runc (Debian's) drives containers through the
# shim exactly as berth-runtime does: stdio, exec, pause, update, OOM, stop, live restore.

bats_require_minimum_version 1.5.0

load lib/berthd

restart_berthd() {
  kill "$(cat "$BT/berthd.pid")"
  while [ -S "$BT/berth.sock" ]; do sleep 0.05; done
  berthd_launch
}

setup_file() {
  berthd_setup_file
  [ -z "${BD_MISSING:-}" ] || return 0
  command -v runc >/dev/null || return 0
  # crun by flag (when installed), runc registered by its name as dockerd does
  BT_DAEMON_ARGS="${BT_CRUN:+--add-runtime crun=$BT_CRUN}"
  export BT_DAEMON_ARGS BT_CRUN
  restart_berthd
}
BT_CRUN=$(command -v crun || true)

setup() {
  berthd_setup
  command -v runc >/dev/null || skip "runc is not installed"
}

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }

cgroup_memory_limit() {
  local pid=$1 line path
  while IFS= read -r line; do
    path=${line#*:*:}
    case "$line" in
      *:memory:*) cat "/sys/fs/cgroup/memory$path/memory.limit_in_bytes"; return ;;
    esac
  done <"/proc/$pid/cgroup"
  cat "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")/memory.max"
}

@test "runc: run, exec, stdin, pause, update, OOM, stop and logs through the shim" {
  run dk info --format '{{.DefaultRuntime}} {{(index .Runtimes "runc").Path}}'
  [ "$output" = "berth runc" ]
  run dk run --rm --network none --runtime runc busybox sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" -eq 3 ]
  [[ "$output" == *out* && "$output" == *err* ]]
  export -f dk
  run bash -c "seq 1 1000 | dk run -i --rm --network none --runtime runc busybox wc -l"
  [ "$output" = 1000 ]
  dk run -d --name rc1 --network none --runtime runc busybox sh -c 'echo started; sleep 1000'
  [ "$(dk inspect -f '{{.HostConfig.Runtime}} {{.State.Status}}' rc1)" = "runc running" ]
  # the container is runc's: its state is under berthd's root for runc
  [ -d "$BT/exec/runtimes/runc/$(dk inspect -f '{{.Id}}' rc1)" ]
  run dk exec rc1 sh -c 'echo ex; exit 4'
  [ "$status" -eq 4 ]
  [ "$output" = ex ]
  run bash -c "echo piped | dk exec -i rc1 cat"
  [ "$output" = piped ]
  dk pause rc1
  [ "$(dk inspect -f '{{.State.Status}}' rc1)" = paused ]
  dk unpause rc1
  pid=$(dk inspect -f '{{.State.Pid}}' rc1)
  dk update --memory 64m rc1
  [ "$(cgroup_memory_limit "$pid")" = 67108864 ]
  run dk stop -t 1 rc1
  [ "$status" -eq 0 ]
  [ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' rc1)" = "exited 137" ]
  run dk logs rc1
  [ "$output" = started ]
  dk rm rc1
  # the kernel's OOM killer, seen through the container's cgroup
  dk run -d --name rc2 --network none --runtime runc -m 8m busybox sh -c 'x=a; while true; do x=$x$x$x$x; done'
  dk wait rc2
  [ "$(dk inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' rc2)" = "true 137" ]
  dk rm rc2
  # nothing of runc's is left
  [ -z "$(ls "$BT/exec/runtimes/runc")" ]
}

@test "runc: a container survives berthd's SIGKILL; exec and stop work after" {
  dk run -d --name rc3 --network none --runtime runc busybox sleep 1000
  pid=$(dk inspect -f '{{.State.Pid}}' rc3)
  kill -9 "$(cat "$BT/berthd.pid")"
  while kill -0 "$(cat "$BT/berthd.pid")" 2>/dev/null; do sleep 0.05; done
  berthd_launch
  kill -0 "$pid"
  run dk exec rc3 echo still here
  [ "$output" = "still here" ]
  dk stop -t 1 rc3
  ! kill -0 "$pid" 2>/dev/null
  dk rm rc3
}

@test "runtimes: unknown names are refused; crun when configured; --default-runtime" {
  run dk run --rm --network none --runtime nope busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"unknown or invalid runtime name: nope"* ]]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","HostConfig":{"Runtime":"nope"}}' http://x/v1.45/containers/create
  [[ "$output" == *'unknown or invalid runtime name: nope'*' 400' ]]
  if [ -n "$BT_CRUN" ]; then
    run dk run --rm --network none --runtime crun busybox echo from crun
    # crun refuses hosts with cgroup controllers in both v1 and v2 (this test machine's
    # hybrid layout); then its own message must reach the client
    if [ "$status" -ne 0 ]; then
      [[ "$output" == *"OCI runtime create failed: cgroups in hybrid mode not supported"* ]]
    else
      [ "$output" = "from crun" ]
    fi
  fi
  # runc for every container that names none
  BT_DAEMON_ARGS="--default-runtime runc" restart_berthd
  run dk info --format '{{.DefaultRuntime}}'
  [ "$output" = runc ]
  dk run -d --name rc4 --network none busybox sleep 1000
  [ "$(dk inspect -f '{{.HostConfig.Runtime}}' rc4)" = runc ]
  [ -d "$BT/exec/runtimes/runc/$(dk inspect -f '{{.Id}}' rc4)" ]
  dk rm -f rc4
  # and one that is not configured stops berthd from starting, with the reason
  run timeout 10 "$BERTH_BUILD/cmd/berthd" --config-file /nonexistent --data-root "$BT/data2" \
    --exec-root "$BT/exec2" -H "unix://$BT/other.sock" --default-runtime nope
  [ "$status" -ne 0 ]
  [[ "$output" == *'default runtime "nope" is not configured'* ]]
}

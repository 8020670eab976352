#!/usr/bin/env bats
# berthd under stress through the docker CLI (or berth, BT_CLIENT=berth): live restore of a
# tty container, a logging one and a restart=always one; clients that go away in the middle
# of a stream; many clients starting, stopping and removing the same containers at once.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() { berthd_setup_file; }

setup() { berthd_setup; }

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }

api() { curl -s --unix-socket "$BT/berth.sock" "$@"; }

threads() { ls "/proc/$(cat "$BT/berthd.pid")/task" | wc -l; }

@test "live restore: tty, logging and restart=always containers survive SIGKILL; attach, exec, stop and the policy work after" {
  dk run -d -t --name lt --network none busybox sh
  dk run -d --name ll --network none busybox sh -c 'i=0; while true; do echo $i; i=$((i+1)); sleep 0.05; done'
  dk run -d --restart always --name la --network none busybox sleep 1000
  sleep 0.5
  kill -9 "$(cat "$BT/berthd.pid")"
  sleep 0.5
  berthd_launch
  for c in lt ll la; do
    [ "$(dk inspect -f '{{.State.Running}}' "$c")" = true ]
  done
  # logs without a gap across the restart
  sleep 0.3
  run sh -c "curl -s --unix-socket '$BT/berth.sock' 'http://x/v1.45/containers/ll/logs?stdout=1' | tr -d '\000-\010' | awk 'NR > 1 && \$1 != prev + 1 { bad = 1 } { prev = \$1 } END { exit bad }'"
  [ "$status" -eq 0 ]
  # exec into the tty container, attach to the logging one
  run dk exec lt sh -c 'echo in-tty; tty'
  [ "${lines[0]}" = in-tty ]
  (dk attach --no-stdin ll >"$BT/attach.out" 2>&1 3>&- &)
  sleep 1.5
  pkill -f "attach --no-stdin ll" || true
  [ "$(grep -cE '^[0-9]+$' "$BT/attach.out")" -ge 5 ]
  # the restart policy still applies: the container comes back after its process dies
  pid=$(dk inspect -f '{{.State.Pid}}' la)
  kill -9 "$pid"
  for _ in $(seq 50); do
    [ "$(dk inspect -f '{{.RestartCount}} {{.State.Running}}' la)" = "1 true" ] && break
    sleep 0.1
  done
  [ "$(dk inspect -f '{{.RestartCount}} {{.State.Running}}' la)" = "1 true" ]
  [ "$(dk inspect -f '{{.State.Pid}}' la)" != "$pid" ]
  dk stop -t 1 lt ll la
  for c in lt ll la; do
    [ "$(dk inspect -f '{{.State.Running}}' "$c")" = false ]
  done
  dk rm lt ll la
}

@test "clients that disconnect mid-stream: the daemon keeps serving and its threads come back" {
  dk run -d --name ms --network none busybox sh -c 'while true; do echo tick; sleep 0.1; done'
  sleep 0.3
  before=$(threads)
  # each client goes away while its stream is open
  api -m 1 "http://x/v1.45/containers/ms/logs?follow=1&stdout=1" >/dev/null || true
  api -m 1 "http://x/v1.45/events" >/dev/null || true
  api -m 1 "http://x/v1.45/containers/ms/stats" >/dev/null || true
  api -m 1 -X POST "http://x/v1.45/containers/ms/attach?stream=1&stdout=1" >/dev/null || true
  api -m 1 -X POST "http://x/v1.45/containers/ms/wait" >/dev/null || true
  api "http://x/v1.45/containers/ms/export" | head -c 1000 >/dev/null || true
  # a request cut off in the middle of its body (python: no netcat here)
  /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /v1.45/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"Image\":")
s.close()' "$BT/berth.sock"
  run dk version -f '{{.Server.APIVersion}}'
  [ "$output" = 1.45 ]
  for _ in $(seq 50); do
    [ "$(threads)" -le "$before" ] && break
    sleep 0.1
  done
  [ "$(threads)" -le "$before" ]
  dk rm -f ms
}

@test "many clients start, stop and remove the same containers at once: conflicts, never a crash or a corrupt record" {
  for i in 1 2 3 4 5; do dk create --name "cc$i" --network none busybox sleep 1000 >/dev/null; done
  pids=()
  for i in 1 2 3 4 5; do
    for op in start stop restart start rm; do
      (
        set +e  # bats' errexit would end this loop at the first (expected) conflict
        for _ in 1 2 3; do
          case $op in
            start) dk start "cc$i" ;;
            stop) dk stop -t 0 "cc$i" ;;
            restart) dk restart -t 0 "cc$i" ;;
            rm) sleep 0.5; dk rm -f "cc$i" ;;
          esac
        done >>"$BT/conc.out" 2>&1
        exit 0
      ) 3>&- &
      pids+=($!)
    done
  done
  # these jobs only: a bare `wait` would also wait for bats' own timeout watcher
  wait "${pids[@]}"
  # the daemon serves, and every record is whole: gone, or in a state that adds up
  run dk version -f '{{.Server.APIVersion}}'
  [ "$output" = 1.45 ]
  for i in 1 2 3 4 5; do
    if out=$(dk inspect -f '{{.State.Status}} {{.State.Running}}' "cc$i" 2>&1); then
      [[ "$out" == "running true" || "$out" == "exited false" || "$out" == "created false" ]]
    else
      [[ "$out" == *"No such object"* || "$out" == *"No such container"* ]]
    fi
  done
  # the failures were Docker's conflicts and not-founds, nothing else
  ! grep -iE 'internal|std::|bad_alloc|500|panic|EOF' "$BT/conc.out"
  ids=$(dk ps -aq)
  [ -z "$ids" ] || dk rm -f $ids
  run pgrep -f "$BT/exec/containers"
  [ -z "$output" ]
  # layers are unmounted with their removal, just after the answer
  for _ in $(seq 50); do
    grep -q " $BT/data/overlay2/.*/merged" /proc/self/mountinfo || break
    sleep 0.1
  done
  run grep -c " $BT/data/overlay2/.*/merged" /proc/self/mountinfo
  [ "$output" = 0 ]
}

@test "run --rm: its layer is mounted volatile; one that exits while berthd is down is removed when it comes back" {
  dk run -d --rm --name rmv --network none busybox sh -c 'sleep 2'
  dk run -d --name keep --network none busybox sleep 1000
  local rmv keep
  rmv="/$(dk inspect -f '{{.Id}}' rmv)/merged"
  keep="/$(dk inspect -f '{{.Id}}' keep)/merged"
  # a disposable layer skips overlay's syncs; a kept one does not
  grep -F "$rmv " /proc/self/mountinfo | grep -q volatile
  grep -F "$keep " /proc/self/mountinfo
  ! grep -F "$keep " /proc/self/mountinfo | grep -q volatile
  kill -9 "$(cat "$BT/berthd.pid")"
  sleep 3  # rmv exits meanwhile
  berthd_launch
  for _ in $(seq 50); do
    [ -z "$(dk ps -aq --filter name=rmv)" ] && break
    sleep 0.1
  done
  [ -z "$(dk ps -aq --filter name=rmv)" ]
  for _ in $(seq 50); do grep -qF "$rmv " /proc/self/mountinfo || break; sleep 0.1; done
  ! grep -qF "$rmv " /proc/self/mountinfo
  [ "$(dk inspect -f '{{.State.Running}}' keep)" = true ]
  dk rm -f keep
}

# Traces berthd's syncs into FILE while the rest of the arguments run; waits until the tracer
# is attached, and until it has written everything.
syncs_during() {  # FILE COMMAND...
  local out=$1 pid tracer
  shift
  pid=$(cat "$BT/berthd.pid")
  strace -f -qq -e trace=fsync,fdatasync,sync_file_range,syncfs -p "$pid" -o "$out" 3>&- &
  tracer=$!
  for _ in $(seq 100); do
    [ "$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status")" != 0 ] && break
    sleep 0.05
  done
  sleep 0.2  # its threads too
  "$@"
  sleep 0.2
  kill "$tracer"
  wait "$tracer" || true
}

@test "run --rm: its create syncs nothing; a record lost in a crash takes its container and layer away at start, a kept one's does not" {
  # earlier tests' removals (background deletions, then a commit) are let finish, and the
  # WAL is checkpointed now, so that no checkpoint falls into the traced create (the first
  # write after one restarts the WAL, with a sync: that is the untraced create "warm")
  for _ in $(seq 100); do
    [ -z "$(find "$BT/data" -maxdepth 2 -name '*removing*' -print -quit)" ] && break
    sleep 0.1
  done
  sleep 0.5
  sqlite3 "$BT/data/image/overlay2/metadata.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  dk create --rm --name warm --network none busybox true
  syncs_during "$BT/sync.rm" dk create --rm --name lost --network none busybox true
  syncs_during "$BT/sync.kept" dk create --name kept --network none busybox true
  run grep -cE 'fsync|fdatasync|sync_file_range|syncfs' "$BT/sync.rm"
  [ "$output" = 0 ]
  run grep -cE 'fsync|fdatasync' "$BT/sync.kept"
  [ "$output" -ge 2 ]
  # a crash that lost both records (a kept container's later saves are not synced either):
  # berthd removes what is left of the --rm one, and keeps the other's files
  local lost kept
  lost=$(dk inspect -f '{{.Id}}' lost)
  kept=$(dk inspect -f '{{.Id}}' kept)
  [ -d "$BT/data/overlay2/$lost" ]
  kill -9 "$(cat "$BT/berthd.pid")"
  : >"$BT/data/containers/$lost/config.v2.json"
  cp "$BT/data/containers/$kept/config.v2.json" "$BT/kept.json"
  : >"$BT/data/containers/$kept/config.v2.json"
  berthd_launch
  [ -z "$(dk ps -aq --filter name=lost)" ]
  [ ! -e "$BT/data/containers/$lost" ]
  [ ! -e "$BT/data/overlay2/$lost" ]
  [ -d "$BT/data/containers/$kept" ]
  [ -d "$BT/data/overlay2/$kept" ]
  # its record put back (as a repair would): the container is whole again
  kill "$(cat "$BT/berthd.pid")"
  while [ -S "$BT/berth.sock" ]; do sleep 0.05; done
  cp "$BT/kept.json" "$BT/data/containers/$kept/config.v2.json"
  berthd_launch
  [ "$(dk inspect -f '{{.Id}}' kept)" = "$kept" ]
  dk rm kept  # ("warm", a --rm container never started, went at the restart)
}

@test "run --rm: no mount, no layer and no shim dir of it are left soon after it returns" {
  local before after shims_before
  before=$(ls -A "$BT/data/overlay2" | sort)
  shims_before=$(ls -A "$BT/exec/containers" | sort)
  run dk run --rm --name gone --network none busybox sh -c 'echo x > /f; echo done'
  [ "$output" = done ]
  for _ in $(seq 50); do
    after=$(ls -A "$BT/data/overlay2" | sort)
    [ "$after" = "$before" ] && ! grep -q " $BT/data/overlay2/.*/merged" /proc/self/mountinfo && break
    sleep 0.1
  done
  [ "$after" = "$before" ]
  run grep -c " $BT/data/overlay2/.*/merged" /proc/self/mountinfo
  [ "$output" = 0 ]
  [ -z "$(dk ps -aq --filter name=gone)" ]
  # the shim's dir goes once the shim has left (its cleanup runs after the exit is told)
  for _ in $(seq 50); do
    [ "$(ls -A "$BT/exec/containers" | sort)" = "$shims_before" ] && break
    sleep 0.1
  done
  [ "$(ls -A "$BT/exec/containers" | sort)" = "$shims_before" ]
}

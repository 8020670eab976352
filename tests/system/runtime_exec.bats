#!/usr/bin/env bats
# berth-runtime's exec, logging and fd-passing flags.

load lib/runtime_helpers

setup_file() { runtime_setup_file; }
setup() { runtime_setup; }
teardown() { runtime_teardown; }

@test "exec: --process file, -u, --cap, --no-new-privs, -e, --cwd" {
  rt_start_sleeper
  cat > "$TMP/process.json" <<'J'
{"args":["sh","-c","id -u; id -g; pwd; echo $A"],"env":["A=from-file","PATH=/bin"],"cwd":"/tmp",
 "user":{"uid":1000,"gid":1000}}
J
  run rt exec --process "$TMP/process.json" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1000" ]
  [ "${lines[1]}" = "1000" ]
  [ "${lines[2]}" = "/tmp" ]
  [ "${lines[3]}" = "from-file" ]
  run rt exec -u 1000:1000 --cap CAP_KILL --no-new-privs "$ID" sh -c 'berth-probe status CapBnd; berth-probe status NoNewPrivs'
  echo "$output"
  [ "$status" -eq 0 ]
  # default bounding set (AUDIT_WRITE, KILL, NET_BIND_SERVICE) plus KILL again
  [ "${lines[0]}" = "0000000020000420" ]
  [ "${lines[1]}" = "1" ]
  run rt exec "$ID" /no/such/cmd
  [ "$status" -ne 0 ]
  [[ "$output" == *"/no/such/cmd"* ]]
}

@test "exec: joins the container's namespaces and cgroup" {
  rt_start_sleeper
  pid=$(rt state "$ID" | jq .pid)
  run rt exec "$ID" berth-probe ns
  [ "$status" -eq 0 ]
  for ns in pid net ipc uts mnt; do
    [ "$(echo "$output" | awk -v n=$ns '$1==n {print $2}')" = "$(readlink /proc/$pid/ns/$ns)" ]
  done
  run rt exec "$ID" cat /proc/self/cgroup
  [[ "$output" == *"memory:/"* ]]
  rt exec -d --pid-file "$TMP/p" "$ID" sleep 100
  grep -qx "$(cat "$TMP/p")" "/sys/fs/cgroup/memory/berth/$ID/cgroup.procs"
}

@test "exec: -t with --console-socket gives the process a terminal" {
  rt_start_sleeper
  python3 "$BERTH_SRC/tests/helper/console_recv.py" "$TMP/c.sock" "$TMP/out" &
  recv=$!
  for _ in $(seq 50); do [ -S "$TMP/c.sock" ] && break; sleep 0.1; done
  rt exec -t --console-socket "$TMP/c.sock" "$ID" sh -c 'tty; echo exec-done'
  wait $recv
  grep -q "/dev/pts/" "$TMP/out"
  grep -q "exec-done" "$TMP/out"
}

@test "--log with --log-format json records errors for the caller" {
  run "$RT" --root "$STATE" --log "$TMP/log.json" --log-format json state nosuch
  [ "$status" -eq 1 ]
  [ "$(jq -r .level "$TMP/log.json")" = "error" ]
  [ "$(jq -r .msg "$TMP/log.json")" = "container does not exist" ]
  run "$RT" --root "$STATE" --log "$TMP/log.txt" state nosuch
  grep -q 'level=error msg="container does not exist"' "$TMP/log.txt"
}

@test "--preserve-fds passes extra descriptors to the container" {
  args sh -c 'cat <&3; ls /proc/self/fd | wc -l'
  echo "through fd 3" > "$TMP/in"
  run bash -c "exec 3<'$TMP/in' 4<'$TMP/in'; '$RT' --root '$STATE' run --preserve-fds 1 -b '$B' '$ID'"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "through fd 3" ]
  # 0, 1, 2, 3 and the fd ls opens: fd 4 was not passed
  [ "${lines[1]}" = "5" ]
}

@test "create without a console socket for a terminal is refused" {
  cfg '.process.terminal = true'
  run rt create -b "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"console socket"* ]]
  [ ! -d "$STATE/$ID" ]
}

@test "run in the foreground with a terminal and no console socket proxies the pty" {
  cfg '.process.terminal = true'
  args sh -c 'tty; exit 5'
  SHELL=/bin/bash run script -qec "'$RT' --root '$STATE' run -b '$B' '$ID'; echo \"rc=\$?\"" /dev/null </dev/null
  output=$(echo "$output" | tr -d '\r')
  echo "$output"
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"rc=5"* ]]
}

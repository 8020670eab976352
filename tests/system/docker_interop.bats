#!/usr/bin/env bats
# Debian's dockerd 20.10 driving berth-runtime in place of runc: a private containerd + dockerd
# register berth-runtime as the runtime "berth", and every case runs the same `docker` command
# with --runtime berth and --runtime runc and expects the same exit code and output.
#
# Isolation: everything lives in one mktemp dir (short: unix socket paths are limited to 108
# bytes) with its own containerd (root, state, sockets, opt dir), containerd namespaces, docker
# data/exec roots, trust key and cgroup parent, so parallel tests and a system docker are not
# touched. teardown_file removes containers, stops dockerd and containerd, kills any leftover
# shim or container process, unmounts and deletes the dir and removes our cgroups.

bats_require_minimum_version 1.5.0

IMAGE=berth-busybox

load lib/dockerd

setup_file() {
  dockerd_start || return 1
  [ -z "${DK_MISSING:-}" ] || return 0
  local probe="${BERTH_BUILD}/tests/berth-probe"
  [ -x "$probe" ] || probe=
  bash "${BERTH_SRC:?}/scripts/mkrootfs.sh" "$DTMP/rootfs" $probe
  tar -C "$DTMP/rootfs" -c . | docker import - "$IMAGE" >/dev/null
}

teardown_file() {
  [ -z "${DK_MISSING:-}" ] || return 0
  dk_cleanup
}

setup() {
  [ -z "${DK_MISSING:-}" ] || skip "dockerd/containerd (docker.io) is not installed"
}

teardown() {
  [ -z "${DK_MISSING:-}" ] || return 0
  local ids
  ids=$(timeout -k 5 30 docker ps -aq) || true
  [ -z "$ids" ] || timeout -k 5 60 docker rm -f $ids >/dev/null 2>&1 || true
  if [ -z "${BATS_TEST_COMPLETED:-}" ]; then  # failed: show what the daemons said
    echo "--- dockerd.log (tail)"; tail -n 25 "$DTMP/dockerd.log"
    echo "--- containerd.log (tail)"; tail -n 10 "$DTMP/containerd.log"
  fi
}

# ---- helpers ----------------------------------------------------------------------------------

# drun RUNTIME DOCKER-RUN-ARGS...: `docker run --rm --network none --runtime RUNTIME ...`;
# sets status, output (stdout) and stderr.
drun() {
  local rt=$1; shift
  run --separate-stderr timeout -k 5 60 docker run --rm --network none --runtime "$rt" "$@"
}

# both FN ARGS...: `FN runc ARGS...`, then `FN berth ARGS...`; FN sets status/output/stderr
# (drun, dexec, ...). runc's results are kept in r_status/r_output/r_stderr, berth's stay in
# status/output/stderr; both are printed (bats shows them if the test fails).
both() {
  "$1" runc "${@:2}"
  r_status=$status r_output=$output r_stderr=${stderr:-}
  "$1" berth "${@:2}"
  echo "runc:  status=$r_status"; echo "$r_output" | sed 's/^/runc:  out| /'
  echo "$r_stderr" | sed 's/^/runc:  err| /'
  echo "berth: status=$status"; echo "$output" | sed 's/^/berth: out| /'
  echo "${stderr:-}" | sed 's/^/berth: err| /'
}

# same FIELD...: berth agrees with runc on each of status, output, stderr.
same() {
  local f bad=0
  for f in "$@"; do
    local b r
    case $f in
      status) b=$status r=$r_status ;;
      output) b=$output r=$r_output ;;
      stderr) b=${stderr:-} r=$r_stderr ;;
    esac
    if [ "$b" != "$r" ]; then echo "MISMATCH in $f (berth vs runc)"; bad=1; fi
  done
  return $bad
}

# ttyrun RUNTIME DOCKER-ARGS...: `docker run -it` under a pty (script(1)); output without \r and
# without the "^@" echoed when script sees EOF on its stdin (/dev/null).
ttyrun() {
  local rt=$1; shift
  local cmd
  printf -v cmd '%q ' timeout -k 5 60 docker run --rm -it --network none --runtime "$rt" "$@"
  SHELL=/bin/bash run script -qec "$cmd" /dev/null </dev/null
  output=$(printf '%s' "$output" | tr -d '\r\000' | sed 's/\^@//g')
  stderr=
}

# ttyexec RUNTIME ARGS...: `docker exec -it bt<N>-RUNTIME ARGS...` under a pty.
ttyexec() {
  local rt=$1; shift
  local cmd
  printf -v cmd '%q ' timeout -k 5 60 docker exec -it "$(cname "$rt")" "$@"
  SHELL=/bin/bash run script -qec "$cmd" /dev/null </dev/null
  output=$(printf '%s' "$output" | tr -d '\r\000' | sed 's/\^@//g')
  stderr=
}

cname() { echo "bt${BATS_TEST_NUMBER}-$1"; }

# dstart RUNTIME DOCKER-RUN-ARGS...: a detached container named bt<N>-RUNTIME.
dstart() {
  local rt=$1; shift
  dk run -d --name "$(cname "$rt")" --network none --runtime "$rt" "$@" >/dev/null
}

# dexec RUNTIME [EXEC-OPTIONS...] -- CMD...: `docker exec EXEC-OPTIONS bt<N>-RUNTIME CMD...`;
# sets status, output and stderr.
dexec() {
  local rt=$1; shift
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  run --separate-stderr timeout -k 5 60 docker exec "${opts[@]}" "$(cname "$rt")" "$@"
}

wait_log() {
  wait_until 10 sh -c 'docker logs "$1" 2>&1 | grep -qF -- "$2"' _ "$1" "$2" || {
    echo "timed out waiting for '$2' in the logs of $1:"; docker logs "$1" 2>&1; return 1; }
}

state_of() { dk inspect -f '{{.State.Status}}' "$1"; }

# Keeps a shell busy as PID 1; cases put their trap and an "echo ready" before it.
LOOP='while :; do sleep 0.1; done'

# ---- one-shot runs ----------------------------------------------------------------------------

@test "run: stdout, stderr and exit code" {
  both drun "$IMAGE" sh -c 'echo hello; echo oops >&2; exit 3'
  same status output stderr
  [ "$status" -eq 3 ]
  [ "$output" = hello ]
  [ "$stderr" = oops ]
}

@test "run: hostname, env, workdir, user from -u" {
  both drun --hostname box -e FOO=bar -w /tmp -u 1000:1000 "$IMAGE" \
    sh -c 'hostname; echo "$FOO"; pwd; id -u; id -g; echo "$HOME"'
  same status output stderr
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'box\nbar\n/tmp\n1000\n1000\n/home/user')" ]
}

@test "run: missing and non-executable commands give docker's 127 and 126" {
  # docker's exit code is echoed: bats warns about a `run` that ends in 127
  exit_of() {
    local rt=$1; shift
    run --separate-stderr sh -c 'timeout -k 5 60 docker run --rm --network none --runtime "$0" "$@"; echo "exit=$?"' "$rt" "$@"
  }
  both exit_of "$IMAGE" nonexistent
  same status output
  [ "$output" = exit=127 ]
  both exit_of "$IMAGE" /nonexistent
  same status output
  [ "$output" = exit=127 ]
  both exit_of "$IMAGE" /etc/passwd
  same status output
  [ "$output" = exit=126 ]
}

@test "run: -w into a 0700 root-owned volume as -u 1000 (runc enters it while still root)" {
  mkdir -p "$DTMP/priv"
  chmod 700 "$DTMP/priv"
  both drun -u 1000:1000 -v "$DTMP/priv:/priv" -w /priv "$IMAGE" pwd
  same status output
  [ "$status" -eq 0 ]
  [ "$output" = /priv ]
}

@test "run: --ulimit, --oom-score-adj, --shm-size, --device, --sysctl" {
  both drun --ulimit nofile=100:200 --oom-score-adj 100 --shm-size 8m --device /dev/null:/dev/mynull \
    --sysctl net.ipv4.ip_forward=1 --sysctl kernel.msgmax=4096 "$IMAGE" sh -c '
      ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; df -k /dev/shm | awk "NR==2 {print \$2}"
      stat -c "%F %t:%T" /dev/mynull; echo x > /dev/mynull && echo written
      cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
  same status output stderr
  [ "$output" = "$(printf '100\n200\n100\n8192\ncharacter special file 1:3\nwritten\n1\n4096')" ]
}

@test "run: a capability outside the host's bounding set fails at create like runc" {
  local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
    LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
    SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
    SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
    MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ)
  local bnd missing= i
  bnd=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
  for i in "${!names[@]}"; do
    if (( (bnd >> i & 1) == 0 )); then missing=${names[$i]}; break; fi
  done
  [ -n "$missing" ] || skip "every capability is in this host's bounding set"
  both drun --cap-add "$missing" "$IMAGE" echo started
  same status output
  [ "$status" -eq 125 ]  # docker: the runtime's create failed
  [ -z "$output" ]
}

@test "run -i: stdin is piped through" {
  pipe_run() { local rt=$1; shift; run --separate-stderr sh -c "printf 'a\nb\n' | timeout -k 5 60 docker run --rm -i --network none --runtime $rt $IMAGE sh -c 'cat; echo done'"; }
  both pipe_run
  same status output stderr
  [ "$output" = "$(printf 'a\nb\ndone')" ]
}

@test "run -it: a tty at /dev/pts/0, output and exit code" {
  both ttyrun "$IMAGE" sh -c 'tty; echo hi; exit 4'
  same status output
  [ "$status" -eq 4 ]
  [ "$output" = "$(printf '/dev/pts/0\nhi')" ]
}

@test "run -t without -i: tty and exit code" {
  both drun -t "$IMAGE" sh -c 'tty; exit 2'
  output=${output//$'\r'/}; r_output=${r_output//$'\r'/}
  same status output
  [ "$status" -eq 2 ]
  [ "$output" = /dev/pts/0 ]
}

@test "mounts: -v binds (rw, ro), --tmpfs, and docker's own mounts" {
  mkdir -p "$DTMP/vol"
  echo v > "$DTMP/vol/f"
  # docker orders volume mounts from a map: compare the mount table sorted.
  both drun -v "$DTMP/vol:/vol" -v "$DTMP/vol:/rovol:ro" --tmpfs /scratch:size=1m,mode=1770 "$IMAGE" \
    sh -c 'cat /vol/f; touch /vol/new; rm /vol/new; touch /rovol/x 2>&1; stat -c "%a %s" /scratch;
           grep -E " /(vol|rovol|scratch|proc|sys|dev|dev/pts|dev/shm|dev/mqueue|etc/hosts|etc/hostname|etc/resolv.conf) " /proc/self/mounts | sort'
  same status output stderr
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = v ]
  [[ "${lines[1]}" == *"Read-only file system"* ]]
  [ "${lines[2]}" = "1770 40" ]
}

@test "namespaces: --pid/--network container:X join X's namespaces; --pid/--uts host" {
  ns_of() {
    local rt=$1 target pid
    target=$(cname "$rt")
    pid=$(dk inspect -f '{{.State.Pid}}' "$target")
    run --separate-stderr timeout -k 5 60 docker run --rm --runtime "$rt" --pid "container:$target" \
      --network "container:$target" "$IMAGE" sh -c '
        for n in pid net ipc uts; do echo "$n $(readlink /proc/self/ns/$n)"; done
        hostname; ps -o comm > /tmp/ps; sort /tmp/ps'
    [ "$status" -eq 0 ] || return 0
    # The namespace ids differ between containers: reduce them to same/other as X's.
    local n line out=
    while read -r n line; do
      case $n in
        pid|net|ipc|uts)
          if [ "$line" = "$(readlink "/proc/$pid/ns/$n")" ]; then out+="$n shared"$'\n'
          else out+="$n own"$'\n'; fi ;;
        *) out+="$n${line:+ $line}"$'\n' ;;
      esac
    done <<< "$output"
    output=${out%$'\n'}
  }
  for rt in runc berth; do dstart "$rt" --hostname nsbox "$IMAGE" sleep 1000; done
  both ns_of
  same status output stderr
  # docker gives --network container:X the hostname of X, not its uts namespace
  [ "$output" = "$(printf 'pid shared\nnet shared\nipc own\nuts own\nnsbox\nCOMMAND\nps\nsh\nsleep')" ]

  both drun --pid host --uts host "$IMAGE" sh -c '[ "$(readlink /proc/self/ns/pid)" = "$1" ] && echo host-pid; hostname' _ "$(readlink /proc/self/ns/pid)"
  same status output stderr
  [ "$output" = "$(printf 'host-pid\n%s' "$(hostname)")" ]
}

# ---- detached containers: exec, signals, stop, pause ------------------------------------------

@test "exec: output, exit code, user/workdir/env, missing command" {
  for rt in runc berth; do dstart "$rt" "$IMAGE" sleep 1000; done
  both dexec -- sh -c 'echo exec-out; echo exec-err >&2; exit 5'
  same status output stderr
  [ "$status" -eq 5 ]
  [ "$output" = exec-out ]
  [ "$stderr" = exec-err ]
  both dexec -u 1000:1000 -w /tmp -e FOO=bar -- sh -c 'id -u; id -g; pwd; echo $FOO'
  same status output stderr
  [ "$output" = "$(printf '1000\n1000\n/tmp\nbar')" ]
  both dexec -- nonexistent
  same status
  [ "$status" -eq 126 ]  # docker exec reports any runtime exec failure as 126
  both dexec -- /etc/passwd
  same status
  [ "$status" -eq 126 ]
  # the container survived all that
  [ "$(state_of "$(cname berth)")" = running ]
}

@test "exec -t and -it: a tty in a container without one" {
  for rt in runc berth; do dstart "$rt" "$IMAGE" sleep 1000; done
  both dexec -t -- sh -c 'tty; exit 6'
  output=${output//$'\r'/}; r_output=${r_output//$'\r'/}
  same status output
  [ "$status" -eq 6 ]
  [ "$output" = /dev/pts/0 ]
  # The pty's index depends on whether the shim has closed the previous exec's pty yet.
  both ttyexec sh -c 'tty; echo x; exit 7'
  same status
  [ "$status" -eq 7 ]
  [[ "$output" =~ ^/dev/pts/[0-9]+$'\n'x$ ]]
  [[ "$r_output" =~ ^/dev/pts/[0-9]+$'\n'x$ ]]
}

@test "kill -s USR1 reaches the trap; kill stops the container with 137" {
  for rt in runc berth; do
    dstart "$rt" "$IMAGE" sh -c "trap 'echo got usr1' USR1; echo ready; $LOOP"
    wait_log "$(cname "$rt")" ready
    dk kill -s USR1 "$(cname "$rt")" >/dev/null
    wait_log "$(cname "$rt")" "got usr1"
    [ "$(state_of "$(cname "$rt")")" = running ]
    dk kill "$(cname "$rt")" >/dev/null
    wait_until 10 sh -c '[ "$(docker inspect -f {{.State.Status}} "$1")" = exited ]' _ "$(cname "$rt")"
  done
  logs() { run --separate-stderr dk logs "$(cname "$1")"; }
  both logs
  same status output
  [ "$output" = "$(printf 'ready\ngot usr1')" ]
  for rt in runc berth; do [ "$(dk inspect -f '{{.State.ExitCode}}' "$(cname "$rt")")" = 137 ]; done
}

@test "stop: SIGTERM handled quickly; ignored SIGTERM ends in SIGKILL after -t; restart" {
  for rt in runc berth; do
    name=$(cname "$rt")
    dstart "$rt" "$IMAGE" sh -c "trap 'echo term; exit 0' TERM; echo ready; $LOOP"
    wait_log "$name" ready
    t0=$(date +%s%N)
    dk stop -t 10 "$name" >/dev/null
    ms=$((($(date +%s%N) - t0) / 1000000))
    echo "$rt: stop with a TERM trap took ${ms} ms"
    [ "$ms" -lt 5000 ]
    [ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$name")" = "exited 0" ]
    [ "$(dk logs "$name" 2>&1)" = "$(printf 'ready\nterm')" ]
    # docker start runs a new task in the same container
    dk start "$name" >/dev/null
    [ "$(state_of "$name")" = running ]
    dk rm -f "$name" >/dev/null

    # sh as PID 1 without a trap ignores SIGTERM
    dstart "$rt" "$IMAGE" sh -c "echo ready; $LOOP"
    wait_log "$name" ready
    t0=$(date +%s%N)
    dk stop -t 1 "$name" >/dev/null
    ms=$((($(date +%s%N) - t0) / 1000000))
    echo "$rt: stop -t 1 with TERM ignored took ${ms} ms"
    [ "$ms" -ge 900 ] && [ "$ms" -lt 6000 ]
    [ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$name")" = "exited 137" ]
    dk rm -f "$name" >/dev/null
  done
}

@test "pause/unpause: paused state, frozen cgroup, exec refused, then running again" {
  for rt in runc berth; do
    name=$(cname "$rt")
    dstart "$rt" "$IMAGE" sh -c "echo ready; $LOOP"
    wait_log "$name" ready
    id=$(dk inspect -f '{{.Id}}' "$name")
    freezer="/sys/fs/cgroup/freezer$CGPARENT/$id/freezer.state"
    [ -f "$freezer" ]
    [ "$(cat "$freezer")" = THAWED ]
    dk pause "$name" >/dev/null
    [ "$(state_of "$name")" = paused ]
    [ "$(cat "$freezer")" = FROZEN ]
    run dk exec "$name" true
    [ "$status" -ne 0 ]
    [[ "$output" == *"is paused"* ]]
    dk unpause "$name" >/dev/null
    [ "$(state_of "$name")" = running ]
    [ "$(cat "$freezer")" = THAWED ]
    run dk exec "$name" echo alive
    [ "$status" -eq 0 ]
    [ "$output" = alive ]
  done
}

@test "top: the runtime's ps lists the container's processes" {
  for rt in runc berth; do
    dstart "$rt" "$IMAGE" sleep 1000
    dk exec -d "$(cname "$rt")" sleep 999
  done
  top() { run --separate-stderr sh -c "timeout -k 5 60 docker top $(cname "$1") | awk 'NR > 1 {print \$8, \$9}' | sort"; }
  wait_until 10 sh -c "docker top $(cname berth) | grep -q 'sleep 999'"
  wait_until 10 sh -c "docker top $(cname runc) | grep -q 'sleep 999'"
  both top
  same status output
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'sleep 1000\nsleep 999')" ]
}

# ---- resources and security -------------------------------------------------------------------

@test "cgroups: --memory 64m --pids-limit 20 --cpus 0.5 --cpu-shares --cpuset-cpus, devices" {
  both drun --memory 64m --pids-limit 20 --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 "$IMAGE" sh -c '
    cd /sys/fs/cgroup
    cat memory/memory.limit_in_bytes pids/pids.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us \
        cpu/cpu.shares cpuset/cpuset.cpus
    sort devices/devices.list'
  same status output stderr
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | head -6 | tr '\n' ' ')" = "67108864 20 50000 100000 512 0 " ]
  # docker's default device rules: no blanket "a *:* rwm"
  [ -z "$(echo "$output" | grep '^a ')" ]
}

@test "cgroups: the container's cgroup is --cgroup-parent/<id> in every hierarchy" {
  cg() {
    run --separate-stderr sh -c "timeout -k 5 60 docker run --rm --network none --runtime $1 $2 $IMAGE cat /proc/self/cgroup | sed -E 's/[0-9a-f]{64}/ID/' | sort"
  }
  both cg ""
  same status output stderr
  [ "$status" -eq 0 ]
  echo "$output" | grep -q "^[0-9]*:memory:.*$CGPARENT/ID\$"
  echo "$output" | grep -q "^[0-9]*:pids:.*$CGPARENT/ID\$"
  # A relative parent is relative to the caller's (the shim's) cgroup in each hierarchy, which
  # need not be the same path in all of them.
  both cg "--cgroup-parent berth-dkrel-$DID"
  same status output stderr
  [ "$status" -eq 0 ]
}

@test "cgroups: --cgroupns private puts the container at the root of its cgroup namespace" {
  both drun --cgroupns private "$IMAGE" cat /proc/self/cgroup
  same status output stderr
  [ "$status" -eq 0 ]
  [ -z "$(echo "$output" | grep -v ':/$')" ]
}

@test "cgroups: out of memory: the kernel kills the container, docker sees OOMKilled" {
  for rt in runc berth; do
    dk run --name "$(cname "$rt")" --network none --runtime "$rt" --memory 16m --memory-swap 16m \
      "$IMAGE" sh -c 'x=$(head -c 64000000 /dev/zero | tr "\0" a); echo survived' || true
  done
  oom() { run dk inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' "$(cname "$1")"; }
  both oom
  same status output
  [ "$output" = "true 137" ]
}

@test "update: the runtime's update changes memory, pids and cpu limits" {
  for rt in runc berth; do dstart "$rt" --memory 64m "$IMAGE" sleep 1000; done
  for rt in runc berth; do
    dk update --memory 128m --memory-swap 256m --pids-limit 30 --cpus 0.25 "$(cname "$rt")" >/dev/null
  done
  both dexec -- sh -c 'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes pids/pids.max cpu/cpu.cfs_quota_us'
  same status output stderr
  [ "$output" = "$(printf '134217728\n30\n25000')" ]
}

@test "--read-only: the root is read-only, tmpfs mounts are not" {
  both drun --read-only "$IMAGE" sh -c 'touch /x; echo root=$?; touch /dev/shm/x; echo shm=$?'
  same status output stderr
  [ "$output" = "$(printf 'root=1\nshm=0')" ]
  [[ "$stderr" == *"Read-only file system"* ]]
}

@test "capabilities: default set, --cap-drop ALL, --cap-add" {
  caps='grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status'
  both drun "$IMAGE" sh -c "$caps"
  same status output stderr
  [[ "$output" == *"CapEff:	00000000a80425fb"* ]]
  both drun --cap-drop ALL "$IMAGE" sh -c "$caps"
  same status output stderr
  [[ "$output" == *"CapEff:	0000000000000000"* ]]
  [[ "$output" == *"CapBnd:	0000000000000000"* ]]
  both drun --cap-drop ALL --cap-add NET_ADMIN "$IMAGE" sh -c "$caps"
  same status output stderr
  [[ "$output" == *"CapEff:	0000000000001000"* ]]
}

@test "--user 1000:1000: ids, no effective capabilities" {
  both drun --user 1000:1000 "$IMAGE" sh -c 'id -u; id -g; grep -E "^Cap(Prm|Eff):" /proc/self/status'
  same status output stderr
  [ "$(echo "$output" | head -2 | tr '\n' ' ')" = "1000 1000 " ]
  [[ "$output" == *"CapEff:	0000000000000000"* ]]
}

@test "--security-opt no-new-privileges: NoNewPrivs 1 (0 without)" {
  both drun --security-opt no-new-privileges "$IMAGE" grep NoNewPrivs /proc/self/status
  same status output stderr
  [ "$output" = "NoNewPrivs:	1" ]
  both drun "$IMAGE" grep NoNewPrivs /proc/self/status
  same status output stderr
  [ "$output" = "NoNewPrivs:	0" ]
}

@test "seccomp: docker's default profile is loaded and blocks unshare; unconfined does not" {
  probe='grep -E "^Seccomp(_filters)?:" /proc/self/status; unshare -U true; echo unshare=$?; mount -t tmpfs t /mnt; echo mount=$?'
  both drun "$IMAGE" sh -c "$probe"
  same status output stderr
  [[ "$output" == *"Seccomp:	2"* ]]
  [[ "$output" == *"unshare=1"* ]]
  [[ "$output" == *"mount=1"* ]]
  [[ "$stderr" == *"Operation not permitted"* ]]
  both drun --security-opt seccomp=unconfined "$IMAGE" sh -c "$probe"
  same status output stderr
  [[ "$output" == *"Seccomp:	0"* ]]
  [[ "$output" == *"unshare=0"* ]]
}

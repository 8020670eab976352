#!/usr/bin/env bats
# berth-runtime against real containers: each setting in config.json is checked from inside.

load lib/runtime_helpers

setup_file() { runtime_setup_file; }
setup() { runtime_setup; }
teardown() { runtime_teardown; }

@test "run: output, hostname and exit code" {
  cfg '.hostname = "box1"'
  args sh -c 'hostname; echo pid=$$; exit 7'
  rt_run
  [ "$status" -eq 7 ]
  [ "${lines[0]}" = "box1" ]
  [ "${lines[1]}" = "pid=1" ]
  # run deletes the container afterwards
  run rt state "$ID"
  [ "$status" -ne 0 ]
}

@test "namespaces: each new namespace differs from the host's" {
  args berth-probe ns
  rt_run
  [ "$status" -eq 0 ]
  for ns in pid net ipc uts mnt cgroup; do
    inside=$(echo "$output" | awk -v n=$ns '$1==n {print $2}')
    host=$(readlink /proc/self/ns/$ns)
    [ -n "$inside" ]
    [ "$inside" != "$host" ]
  done
  # user and time were not asked for
  [ "$(echo "$output" | awk '$1=="user" {print $2}')" = "$(readlink /proc/self/ns/user)" ]
}

@test "namespaces: user namespace with uid/gid mappings" {
  # The mapped root must be able to reach its rootfs.
  chmod 755 "$TMP"
  cp -a "$ROOTFS" "$TMP/rootfs"
  chown -R 100000:100000 "$TMP/rootfs"
  cfg ".root.path = \"$TMP/rootfs\""
  cfg '.linux.namespaces += [{"type":"user"}]
       | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
       | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
  args sh -c 'cat /proc/self/uid_map; id -u'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536 ]]
  [ "${lines[1]}" = "0" ]
}

@test "namespaces: time namespace with offsets" {
  cfg '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime":{"secs":864000,"nanosecs":0},"monotonic":{"secs":864000,"nanosecs":0}}'
  args cat /proc/uptime
  rt_run
  [ "$status" -eq 0 ]
  up=${output%%.*}
  [ "$up" -ge 864000 ]
}

@test "namespaces: joining an existing namespace by path" {
  rt_start_sleeper "$ID-a"
  pid=$(rt state "$ID-a" | jq .pid)
  cfg ".linux.namespaces = [.linux.namespaces[] | if .type == \"network\" then .path = \"/proc/$pid/ns/net\" else . end]"
  args berth-probe ns
  rt_run
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | awk '$1=="net" {print $2}')" = "$(readlink /proc/$pid/ns/net)" ]
  [ "$(echo "$output" | awk '$1=="pid" {print $2}')" != "$(readlink /proc/$pid/ns/pid)" ]
}

@test "mounts: bind ro, tmpfs size and mode, nosuid/nodev/noexec" {
  mkdir -p "$TMP/data"
  echo hello > "$TMP/data/f"
  cfg ".mounts += [{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$TMP/data\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"nodev\",\"noexec\"]},
                   {\"destination\":\"/scratch\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=1m\",\"mode=1770\"]}]"
  args sh -c 'cat /data/f; berth-probe write /data/g; grep " /data " /proc/self/mounts; grep " /scratch " /proc/self/mounts; stat -c %a /scratch'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "hello" ]
  [ "${lines[1]}" = "30" ]  # EROFS
  [[ "${lines[2]}" == *"ro,nosuid,nodev,noexec"* ]]
  [[ "${lines[3]}" == *"size=1024k"* ]]
  [ "${lines[4]}" = "1770" ]
  [ ! -e "$TMP/data/g" ]
}

@test "mounts: root.readonly, maskedPaths and readonlyPaths" {
  args sh -c 'berth-probe write /x; wc -c < /proc/keys; ls /sys/firmware | wc -l; berth-probe write /proc/sys/kernel/domainname'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "30" ]
  [ "${lines[1]}" = "0" ]
  [ "${lines[2]}" = "0" ]
  [ "${lines[3]}" = "30" ]
}

@test "mounts: rootfsPropagation and --no-pivot" {
  cfg '.linux.rootfsPropagation = "private"'
  args sh -c 'grep -c . /proc/self/mounts'
  run rt run --no-pivot -b "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" -gt 5 ]
}

@test "mounts: a symlink in the rootfs cannot redirect a mount to the host" {
  cp -a "$ROOTFS" "$TMP/rootfs"
  ln -s /../../../../tmp "$TMP/rootfs/evil"
  cfg ".root.path = \"$TMP/rootfs\" | .mounts += [{\"destination\":\"/evil/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]"
  args sh -c 'grep -c " /tmp/x " /proc/self/mounts'
  rt_run
  [ "$status" -eq 0 ]
  [ "$output" = "1" ]
  [ ! -e /tmp/x ] || ! grep -q " /tmp/x " /proc/self/mountinfo
}

@test "devices: defaults and linux.devices with their cgroup rules" {
  cfg '.linux.devices = [{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0}]'
  args sh -c 'stat -c "%F %t:%T %a" /dev/null /dev/fuse; readlink /dev/ptmx; readlink /dev/fd; echo x > /dev/null && echo ok; cat /sys/fs/cgroup/devices/devices.list | grep -c "c 10:229 rwm"'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1:3 666" ]
  [ "${lines[1]}" = "character special file a:e5 666" ]
  [ "${lines[2]}" = "pts/ptmx" ]
  [ "${lines[3]}" = "/proc/self/fd" ]
  [ "${lines[4]}" = "ok" ]
  [ "${lines[5]}" = "1" ]
}

@test "process: user, additionalGids, umask, cwd and env" {
  cfg '.process.user = {"uid":1000,"gid":1000,"umask":63,"additionalGids":[5,65534]} | .process.cwd = "/tmp" | .process.env += ["FOO=bar"]'
  args sh -c 'id -u; id -g; id -G; berth-probe umask; pwd; echo $FOO; echo $HOME'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1000" ]
  [ "${lines[1]}" = "1000" ]
  [ "${lines[2]}" = "1000 5 65534" ]
  [ "${lines[3]}" = "0077" ]
  [ "${lines[4]}" = "/tmp" ]
  [ "${lines[5]}" = "bar" ]
  [ "${lines[6]}" = "/home/user" ]
}

@test "process: all five capability sets" {
  cfg '.process.user = {"uid":1000,"gid":1000} | .process.capabilities = {"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN"],"permitted":["CAP_CHOWN","CAP_KILL"],"inheritable":["CAP_KILL"],"ambient":["CAP_KILL"]}'
  args sh -c 'for k in CapBnd CapEff CapPrm CapInh CapAmb; do berth-probe status $k; done'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  # exec'd sh: ambient caps join permitted and effective (KILL = bit 5, CHOWN = bit 0)
  [ "${lines[0]}" = "0000000000000021" ]
  [ "${lines[1]}" = "0000000000000020" ]
  [ "${lines[2]}" = "0000000000000020" ]
  [ "${lines[3]}" = "0000000000000020" ]
  [ "${lines[4]}" = "0000000000000020" ]
}

@test "process: rlimits, noNewPrivileges and oomScoreAdj" {
  cfg '.process.rlimits = [{"type":"RLIMIT_NOFILE","soft":321,"hard":654},{"type":"RLIMIT_CORE","soft":0,"hard":0}] | .process.noNewPrivileges = true | .process.oomScoreAdj = 123'
  args sh -c 'berth-probe rlimit NOFILE; berth-probe rlimit CORE; berth-probe status NoNewPrivs; cat /proc/self/oom_score_adj'
  rt_run
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "321 654" ]
  [ "${lines[1]}" = "0 0" ]
  [ "${lines[2]}" = "1" ]
  [ "${lines[3]}" = "123" ]
}

@test "process: apparmorProfile and selinuxLabel fail clearly without the LSM" {
  [ -e /sys/kernel/security/apparmor ] && skip "AppArmor is enabled here"
  cfg '.process.apparmorProfile = "docker-default"'
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"process.apparmorProfile"*"AppArmor is not enabled"* ]]
  cfg 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"process.selinuxLabel"* ]]
}

@test "process: terminal through --console-socket" {
  cfg '.process.terminal = true'
  args sh -c 'tty; echo done'
  python3 "$BERTH_SRC/tests/helper/console_recv.py" "$TMP/console.sock" "$TMP/out" &
  recv=$!
  for _ in $(seq 50); do [ -S "$TMP/console.sock" ] && break; sleep 0.1; done
  rt create -b "$B" --console-socket "$TMP/console.sock" "$ID"
  rt start "$ID"
  wait $recv
  cat "$TMP/out"
  grep -q "/dev/pts/0" "$TMP/out"
  grep -q "done" "$TMP/out"
}

@test "uts and sysctl: domainname and namespaced sysctls; bad sysctl names its field" {
  cfg '.domainname = "example.org" | .linux.sysctl = {"net.ipv4.ip_forward":"1","kernel.shmmni":"1000"}'
  args sh -c 'berth-probe domainname; cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/shmmni'
  rt_run
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "example.org" ]
  [ "${lines[1]}" = "1" ]
  [ "${lines[2]}" = "1000" ]
  cfg '.linux.sysctl = {"kernel.panic":"1"}'
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"linux.sysctl.kernel.panic"* ]]
}

@test "personality: LINUX32" {
  cfg '.linux.personality = {"domain":"LINUX32"}'
  args berth-probe personality
  rt_run
  [ "$status" -eq 0 ]
  [ "$output" = "0x8" ]
}

@test "seccomp: actions, errnoRet and argument conditions" {
  cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
        "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
                    {"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]},
                    {"names":["chmod"],"action":"SCMP_ACT_KILL_PROCESS"}]}'
  args sh -c 'berth-probe syscall mkdir; berth-probe syscall personality; berth-probe status Seccomp; berth-probe syscall chmod; echo "killed=$?"'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "38" ]
  [ "${lines[1]}" = "1" ]
  [ "${lines[2]}" = "2" ]
  [[ "$output" == *"killed=159"* ]]  # 128 + SIGSYS
}

@test "seccomp: a bad profile is rejected at create, naming the field" {
  cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOPE"}]}'
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"linux.seccomp.syscalls[0].action"* ]]
  [ ! -d "$STATE/$ID" ]
}

@test "cgroups: memory, pids and cpu limits seen from inside" {
  cfg '.linux.resources.memory = {"limit":67108864,"reservation":33554432,"swappiness":10}
       | .linux.resources.pids = {"limit":20}
       | .linux.resources.cpu = {"shares":512,"quota":50000,"period":100000,"cpus":"0"}'
  args sh -c 'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes memory/memory.swappiness pids/pids.max cpu/cpu.shares cpu/cpu.cfs_quota_us cpuset/cpuset.cpus'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "67108864" ]
  [ "${lines[1]}" = "33554432" ]
  [ "${lines[2]}" = "10" ]
  [ "${lines[3]}" = "20" ]
  [ "${lines[4]}" = "512" ]
  [ "${lines[5]}" = "50000" ]
  [ "${lines[6]}" = "0" ]
}

@test "cgroups: the pids limit is enforced and cgroupsPath is honoured" {
  cfg ".linux.cgroupsPath = \"/berth-test/$ID\" | .linux.resources.pids = {\"limit\":5}"
  args sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; echo all-forked'
  rt create -b "$B" "$ID"
  [ "$(cat /sys/fs/cgroup/pids/berth-test/$ID/pids.max)" = "5" ]
  grep -q "$(rt state "$ID" | jq .pid)" "/sys/fs/cgroup/memory/berth-test/$ID/cgroup.procs"
  rt delete -f "$ID"
  rt_run
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"can't fork"* ]]
  [[ "$output" != *"all-forked"* ]]
  [ ! -d "/sys/fs/cgroup/pids/berth-test/$ID" ]
  rmdir /sys/fs/cgroup/*/berth-test 2>/dev/null || true
}

@test "hooks: every phase runs with the state on stdin; timeouts are honoured" {
  for h in prestart createRuntime createContainer startContainer poststart poststop; do
    printf '#!/bin/sh\ncat > %s/%s.json\n' "$TMP" "$h" > "$TMP/$h.sh"
    chmod +x "$TMP/$h.sh"
  done
  # startContainer runs inside the container: give it a path that exists there.
  printf '#!/bin/sh\ncat > /tmp/start.json\n' > "$TMP/sc.sh"
  cfg ".hooks = {\"prestart\":[{\"path\":\"$TMP/prestart.sh\"}],\"createRuntime\":[{\"path\":\"$TMP/createRuntime.sh\"}],
        \"createContainer\":[{\"path\":\"$TMP/createContainer.sh\"}],\"startContainer\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > /dev/null; echo started > /tmp/start-hook\"]}],
        \"poststart\":[{\"path\":\"$TMP/poststart.sh\"}],\"poststop\":[{\"path\":\"$TMP/poststop.sh\"}]} | .root.readonly = false"
  cp -a "$ROOTFS" "$TMP/rootfs"
  cfg ".root.path = \"$TMP/rootfs\""
  args sh -c 'cat /tmp/start-hook'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "started" ]
  for h in prestart createRuntime createContainer poststart poststop; do
    [ "$(jq -r .id "$TMP/$h.json")" = "$ID" ]
  done
  [ "$(jq -r .status "$TMP/createRuntime.json")" = "creating" ]
  [ "$(jq -r .pid "$TMP/prestart.json")" -gt 1 ]
  [ "$(jq -r .status "$TMP/poststop.json")" = "stopped" ]

  cfg ".hooks = {\"createRuntime\":[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\",\"30\"],\"timeout\":1}]}"
  SECONDS=0
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"hooks.createRuntime[0]"*"timed out"* ]]
  [ "$SECONDS" -lt 10 ]
  [ ! -d "$STATE/$ID" ]
}

@test "lifecycle: create, state, start, ps, pause, resume, exec, kill, delete" {
  args sleep 1000
  rt create -b "$B" --pid-file "$TMP/pid" "$ID"
  [ "$(state_of "$ID")" = "created" ]
  [ "$(cat "$TMP/pid")" = "$(rt state "$ID" | jq .pid)" ]
  # the init waits before exec until start
  [ "$(cat /proc/$(cat "$TMP/pid")/comm)" != "sleep" ]
  rt start "$ID"
  [ "$(state_of "$ID")" = "running" ]
  [ "$(rt ps --format json "$ID" | jq length)" -eq 1 ]
  # table form: ps(1)'s header and the container's rows; arguments reach ps unquoted
  run rt ps "$ID" -o "pid,comm"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *PID*COMMAND* ]]
  [[ "${lines[1]}" == *sleep* ]]
  [ "${#lines[@]}" -eq 2 ]
  run rt list
  [[ "$output" == *"$ID"*"running"* ]]
  [ "$(rt list --format json | jq -r '.[0].id')" = "$ID" ]
  rt pause "$ID"
  [ "$(state_of "$ID")" = "paused" ]
  run rt exec "$ID" true
  [ "$status" -eq 1 ]
  rt resume "$ID"
  [ "$(state_of "$ID")" = "running" ]
  run rt exec -e X=1 --cwd /tmp "$ID" sh -c 'echo $X $(pwd) $(hostname); exit 4'
  [ "$status" -eq 4 ]
  [ "$output" = "1 /tmp berth" ]
  rt exec -d --pid-file "$TMP/epid" "$ID" sleep 100
  [ "$(rt ps --format json "$ID" | jq length)" -eq 2 ]
  run rt delete "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot delete container $ID that is not stopped: running"* ]]
  rt kill "$ID" KILL
  for _ in $(seq 50); do [ "$(state_of "$ID")" = "stopped" ] && break; sleep 0.1; done
  [ "$(state_of "$ID")" = "stopped" ]
  rt delete "$ID"
  run rt state "$ID"
  [ "$status" -eq 1 ]
  [ ! -d "/sys/fs/cgroup/memory/berth/$ID" ]
}

@test "kill: signal names and numbers, --all; delete --force" {
  args sh -c 'trap "echo got > /dev/null" USR1; sleep 1000 & wait; sleep 1000'
  rt run -d -b "$B" "$ID" </dev/null >/dev/null 2>&1
  rt kill "$ID" USR1
  rt kill "$ID" SIGUSR1
  rt kill "$ID" 10
  run rt kill "$ID" NOSUCHSIG
  [ "$status" -eq 1 ]
  [[ "$output" == *"invalid signal"* ]]
  rt kill --all "$ID" KILL
  for _ in $(seq 50); do [ "$(state_of "$ID")" = "stopped" ] && break; sleep 0.1; done
  [ "$(state_of "$ID")" = "stopped" ]
  rt delete "$ID"
  rt_start_sleeper "$ID-2"
  rt delete --force "$ID-2"
  run rt state "$ID-2"
  [ "$status" -eq 1 ]
}

@test "events --stats reports cgroup stats" {
  rt_start_sleeper
  run rt events --stats "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .type)" = "stats" ]
  [ "$(echo "$output" | jq '.data.pids.current')" -ge 1 ]
  [ "$(echo "$output" | jq '.data.memory.usage.usage')" -gt 0 ]
}

@test "errors name the field and leave nothing behind" {
  cfg '.process.args = "sh"'
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"process.args"* ]]
  cfg '.process.args = ["sh"] | .root.path = "/nonexistent/rootfs"'
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"root.path"* ]]
  cfg ".root.path = \"$ROOTFS\" | .process.args = [\"/no/such/binary\"]"
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"/no/such/binary"* ]]
  [ ! -d "$STATE/$ID" ]
  [ ! -d "/sys/fs/cgroup/memory/berth/$ID" ]
  [ ! -d "/sys/fs/cgroup/unified/berth/$ID" ]
  run grep -c "$TMP" /proc/self/mountinfo
  [ "$output" = "0" ]
  run rt create -b "$B" "bad/id"
  [ "$status" -eq 1 ]
  [[ "$output" == *"invalid id format"* ]]
}

@test "spec and features" {
  mkdir "$TMP/s"
  (cd "$TMP/s" && "$RT" spec)
  [ "$(jq -r .ociVersion "$TMP/s/config.json")" = "1.2.0" ]
  run bash -c "cd $TMP/s && $RT spec"
  [ "$status" -eq 1 ]
  [[ "$output" == *"config.json exists"* ]]
  run "$RT" features
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.linux.seccomp.enabled')" = "true" ]
  [ "$(echo "$output" | jq -r '.linux.namespaces | length')" -eq 8 ]
}

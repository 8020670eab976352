#!/usr/bin/env bats
# The docker CLI against a private berthd: top, stats, diff, export, commit, import,
# container prune, system df, --init and healthchecks.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() { berthd_setup_file; }

setup() { berthd_setup; }

teardown_file() { berthd_cleanup; }

teardown() { berthd_teardown; }


@test "top and stats of a running container" {
  dk run -d --name t1 --network none busybox sh -c 'sleep 1000 & sleep 2000; true'
  run dk top t1
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == UID*PID*PPID*C*STIME*TTY*TIME*CMD ]]
  [[ "$output" == *"sleep 1000"* && "$output" == *"sleep 2000"* ]]
  run dk stats --no-stream --format '{{.Name}} {{.PIDs}}' t1
  [ "$status" -eq 0 ]
  [ "$output" = "t1 3" ]
  run curl -s --unix-socket "$BT/berth.sock" "http://x/v1.45/containers/t1/stats?stream=false&one-shot=true"
  [ "$(echo "$output" | jq '.memory_stats.usage > 0 and .cpu_stats.cpu_usage.total_usage > 0')" = true ]
  dk stop -t 1 t1
  run dk top t1
  [ "$status" -ne 0 ]
  [[ "$output" == *"is not running"* ]]
  dk rm t1
}

@test "diff, export, commit and import" {
  dk run --name d1 --network none busybox sh -c 'echo new > /newfile; rm /etc/group; mkdir -p /tmp/x'
  run dk diff d1
  [[ "$output" == *"A /newfile"* ]]
  [[ "$output" == *"D /etc/group"* ]]
  dk export d1 -o "$BT/d1.tar"
  run tar -tf "$BT/d1.tar"
  [[ "$output" == *newfile* ]]
  [[ "$output" != *etc/group* ]]
  run dk commit -c 'CMD ["cat", "/newfile"]' -m "a message" d1 committed:v1
  [[ "$output" == sha256:* ]]
  run dk run --rm --network none committed:v1
  [ "$output" = new ]
  run dk history --format '{{.Comment}}' committed:v1
  [[ "${lines[0]}" = "a message" ]]
  run dk import -c 'CMD ["/bin/cat", "/newfile"]' "$BT/d1.tar" imported:v1
  [[ "$output" == sha256:* ]]
  run dk run --rm --network none imported:v1
  [ "$output" = new ]
  dk rm d1
  dk rmi committed:v1 imported:v1
}

@test "container prune removes stopped containers only, with label filters; system df" {
  dk run --name s1 -l keep=no --network none busybox true
  dk run --name s2 -l keep=yes --network none busybox true
  dk run -d --name r1 --network none busybox sleep 1000
  s1=$(dk inspect -f '{{.Id}}' s1)
  run dk container prune -f --filter label=keep=no
  [[ "$output" == *"$s1"* ]]
  run dk ps -a --format '{{.Names}}'
  [[ "$output" != *s1* && "$output" == *s2* && "$output" == *r1* ]]
  dk container prune -f
  run dk ps -a --format '{{.Names}}'
  [ "$output" = r1 ]
  run dk system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'
  [[ "$output" == *"Images 1 1"* ]]
  [[ "$output" == *"Containers 1 1"* ]]
  # sizes: the RW layer's own bytes, and with the image's
  dk exec r1 sh -c 'head -c 3000000 /dev/zero >/big'
  run dk ps -s --format '{{.Size}}'
  [[ "$output" == "3MB (virtual "*MB")" ]]
  run curl -s --unix-socket "$BT/berth.sock" "http://x/v1.45/containers/json?size=1"
  [ "$(echo "$output" | jq '.[0].SizeRw >= 3000000 and .[0].SizeRw < 3100000 and .[0].SizeRootFs > .[0].SizeRw')" = true ]
  run curl -s --unix-socket "$BT/berth.sock" "http://x/v1.45/system/df"
  [ "$(echo "$output" | jq '.Containers[0].SizeRw >= 3000000')" = true ]
  dk rm -f r1
}

@test "--init: docker-init is PID 1, forwards signals and reaps orphans" {
  run dk run --rm --init --network none busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "'
  [[ "$output" == "/sbin/docker-init -- sh -c"* ]]
  # an orphan reaped: sh's child is reparented to PID 1 when sh exits before it
  dk run -d --init --name in1 --network none busybox sh -c '(sleep 0.2 &); trap "exit 7" TERM; while :; do sleep 0.1; done'
  sleep 1
  # zombies whose parent is PID 1 (unreaped orphans); sh's own sleeps are zombies for an
  # instant each 0.1 s, and counting those made this check fail now and then
  run dk exec in1 sh -c 'ps -o stat,ppid,comm | grep -c -E "^Z +1 " || true'
  [ "$output" = 0 ]
  dk kill -s TERM in1
  run dk wait in1
  [ "$output" = 7 ]
  dk rm in1
}

@test "healthchecks: healthy, unhealthy, inspect and events" {
  since=$(date +%s)
  dk run -d --name h1 --network none --health-cmd 'test -f /tmp/ok' --health-interval 200ms \
    --health-retries 2 busybox sh -c 'touch /tmp/ok; sleep 1000'
  dk run -d --name h2 --network none --health-cmd 'exit 3' --health-interval 200ms \
    --health-retries 2 busybox sleep 1000
  for _ in $(seq 50); do
    [ "$(dk inspect -f '{{.State.Health.Status}}' h1)" = healthy ] &&
      [ "$(dk inspect -f '{{.State.Health.Status}}' h2)" = unhealthy ] && break
    sleep 0.2
  done
  run dk inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' h1
  [ "$output" = "healthy 0" ]
  run dk inspect -f '{{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}}' h2
  [ "$output" = "unhealthy 3" ]
  run dk ps --filter name=h1 --format '{{.Status}}'
  [[ "$output" == *"(healthy)" ]]
  # h1 turns unhealthy when its probe starts failing
  dk exec h1 rm /tmp/ok
  for _ in $(seq 50); do
    [ "$(dk inspect -f '{{.State.Health.Status}}' h1)" = unhealthy ] && break
    sleep 0.2
  done
  run dk inspect -f '{{.State.Health.Status}}' h1
  [ "$output" = unhealthy ]
  run dk events --since "$since" --until "$(($(date +%s) + 1))" --filter container=h1 --format '{{.Action}}'
  [[ "$output" == *"health_status: healthy"* && "$output" == *"health_status: unhealthy"* ]]
  dk rm -f h1 h2
  # a healthcheck of the wrong shape is refused at create, not when the probe loop reads it
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -XPOST -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"Interval":"1s"}}' \
    http://x/v1.45/containers/create
  [[ "$output" == *"cannot unmarshal string"*"Interval"*' 400' ]]
}

@test "cp: out of and into a running and a stopped container" {
  dk run -d --name cp1 --network none busybox sh -c 'mkdir -p /data/sub && echo one > /data/sub/f && sleep 1000'
  sleep 0.3
  dk cp cp1:/data/sub/f "$BT/f.out"
  [ "$(cat "$BT/f.out")" = one ]
  dk cp cp1:/data "$BT/dataout"
  [ "$(cat "$BT/dataout/sub/f")" = one ]
  echo two > "$BT/f.in"
  dk cp "$BT/f.in" cp1:/data/f2
  run dk exec cp1 cat /data/f2
  [ "$output" = two ]
  run dk cp cp1:/nosuch "$BT/x"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Could not find the file /nosuch in container cp1"* ]]
  dk stop -t 1 cp1
  dk cp "$BT/f.in" cp1:/data/f3
  dk cp cp1:/data/f3 "$BT/f3.out"
  [ "$(cat "$BT/f3.out")" = two ]
  dk rm cp1
}

@test "cp: berth loads libarchive only for cp; without berth-cp.so cp says why" {
  # a command other than cp maps neither libarchive nor what it pulls in
  run env LD_DEBUG=libs "$BERTH_BUILD/cmd/berth" -H "unix://$BT/berth.sock" version
  [ "$status" -eq 0 ]
  [[ "$output" != *libarchive* && "$output" != *libxml2* && "$output" != *libicu* ]]
  dk create --name cpm --network none busybox true
  mkdir -p "$BT/nocp/bin"
  cp "$BERTH_BUILD/cmd/berth" "$BT/nocp/bin/"
  run "$BT/nocp/bin/berth" -H "unix://$BT/berth.sock" cp cpm:/etc/passwd "$BT/pw"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cp is not available: cannot find berth-cp.so (looked for $BT/nocp/bin/berth-cp.so and $BT/nocp/bin/../lib/berth/berth-cp.so)"* ]]
  [ ! -e "$BT/pw" ]
  # installed as scripts/setup.sh does: lib/berth beside bin; out, in, and in under a new name
  mkdir -p "$BT/nocp/lib/berth"
  cp "$BERTH_BUILD/cmd/berth-cp.so" "$BT/nocp/lib/berth/"
  "$BT/nocp/bin/berth" -H "unix://$BT/berth.sock" cp cpm:/etc/passwd "$BT/pw"
  grep -q '^root:' "$BT/pw"
  echo three > "$BT/f.in"
  "$BT/nocp/bin/berth" -H "unix://$BT/berth.sock" cp "$BT/f.in" cpm:/
  "$BT/nocp/bin/berth" -H "unix://$BT/berth.sock" cp "$BT/f.in" cpm:/renamed
  "$BT/nocp/bin/berth" -H "unix://$BT/berth.sock" cp cpm:/renamed "$BT/back"
  "$BT/nocp/bin/berth" -H "unix://$BT/berth.sock" cp cpm:/f.in "$BT/back2"
  [ "$(cat "$BT/back")" = three ] && [ "$(cat "$BT/back2")" = three ]
  dk rm cpm
}

# The limit file of a controller for a running container, cgroup v1 or v2.
cgroup_file() {  # PID V1_CONTROLLER FILE_V1 FILE_V2
  local rel
  rel=$(awk -F: -v c="$2" '$2 ~ "(^|,)" c "(,|$)" {print $3}' "/proc/$1/cgroup")
  if [ -n "$rel" ] && [ -f "/sys/fs/cgroup/$2$rel/$3" ]; then
    cat "/sys/fs/cgroup/$2$rel/$3"
  else
    rel=$(awk -F: '$1 == 0 {print $3}' "/proc/$1/cgroup")
    cat "/sys/fs/cgroup/unified$rel/$4" 2>/dev/null || cat "/sys/fs/cgroup$rel/$4"
  fi
}

@test "update: resources reach the running container's cgroup; restart policy; errors" {
  dk run -d --name up1 --network none busybox sleep 1000
  pid=$(dk inspect -f '{{.State.Pid}}' up1)
  run dk update --memory 64m --pids-limit 50 --cpu-shares 512 --restart on-failure:3 up1
  [ "$status" -eq 0 ]
  [ "$output" = up1 ]
  [ "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}}' up1)" = "67108864 50 512" ]
  [ "$(dk inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' up1)" = on-failure:3 ]
  [ "$(cgroup_file "$pid" memory memory.limit_in_bytes memory.max)" = 67108864 ]
  [ "$(cgroup_file "$pid" pids pids.max pids.max)" = 50 ]
  # a stopped container keeps the new limits for its next start
  dk stop -t 0 up1
  dk update --pids-limit 60 up1
  dk start up1
  pid=$(dk inspect -f '{{.State.Pid}}' up1)
  [ "$(cgroup_file "$pid" pids pids.max pids.max)" = 60 ]
  run dk update --restart always nosuchcontainer
  [ "$status" -ne 0 ]
  [[ "$output" == *"No such container: nosuchcontainer"* ]]
  dk run -d --rm --name up2 --network none busybox sleep 1000
  run dk update --restart always up2
  [ "$status" -ne 0 ]
  [[ "$output" == *"Restart policy cannot be updated because AutoRemove is enabled"* ]]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -X POST \
    -H 'Content-Type: application/json' -d '{"Memory":"lots"}' http://x/v1.45/containers/up1/update
  [[ "$output" == *"cannot unmarshal string"*' 400' ]]
  # --cpus sets the CFS quota itself: Docker's conflicts, at create and at update
  dk run -d --name up3 --network none --cpus 0.5 busybox sleep 1000
  run dk update --cpu-quota 80000 up3
  [ "$status" -ne 0 ]
  [[ "$output" == *"Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"* ]]
  dk update --cpus 0.8 up3
  pid3=$(dk inspect -f '{{.State.Pid}}' up3)
  [[ "$(cgroup_file "$pid3" cpu cpu.cfs_quota_us cpu.max)" == 80000* ]]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","HostConfig":{"NanoCpus":1000000000,"CpuPeriod":50000}}' http://x/v1.45/containers/create
  [ "$output" = '{"message":"Conflicting options: Nano CPUs and CPU Period cannot both be set"} 400' ]
  dk rm -f up3
  # the management form
  run dk container ls --format '{{.Names}}' --filter name=up1
  [ "$output" = up1 ]
  dk rm -f up1 up2
}

@test "security: Docker's default seccomp profile and capabilities; unconfined, privileged, custom profiles; bad options" {
  # the default profile: filtered, and namespace-making calls refused without CAP_SYS_ADMIN
  run dk run --rm --network none busybox sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true 2>/dev/null || echo refused; grep CapEff /proc/self/status'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Seccomp:"*2 ]]
  [ "${lines[1]}" = refused ]
  [[ "${lines[2]}" == *"00000000a80425fb" ]]  # Docker's 14 default capabilities
  # exec'd processes get the same filter
  dk run -d --name sec1 --network none busybox sleep 1000
  run dk exec sec1 sh -c 'grep "^Seccomp:" /proc/self/status; hostname other 2>/dev/null || echo refused'
  [[ "${lines[0]}" == *2 && "${lines[1]}" = refused ]]
  dk rm -f sec1
  # CAP_SYS_ADMIN opens the profile's rules for it
  run dk run --rm --network none --cap-add SYS_ADMIN busybox sh -c 'unshare -U true && echo allowed'
  [ "$output" = allowed ]
  run dk run --rm --network none --security-opt seccomp=unconfined busybox grep "^Seccomp:" /proc/self/status
  [[ "$output" == *"Seccomp:"*0 ]]
  # --privileged: no filter, every capability berthd holds, devices
  run dk run --rm --network none --privileged busybox sh -c 'grep "^Seccomp:" /proc/self/status; unshare -m true && echo allowed'
  [[ "${lines[0]}" == *"Seccomp:"*0 && "${lines[1]}" = allowed ]]
  # a profile of the user's, in Docker's format, read by the client
  printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}' >"$BT/profile.json"
  run dk run --rm --network none --security-opt seccomp="$BT/profile.json" busybox sh -c 'mkdir /x'
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
  run dk run --rm --network none --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
  [[ "$output" == *1 ]]
  # bad input: Docker's messages, 400s on the wire, and nothing made
  run dk run --rm --network none --security-opt foo=bar busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *'invalid --security-opt 2: "foo=bar"'* ]]
  printf '%s' '{"syscalls":[]}' >"$BT/bad.json"
  run dk run --rm --network none --security-opt seccomp="$BT/bad.json" busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"decoding seccomp profile failed"* ]]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":"]}}' http://x/v1.45/containers/create
  [[ "$output" == *"decoding seccomp profile failed"*' 400' ]]
  run curl -s -w ' %{http_code}' --unix-socket "$BT/berth.sock" -X POST -H 'Content-Type: application/json' \
    -d '{"Image":"busybox","HostConfig":{"SecurityOpt":["no-new-privileges=maybe"]}}' http://x/v1.45/containers/create
  [[ "$output" == *'invalid --security-opt 2: \"no-new-privileges=maybe\"'*' 400' ]]
  [ -z "$(dk ps -aq)" ]
}

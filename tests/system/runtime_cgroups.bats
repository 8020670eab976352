#!/usr/bin/env bats
# cgroup settings beyond the basics, and mounts of the cgroup filesystems.

load lib/runtime_helpers

setup_file() { runtime_setup_file; }
setup() { runtime_setup; }
teardown() { runtime_teardown; }

@test "memory: swap and disableOOMKiller" {
  [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting"
  cfg '.linux.resources.memory = {"limit":67108864,"swap":134217728,"disableOOMKiller":true}'
  args sh -c 'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes; grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "134217728" ]
  [ "${lines[1]}" = "oom_kill_disable 1" ]
}

@test "cpuset mems and blkio throttles" {
  dev=$(mountpoint -d /)
  cfg ".linux.resources.cpu = {\"cpus\":\"0\",\"mems\":\"0\"} | .linux.resources.blockIO = {\"throttleReadBpsDevice\":[{\"major\":${dev%:*},\"minor\":${dev#*:},\"rate\":1048576}]}"
  args sh -c 'cat /sys/fs/cgroup/cpuset/cpuset.mems /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0" ]
  [ "${lines[1]}" = "$dev 1048576" ]
}

@test "hugetlb limits and unified keys on a hybrid host" {
  [ -e /sys/fs/cgroup/unified/cgroup.controllers ] || skip "not a hybrid host"
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || skip "no hugetlb controller"
  cfg '.linux.resources.hugepageLimits = [{"pageSize":"2MB","limit":4194304}]'
  args sh -c 'cat /sys/fs/cgroup/unified/hugetlb.2MB.max'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "4194304" ]
  cfg 'del(.linux.resources.hugepageLimits) | .linux.resources.unified = {"memory.high":"1000000"}'
  rt_run
  [ "$status" -eq 1 ]
  [[ "$output" == *"linux.resources.unified"* ]]
  [ ! -d "/sys/fs/cgroup/memory/berth/$ID" ]
}

@test "a cgroup2 mount shows the container's own cgroup" {
  cfg '.mounts += [{"destination":"/cg2","type":"cgroup2","source":"cgroup2","options":["ro","nosuid","nodev","noexec"]}]'
  args sh -c 'cat /cg2/cgroup.procs | wc -l; grep " /cg2 " /proc/self/mounts'
  rt_run
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" -ge 1 ]
  [[ "${lines[1]}" == *"cgroup2 ro,"* ]]
}

@test "update changes limits of a running container" {
  rt_start_sleeper
  echo '{"memory":{"limit":134217728},"pids":{"limit":30}}' | rt update --resources - "$ID"
  [ "$(cat /sys/fs/cgroup/memory/berth/$ID/memory.limit_in_bytes)" = "134217728" ]
  [ "$(cat /sys/fs/cgroup/pids/berth/$ID/pids.max)" = "30" ]
  rt update --pids-limit 40 "$ID"
  [ "$(cat /sys/fs/cgroup/pids/berth/$ID/pids.max)" = "40" ]
  # device rules survive an update
  grep -q "c 1:3 rwm" "/sys/fs/cgroup/devices/berth/$ID/devices.list"
}

@test "mount propagation: a shared bind mount propagates to the host, a private one does not" {
  mkdir -p "$TMP/shared" "$TMP/private"
  mount --bind "$TMP/shared" "$TMP/shared"
  mount --make-shared "$TMP/shared"
  cfg ".mounts += [{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"$TMP/shared\",\"options\":[\"rbind\",\"rshared\"]},
                   {\"destination\":\"/p\",\"type\":\"bind\",\"source\":\"$TMP/private\",\"options\":[\"rbind\",\"rprivate\"]}]
       | .process.capabilities.bounding += [\"CAP_SYS_ADMIN\"] | .process.capabilities.effective += [\"CAP_SYS_ADMIN\"]
       | .process.capabilities.permitted += [\"CAP_SYS_ADMIN\"] | .linux.rootfsPropagation = \"rshared\""
  mkdir -p "$TMP/shared/m" "$TMP/private/m"
  args sh -c 'mount -t tmpfs tmpfs /s/m && mount -t tmpfs tmpfs /p/m && echo mounted; sleep 1000'
  rt run -d -b "$B" "$ID" </dev/null >"$TMP/out" 2>&1
  for _ in $(seq 50); do grep -q " $TMP/shared/m " /proc/self/mountinfo && break; sleep 0.1; done
  grep -q " $TMP/shared/m " /proc/self/mountinfo
  ! grep -q " $TMP/private/m " /proc/self/mountinfo
  # the container's own mounts (its /proc in the rootfs) stay inside
  ! grep -q " $ROOTFS/proc " /proc/self/mountinfo
  rt delete -f "$ID"
  umount -l "$TMP/shared/m" 2>/dev/null || true
  umount -l "$TMP/shared"
}

@test "a relative cgroupsPath is resolved per hierarchy against the caller's own cgroup" {
  cfg ".linux.cgroupsPath = \"berth-rel-$ID/c\""
  args sleep 1000
  rt create -b "$B" "$ID"
  pid=$(rt state "$ID" | jq .pid)
  for ctrl in memory pids cpu; do
    own=$(awk -F: -v c=$ctrl '$2==c {print $3}' /proc/self/cgroup)
    want="${own%/}/berth-rel-$ID/c"
    grep -qx "$pid" "/sys/fs/cgroup/$ctrl$want/cgroup.procs"
  done
  rt delete -f "$ID"
  for ctrl in memory pids cpu; do
    own=$(awk -F: -v c=$ctrl '$2==c {print $3}' /proc/self/cgroup)
    [ ! -d "/sys/fs/cgroup/$ctrl${own%/}/berth-rel-$ID/c" ]
  done
  for d in /sys/fs/cgroup/*/berth-rel-$ID /sys/fs/cgroup/memory/*/*/berth-rel-$ID; do
    [ -d "$d" ] && rmdir "$d"
  done
  true
}

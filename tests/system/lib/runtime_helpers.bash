# Shared by the berth-runtime system tests: a private state root, a bundle per test on a
# shared read-only busybox rootfs, and cleanup that leaves no container, cgroup or mount.

RT="${BERTH_BUILD:?}/cmd/berth-runtime"
PROBE="${BERTH_BUILD}/tests/berth-probe"

# Builds the shared rootfs once per file.
runtime_setup_file() {
  export ROOTFS="$BATS_FILE_TMPDIR/rootfs"
  bash "${BERTH_SRC:?}/scripts/mkrootfs.sh" "$ROOTFS" "$PROBE"
}

runtime_setup() {
  TMP="$(mktemp -d /tmp/berth-rt.XXXXXX)"
  STATE="$TMP/state"
  B="$TMP/bundle"
  ID="t${BATS_TEST_NUMBER}-$$"
  mkdir -p "$B"
  (cd "$B" && "$RT" spec)
  cfg ".root.path = \"$ROOTFS\" | .process.terminal = false"
}

runtime_teardown() {
  for id in $("$RT" --root "$STATE" list -q 2>/dev/null); do
    "$RT" --root "$STATE" delete -f "$id" >/dev/null 2>&1 || true
  done
  # Anything mounted under the test dir (none expected) is detached before removal.
  grep -o " $TMP[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$TMP"
  # The runtime's default parent (/berth) once no container uses it; rmdir leaves it to
  # a test that still has containers there (and the runtime retries a vanished parent).
  rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
}

rt() { "$RT" --root "$STATE" "$@"; }

# Applies a jq filter to the bundle's config.json.
cfg() {
  jq "$1" "$B/config.json" > "$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
}

# Sets process.args from the arguments.
args() {
  local json
  json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  cfg ".process.args = $json"
}

# Runs the bundle in the foreground; sets $status/$output like bats' run.
rt_run() { run "$RT" --root "$STATE" run -b "$B" "$ID"; }

# Starts a long-lived container from the bundle in the background (detached).
rt_start_sleeper() {
  args sleep 1000
  "$RT" --root "$STATE" run -d -b "$B" "${1:-$ID}" </dev/null >/dev/null 2>&1
}

state_of() { rt state "$1" | jq -r .status; }

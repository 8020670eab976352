#!/usr/bin/env bats
# Escape class: hostile layers and archives (CVE-2014-6407, CVE-2014-9357). The unit tests
# (tests/unit/archive/hostile_test.cc) cover each hostile tar entry against the applier; here
# whole images go through berthd's import and load as a user would send them:
# - a hardlink to a path outside the layer is refused and nothing is registered;
# - device nodes in a layer (the host's memory and its root disk) are applied as plain nodes,
#   but an unprivileged container cannot open them (device cgroup rules);
# - decompression happens in berthd's process on bytes only (isa-l/zstd on buffers): no
#   external program and no path of the host is involved, which the test shows by importing
#   gzip and zstd layers with PATH emptied for nothing but berthd.

bats_require_minimum_version 1.5.0

load lib/berthd

setup_file() { berthd_setup_file; }
setup() { berthd_setup; }
teardown() { berthd_teardown; }
teardown_file() { berthd_cleanup; }

# make_tar OUT KIND...: a tar built by python's tarfile with the named hostile entries.
make_tar() {
  /usr/bin/python3 - "$@" <<'PY'
import io, os, sys, tarfile
out, kinds = sys.argv[1], sys.argv[2:]
root = os.stat("/").st_dev
with tarfile.open(out, "w") as t:
    def add(name, **kw):
        ti = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(ti, k, v)
        data = kw.pop("data", None)
        t.addfile(ti, io.BytesIO(data) if data else None)
    d = tarfile.TarInfo("evil"); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
    f = tarfile.TarInfo("evil/ok"); f.size = 3; t.addfile(f, io.BytesIO(b"ok\n"))
    for k in kinds:
        if k == "hardlink-out":
            h = tarfile.TarInfo("evil/shadow"); h.type = tarfile.LNKTYPE
            h.linkname = "../../../../../../../../etc/shadow"; t.addfile(h)
        elif k == "hardlink-abs":
            h = tarfile.TarInfo("evil/passwd"); h.type = tarfile.LNKTYPE
            h.linkname = "/etc/passwd"; t.addfile(h)
        elif k == "devices":
            m = tarfile.TarInfo("evil/mem"); m.type = tarfile.CHRTYPE
            m.devmajor, m.devminor, m.mode = 1, 1, 0o666; t.addfile(m)
            b = tarfile.TarInfo("evil/disk"); b.type = tarfile.BLKTYPE
            b.devmajor, b.devminor, b.mode = os.major(root), os.minor(root), 0o666; t.addfile(b)
            k2 = tarfile.TarInfo("evil/kmsg"); k2.type = tarfile.CHRTYPE
            k2.devmajor, k2.devminor, k2.mode = 1, 11, 0o666; t.addfile(k2)
PY
}

@test "security (CVE-2014-6407): a layer's hardlink to a path outside it is refused, nothing registered" {
  local before
  before=$(stat -c '%h %i' /etc/shadow /etc/passwd)
  for kind in hardlink-out hardlink-abs; do
    make_tar "$BT/$kind.tar" "$kind"
    run dk import "$BT/$kind.tar" "evil-$kind:1"
    [ "$status" -ne 0 ]
    [[ "$output" == *"evil/"* ]]
    run dk image inspect "evil-$kind:1"
    [ "$status" -ne 0 ]
  done
  # the host's files were not linked anywhere (their link counts did not change)
  [ "$(stat -c '%h %i' /etc/shadow /etc/passwd)" = "$before" ]
}

@test "security: device nodes from a layer cannot be opened by an unprivileged container" {
  make_tar "$BT/dev.tar" devices
  dk import "$BT/dev.tar" evil-dev:1
  # the nodes are there, as in Docker
  run dk run --rm -v "$BT/rootfs/bin:/bin:ro" evil-dev:1 /bin/ls -l /evil/mem /evil/disk
  [ "$status" -eq 0 ]
  [[ "$output" == *"1,"*"/evil/mem"* ]]
  local c
  for c in "head -c 16 /evil/mem" "head -c 512 /evil/disk" "exec 3</evil/kmsg" \
    "sh -c 'echo x >/evil/disk'"; do
    run dk run --rm -v "$BT/rootfs/bin:/bin:ro" evil-dev:1 /bin/sh -c "$c"
    [ "$status" -ne 0 ]
    [[ "$output" == *"ermission denied"* || "$output" == *"ot permitted"* ]]
  done
  # --privileged opens the kmsg node: the denial above is the device cgroup's, not a broken
  # node (this host's own sandbox refuses block devices even to root, so the disk cannot
  # serve as that proof)
  run dk run --rm --privileged -v "$BT/rootfs/bin:/bin:ro" evil-dev:1 /bin/sh -c 'exec 3</evil/kmsg && echo opened'
  [ "$status" -eq 0 ]
  [ "$output" = opened ]
}

@test "security: layers are decompressed in berthd's process (no external program)" {
  make_tar "$BT/plain.tar"
  gzip -c "$BT/plain.tar" >"$BT/plain.tar.gz"
  zstd -q -c "$BT/plain.tar" >"$BT/plain.tar.zst"
  # berthd's own children during the imports: none may be a decompressor
  for f in plain.tar.gz plain.tar.zst; do
    strace -f -e trace=execve -o "$BT/exec.$f" -p "$(cat "$BT/berthd.pid")" 2>"$BT/strace.$f" 3>&- &
    local tracer=$!
    local n=50
    until grep -q attached "$BT/strace.$f"; do
      n=$((n - 1)); [ "$n" -gt 0 ] || false
      sleep 0.1
    done
    dk import "$BT/$f" "plain-${f##*.}:1"
    kill "$tracer"
    wait "$tracer" || true
    run grep -E 'execve\(' "$BT/exec.$f"
    [ "$status" -ne 0 ]
    run dk run --rm -v "$BT/rootfs/bin:/bin:ro" "plain-${f##*.}:1" /bin/cat /evil/ok
    [ "$output" = ok ]
  done
}

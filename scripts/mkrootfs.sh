#!/bin/bash
# Makes a minimal root filesystem from Debian's busybox-static: /bin/busybox, its applets as
# symlinks, and the files containers expect (/etc/passwd, /etc/group, mount points).
# usage: mkrootfs.sh DIR [PROBE]   (PROBE: a static binary copied to /bin/berth-probe)
set -euo pipefail
dir=${1:?usage: mkrootfs.sh DIR [PROBE]}
probe=${2:-}
bb=/bin/busybox  # from busybox-static: a static binary runs in any rootfs
[ -x "$bb" ] || { echo "busybox-static is not installed" >&2; exit 1; }
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,var/tmp,run}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
P
cat > "$dir/etc/group" <<'G'
root:x:0:
tty:x:5:
nogroup:x:65534:
user:x:1000:
G
if [ -n "$probe" ]; then cp "$probe" "$dir/bin/berth-probe"; fi

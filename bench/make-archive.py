#!/usr/bin/env python3
"""Builds a docker-archive (docker save format) from a source tree, split into N layers of
about equal size, so the same archive can be loaded by dockerd and by berth.
usage: make-archive.py SRC_DIR LAYERS NAME:TAG OUT.tar"""
import hashlib, io, json, os, sys, tarfile, tempfile

src, n, ref, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
files = []
for root, dirs, names in os.walk(src):
    dirs.sort()
    for name in sorted(names):
        p = os.path.join(root, name)
        if os.path.islink(p) or os.path.isfile(p):
            files.append(p)
total = sum(os.lstat(p).st_size for p in files)
groups, cur, size = [], [], 0
for p in files:
    cur.append(p)
    size += os.lstat(p).st_size
    if size >= total / n and len(groups) < n - 1:
        groups.append(cur); cur, size = [], 0
groups.append(cur)

work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out)))
diff_ids, layer_paths = [], []
for i, g in enumerate(groups):
    path = os.path.join(work, f"layer{i}.tar")
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for p in g:
            t.add(p, arcname=os.path.relpath(p, "/"), recursive=False)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    diff_ids.append("sha256:" + h.hexdigest())
    layer_paths.append(f"layer{i}/layer.tar")
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
                     "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created": "2026-01-01T00:00:00Z"} for _ in diff_ids]}).encode()
cfg_name = hashlib.sha256(config).hexdigest() + ".json"
with tarfile.open(out, "w") as t:
    for i, lp in enumerate(layer_paths):
        t.add(os.path.join(work, f"layer{i}.tar"), arcname=lp)
        os.unlink(os.path.join(work, f"layer{i}.tar"))
    def add_bytes(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    add_bytes(cfg_name, config)
    add_bytes("manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": [ref],
                                            "Layers": layer_paths}]).encode())
os.rmdir(work)

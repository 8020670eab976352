#!/usr/bin/env python3
"""Receives a pty master over a --console-socket, as containerd's shim does, and copies what
the container writes to a file until the pty closes. usage: console_recv.py SOCKET OUTPUT [INPUT]"""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
to_send = sys.argv[3].encode() if len(sys.argv) > 3 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
_, fds, _, _ = socket.recv_fds(conn, 4096, 1)
master = fds[0]
if to_send:
    os.write(master, to_send)
with open(out, "wb") as f:
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO once the last slave fd is closed
            break
        if not data:
            break
        f.write(data)
        f.flush()

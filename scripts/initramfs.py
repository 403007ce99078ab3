#!/usr/bin/env python3
"""Writes an initramfs (cpio "newc", uncompressed) holding busybox and /init.

usage: initramfs.py OUT BUSYBOX INIT [NAME=FILE ...]
The archive has /bin/busybox, /init, the directories /init mounts on and
/dev/console, which the kernel opens for /init's stdio before devtmpfs is up;
each NAME=FILE adds FILE as /NAME (e.g. bin/vmm=..., the nested guest's VMM).
Entries are written in a fixed order with fixed times, so the same inputs
give the same archive byte for byte.
"""
import sys

out, busybox, init = sys.argv[1:4]
extra = [a.split("=", 1) for a in sys.argv[4:]]
ino = 0
data = bytearray()


def entry(name, mode, body=b"", rdev=(0, 0)):
    global ino
    ino += 1
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(body), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    data.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + name_b)
    data.extend(b"\0" * (-len(data) % 4))
    data.extend(body)
    data.extend(b"\0" * (-len(data) % 4))


for d in ["bin", "dev", "proc", "sys", "tmp", "root"]:
    entry(d, 0o040755)
entry("dev/console", 0o020600, rdev=(5, 1))
entry("bin/busybox", 0o100755, open(busybox, "rb").read())
entry("init", 0o100755, open(init, "rb").read())
for name, path in extra:
    entry(name, 0o100755, open(path, "rb").read())
entry("TRAILER!!!", 0)
data.extend(b"\0" * (-len(data) % 512))
open(out, "wb").write(data)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wire-tap forwards bytes and fds unchanged and logs them as wire.py reads them.

usage: tap-selftest.py WIRE_TAP SRCDIR

A scripted client and server on either side of wire-tap: the client sends
get_registry, wl_registry.bind(wl_shm) and wl_shm.create_pool with its memfd
attached to the first byte of get_registry (libwayland may send an fd with
earlier bytes than its message's) and the bytes split across writes; the server
answers with wl_shm.format.  Checked: both sides receive exactly what was sent,
the memfd arrives, and the log, read by wire.py, gives create_pool its fd.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

fails = 0


def check(what, ok):
    global fails
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        fails += 1


def msg(obj, opcode, body=b""):
    return struct.pack("<II", obj, ((8 + len(body)) << 16) | opcode) + body


def string(s):
    b = s.encode() + b"\0"
    return struct.pack("<I", len(b)) + b + b"\0" * (-len(b) % 4)


def recv_exact(sock, n, fds):
    data = b""
    while len(data) < n:
        chunk, got, _, _ = socket.recv_fds(sock, n - len(data), 8)
        if not chunk:
            break
        data += chunk
        fds += got
    return data


def main():
    tap, srcdir = sys.argv[1], sys.argv[2]
    paths = [p for p in os.environ.get("RELAY_PROTOCOLS", "").split(":") if p]
    protocols = wire.Protocols(paths) if paths else wire.Protocols.from_build(srcdir)
    with tempfile.TemporaryDirectory(prefix="vsomm-tap-selftest.") as d:
        upstream = os.path.join(d, "upstream")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(upstream)
        lsock.listen(1)
        listen = os.path.join(d, "tap")
        proc = subprocess.Popen([tap, "--listen", listen, "--upstream", upstream, "--log", os.path.join(d, "log")])
        try:
            end = time.monotonic() + 5
            while not os.path.exists(listen) and time.monotonic() < end:
                time.sleep(0.01)
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(listen)
            server, _ = lsock.accept()
            server.settimeout(5)
            client.settimeout(5)

            requests = (msg(1, 1, struct.pack("<I", 2))  # get_registry(new 2)
                        + msg(2, 0, struct.pack("<I", 1) + string("wl_shm") + struct.pack("<II", 1, 3))
                        + msg(3, 0, struct.pack("<II", 4, 4096)))  # create_pool(new 4, fd, 4096)
            memfd = os.memfd_create("tap-selftest")
            os.ftruncate(memfd, 4096)
            socket.send_fds(client, [requests[:5]], [memfd])  # the fd with get_registry's first bytes
            os.close(memfd)
            client.sendall(requests[5:30])
            client.sendall(requests[30:])
            fds = []
            got = recv_exact(server, len(requests), fds)
            check("the server receives the requests byte for byte", got == requests)
            check("the server receives one fd, a memfd of 4096 bytes",
                  len(fds) == 1 and os.fstat(fds[0]).st_size == 4096)
            for fd in fds:
                os.close(fd)

            events = msg(3, 0, struct.pack("<I", 0)) + msg(3, 0, struct.pack("<I", 1))  # wl_shm.format x2
            server.sendall(events)
            back = recv_exact(client, len(events), [])
            check("the client receives the events byte for byte", back == events)
            client.close()
            time.sleep(0.2)
            server.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(5)
            lsock.close()

        entries = wire.read_log(os.path.join(d, "log.0"))
        ms = [e for e in entries if e.kind == "M"]
        check("the log has 3 requests and 2 events",
              [e.dir for e in ms] == ["C", "C", "C", "S", "S"])
        check("the logged messages are the sent ones",
              b"".join(msg(e.id, e.opcode, e.body) for e in ms) == requests + events)
        check("the fd is logged as memfd:4096", [e.fd for e in entries if e.kind == "F"] == ["memfd:4096"])
        t = wire.Tracker(protocols)
        owners = []
        for e in entries:
            if e.kind == "F":
                t.fd_arrived(e.dir, e.fd)
            elif e.kind == "M":
                iface, dec, efds = t.feed(e.dir, e.id, e.opcode, e.body)
                owners.append((iface, dec.msg.name if dec else None, efds))
        check("wire.py gives the fd to create_pool, not to get_registry",
              owners[0] == ("wl_display", "get_registry", []) and
              owners[2] == ("wl_shm", "create_pool", ["memfd:4096"]))
        check("wire.py decodes the untyped new_id of bind", t.objects.get(3) == "wl_shm")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

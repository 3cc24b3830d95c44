#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The relay differential test (issue 15, docs/relay-corpus.md).

usage: replay.py --build BUILD --srcdir SRCDIR --corpus DIR [--keep] SESSION...

For each SESSION of the corpus (recorded by record.sh through the old relay
core), replays it through this build's vsomm and vsomm-host and checks that the
requests the host compositor receives equal the recorded ones, modulo object
ids, with the same fds per message:

- a replay client plays the guest log's requests to vsomm, each once it has
  received as many events as the recorded client had before it, with fresh
  fds of the recorded kinds and sizes;
- a replay compositor, where vsomm-host connects, answers with the host log's
  events, each once it has received as many requests as the recorded Weston
  had before it; object ids the client side created are translated between
  the recording and the live connection by order of creation (the k-th new_id
  of the recorded requests is the k-th of the live ones); ids the server side
  created are the recorded ones;
- the requests it received (the "replayed host log", in wire-tap's format) are
  compared with the recorded host log after naming every object by its order
  of creation (c1, c2... for the client side's, s1, s2... for the server
  side's): the first difference is printed as interface.message(args).

X sessions (host log only: nobody taps Xwayland) cannot be replayed: named,
they fail; without names (every session), they are listed as not replayed.  Exit status: 0 when every session
replayed equal, 1 otherwise.
"""
import argparse
import glob
import os
import re
import selectors
import shutil
import signal
import socket
import stat as S
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402
from wire import EVT, REQ, SERVER_ID_START  # noqa: E402

STALL = 2.0  # seconds without progress before a waiting step goes anyway
MAX_STALLS = 5  # then the replay has diverged: it ends there
QUIET = 0.5  # seconds of silence that end a replay once both scripts are done


def fd_kind(fd):
    st = os.fstat(fd)

    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        target = ""
    if S.S_ISREG(st.st_mode):
        return f"{'memfd' if target.startswith('/memfd:') else 'file'}:{st.st_size}"
    if S.S_ISFIFO(st.st_mode):
        return "pipe"
    if S.S_ISSOCK(st.st_mode):
        return "socket"
    if target.startswith("anon_inode:"):
        return "anon"
    return "other"


def make_fd(kind, keep):
    """A fresh fd of a recorded kind; `keep` gets fds that must stay open."""
    if kind.startswith("memfd:") or kind.startswith("file:"):
        fd = os.memfd_create("relay-replay", os.MFD_CLOEXEC)
        os.ftruncate(fd, int(kind.split(":")[1]))
        return fd
    if kind == "pipe":
        r, w = os.pipe()
        keep.append(r)
        return w
    a, b = socket.socketpair()
    keep.append(a)
    return b.detach()


def is_delete_id(direction, obj, opcode):
    """wl_display.delete_id: libwayland-server queues it without a flush, so it
    leaves with whatever event comes next, at a time no message decides; the
    causal counts leave it out."""
    return direction == EVT and obj == 1 and opcode == 1


class Script:
    """One recorded connection, annotated for replay."""

    def __init__(self, protocols, entries):
        self.p = protocols
        self.steps = []  # (direction, entry, fd kinds, decoded, peer count before it)
        t = wire.Tracker(protocols)
        count = {REQ: 0, EVT: 0}
        for e in entries:
            if e.kind == "F":
                t.fd_arrived(e.dir, e.fd)
            elif e.kind == "M":
                iface, d, fds = t.feed(e.dir, e.id, e.opcode, e.body)
                other = EVT if e.dir == REQ else REQ
                self.steps.append((e.dir, e, fds, d, count[other]))
                if not is_delete_id(e.dir, e.id, e.opcode):
                    count[e.dir] += 1


class HostScript(Script):
    """A host log: its events, with the creation index of every client-side id they name."""

    def __init__(self, protocols, entries):
        super().__init__(protocols, entries)
        binding, k = {}, 0
        self.refs = {}  # step index -> [(offset or -1 for the target, creation index)]
        for i, (direction, e, fds, d, _) in enumerate(self.steps):
            if d is None:
                continue
            if direction == REQ:
                for off, role in wire.id_positions(d):
                    nid = struct.unpack_from("<I", e.body, off)[0]
                    if role == "new" and nid < SERVER_ID_START:
                        binding[nid] = k
                        k += 1
                continue
            refs = []
            if e.id in binding:
                refs.append((-1, binding[e.id]))
            positions = [off for off, role in wire.id_positions(d) if role == "obj"]
            if d.msg.name == "delete_id" and e.id == 1:
                positions.append(0)
            for off in positions:
                v = struct.unpack_from("<I", e.body, off)[0]
                if v != 0 and v < SERVER_ID_START and v in binding:
                    refs.append((off, binding[v]))
            self.refs[i] = refs


class Side:
    """One live connection of the replay: a socket, its script, what came in."""

    def __init__(self, sock, script, sends, log):
        self.sock = sock
        self.script = script
        self.sends = sends  # the direction this side sends (REQ: replay client)
        self.recv_dir = EVT if sends == REQ else REQ
        self.pos = 0  # next step of the script
        self.received = 0  # complete messages received
        self.counted = 0  # the same, without wl_display.delete_id
        self.buf = b""
        self.eof = False
        self.log = log  # the replayed log (compositor side), or None
        self.tracker = wire.Tracker(script.p) if log is not None else None
        self.live_new = []  # live client-side ids, in order of creation
        self.waiting_since = time.monotonic()
        self.stalls = 0

    def next_send(self):
        """The index of the next step this side sends, skipping the peer's."""
        while self.pos < len(self.script.steps) and self.script.steps[self.pos][0] != self.sends:
            self.pos += 1
        return self.pos if self.pos < len(self.script.steps) else None


def recv_all(side, keep):
    try:
        data, fds, _, _ = socket.recv_fds(side.sock, 65536, 253, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        data, fds = b"", []
    for fd in fds:
        kind = fd_kind(fd)
        if side.log is not None:
            side.log.write(f"F {side.recv_dir} {kind}\n")
            side.tracker.fd_arrived(side.recv_dir, kind)
        os.close(fd)
    if not data:
        side.eof = True
        return True
    side.buf += data
    while len(side.buf) >= 8:
        obj, word = struct.unpack_from("<II", side.buf, 0)
        size = word >> 16
        if size < 8:
            side.eof = True
            break
        if len(side.buf) < size:
            break
        body = side.buf[8:size]
        side.buf = side.buf[size:]
        if side.log is not None:
            side.log.write(f"M {side.recv_dir} {side.received} {obj} {word & 0xffff} {size} {body.hex()}\n")
            _, d, _ = side.tracker.feed(side.recv_dir, obj, word & 0xffff, body)
            if d is not None:
                for off, role in wire.id_positions(d):
                    nid = struct.unpack_from("<I", body, off)[0]
                    if role == "new" and nid < SERVER_ID_START:
                        side.live_new.append(nid)
        side.received += 1
        if not is_delete_id(side.recv_dir, obj, word & 0xffff):
            side.counted += 1
    return True


def send_step(side, index, keep, forced):
    direction, e, fds, d, _ = side.script.steps[index]
    body = bytearray(e.body)
    target = e.id
    if isinstance(side.script, HostScript):
        for off, k in side.script.refs.get(index, []):
            if k < len(side.live_new):
                if off < 0:
                    target = side.live_new[k]
                else:
                    struct.pack_into("<I", body, off, side.live_new[k])
    data = struct.pack("<II", target, (e.size << 16) | e.opcode) + bytes(body)
    out_fds = [make_fd(kind, keep) for kind in fds]
    if side.log is not None:
        for kind in fds:
            side.log.write(f"F {direction} {kind}\n")
            side.tracker.fd_arrived(direction, kind)
    try:
        n = socket.send_fds(side.sock, [data], out_fds) if out_fds else side.sock.send(data)
        if n < len(data):
            side.sock.sendall(data[n:])
    except OSError:
        side.eof = True
    for fd in out_fds:
        os.close(fd)
    if side.log is not None:
        side.log.write(f"M {direction} {e.seq} {target} {e.opcode} {e.size} {bytes(body).hex()}\n")
        side.tracker.feed(direction, target, e.opcode, bytes(body))
    if forced:
        side.stalls += 1
    side.pos = index + 1
    side.waiting_since = time.monotonic()


def step(side, keep):
    """Send what is due; True if something was sent."""
    sent = False
    while not side.eof:
        i = side.next_send()
        if i is None:
            return sent
        need = side.script.steps[i][4]
        forced = False
        if side.counted < need:
            if time.monotonic() - side.waiting_since < STALL:
                return sent
            forced = True
            print(f"  stall: {'client' if side.sends == REQ else 'compositor'} step {i} waited "
                  f"{STALL:.0f} s for message {need} of the peer (has {side.counted}): sent anyway")
        send_step(side, i, keep, forced)
        sent = True
    return sent


def wait_path(path, proc, what, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not come up")


def stop(proc):
    """SIGTERM, SIGKILL after 5 s; the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def replay(args, protocols, name, guest_paths, host_paths, vsomm_args, rundir):
    guests = [Script(protocols, wire.read_log(p)) for p in guest_paths]
    hosts = [HostScript(protocols, wire.read_log(p)) for p in host_paths]
    env = dict(os.environ, XDG_RUNTIME_DIR=rundir)
    for v in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY"):
        env.pop(v, None)
    comp_path = os.path.join(rundir, "replay-compositor")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(comp_path)
    lsock.listen(16)
    lsock.setblocking(False)
    procs = []
    keep = []
    logs = []
    statuses = {}
    try:
        host_sock = os.path.join(rundir, "vsomm-host.sock")
        hlog = open(os.path.join(rundir, "vsomm-host.log"), "w")
        procs.append(subprocess.Popen([os.path.join(args.build, "launcher", "vsomm-host"), "--listen", host_sock,
                                       "--compositor", comp_path], env=env, stdout=hlog, stderr=hlog))
        wait_path(host_sock, procs[-1], "vsomm-host")
        vlog = open(os.path.join(rundir, "vsomm.log"), "w")
        procs.append(subprocess.Popen([os.path.join(args.build, "launcher", "vsomm"), "--device",
                                       f"socket:{host_sock}", "--serve", "--socket", "wayland-replay"] + vsomm_args,
                                      env=env, stdout=vlog, stderr=vlog))
        wait_path(os.path.join(rundir, "wayland-replay"), procs[-1], "vsomm")

        sel = selectors.DefaultSelector()
        sel.register(lsock, selectors.EVENT_READ, None)
        clients = []
        for n, g in enumerate(guests):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(os.path.join(rundir, "wayland-replay"))
            s.setblocking(True)
            log = open(os.path.join(rundir, f"{name}.client.{n}"), "w")
            logs.append(log)
            c = Side(s, g, REQ, log)
            clients.append(c)
            sel.register(s, selectors.EVENT_READ, c)
        servers = []
        last_traffic = time.monotonic()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            busy = False
            for side in clients + servers:
                if step(side, keep):
                    busy = True
            scripts_done = all(c.next_send() is None or c.eof for c in clients) and \
                len(servers) >= len(hosts) and all(s.next_send() is None or s.eof for s in servers)
            if busy:
                last_traffic = time.monotonic()
            if scripts_done and time.monotonic() - last_traffic > QUIET:
                break
            if sum(s.stalls for s in clients + servers) > MAX_STALLS:
                print(f"  more than {MAX_STALLS} stalled steps: the replay diverged, it ends here")
                break
            for key, _ in sel.select(timeout=0.05):
                if key.data is None:
                    conn, _ = lsock.accept()
                    conn.setblocking(True)
                    n = len(servers)
                    if n >= len(hosts):
                        print(f"  vsomm-host opened connection {n + 1}: the recording has {len(hosts)}")
                        conn.close()
                        continue
                    log = open(os.path.join(rundir, f"{name}.replayed.{n}"), "w")
                    logs.append(log)
                    srv = Side(conn, hosts[n], EVT, log)
                    servers.append(srv)
                    sel.register(conn, selectors.EVENT_READ, srv)
                else:
                    side = key.data
                    recv_all(side, keep)
                    if side.eof:
                        sel.unregister(side.sock)
                    last_traffic = time.monotonic()
                    side.waiting_since = time.monotonic()
        else:
            print(f"  replay did not finish in {args.timeout} s")
        stalls = sum(s.stalls for s in clients + servers)
        for c in clients:
            c.sock.close()  # the app is done
        # what vsomm-host still sends after the client left belongs to the log too
        end = time.monotonic() + QUIET
        while time.monotonic() < end and any(not s.eof for s in servers):
            for key, _ in sel.select(timeout=0.05):
                if key.data is not None and key.data in servers:
                    recv_all(key.data, keep)
                    if key.data.eof:
                        sel.unregister(key.data.sock)
        for s in servers:
            s.sock.close()
        return len(servers), stalls, statuses
    finally:
        for log in logs:
            log.close()
        for p, what in reversed(list(zip(procs, ("vsomm-host", "vsomm")))):
            statuses[what] = stop(p)
        lsock.close()
        for fd in keep:
            if isinstance(fd, socket.socket):
                fd.close()
            else:
                os.close(fd)


def canonical(protocols, path):
    """The requests of a host log, with objects named by order of creation."""
    t = wire.Tracker(protocols)
    names = {0: "null", 1: "display"}
    count = {REQ: 0, EVT: 0}
    out = []
    for e in wire.read_log(path):
        if e.kind == "F":
            t.fd_arrived(e.dir, e.fd)
            continue
        if e.kind != "M":
            continue
        iface, d, fds = t.feed(e.dir, e.id, e.opcode, e.body)
        target = names.get(e.id, f"?{e.id}")
        if d is None:
            if e.dir == REQ:
                out.append(wire.format_message(iface, d, target, e.opcode, e.body, fds))
            continue
        for off, role in wire.id_positions(d):
            v = struct.unpack_from("<I", e.body, off)[0]
            if role == "new":
                side = REQ if v < SERVER_ID_START else EVT
                count[side] += 1
                names[v] = f"{'c' if side == REQ else 's'}{count[side]}"
        if e.dir == REQ:
            out.append(wire.format_message(iface, d, target, e.opcode, e.body, fds,
                                           lambda v: names.get(v, f"?{v}")))
    return out


def compare(recorded, replayed):
    """None when equal, else a readable description of the first difference."""
    for i, (a, b) in enumerate(zip(recorded, replayed)):
        if a != b:
            ctx = "\n".join(f"      {x}" for x in recorded[max(0, i - 3):i])
            return (f"request {i} differs:\n    before it (both):\n{ctx}\n"
                    f"    recorded: {a}\n    replayed: {b}")
    if len(recorded) != len(replayed):
        i = min(len(recorded), len(replayed))
        more, which = (recorded, "recorded") if len(recorded) > len(replayed) else (replayed, "replayed")
        return (f"{len(recorded)} requests recorded, {len(replayed)} replayed; "
                f"the first {which} only: {more[i]}")
    return None


def read_sessions(corpus):
    sessions, vsomm_args = [], []
    with open(os.path.join(corpus, "sessions.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("|")
            if fields[0] == "vsomm-args":
                vsomm_args = fields[1:]
            else:
                sessions.append(fields)
    return sessions, vsomm_args


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the runtime dir (replayed logs)")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("sessions", nargs="*", help="default: every session of the corpus")
    args = ap.parse_args()
    # RELAY_PROTOCOLS (tests/relay/meson.build): the XML files of protocols/meson.build
    paths = [p for p in os.environ.get("RELAY_PROTOCOLS", "").split(":") if p]
    protocols = wire.Protocols(paths) if paths else wire.Protocols.from_build(args.srcdir)
    sessions, vsomm_args = read_sessions(args.corpus)
    want = set(args.sessions)
    known = {s[0] for s in sessions}
    if want - known:
        print(f"relay: not in the corpus: {', '.join(sorted(want - known))}")
        return 1
    fails = 0
    for name, _secs, kind, _cmd in sessions:
        if want and name not in want:
            continue
        guest = sorted(glob.glob(os.path.join(args.corpus, f"{name}.guest.*.xz")), key=lambda p: int(p.split(".")[-2]))
        host = sorted(glob.glob(os.path.join(args.corpus, f"{name}.host.*.xz")), key=lambda p: int(p.split(".")[-2]))
        if not guest:
            if want:
                print(f"FAIL: {name}: no guest log ({kind} session, host log only): cannot be replayed")
                fails += 1
            else:
                print(f"not replayed: {name} ({kind} session, host log only)")
            continue
        rundir = tempfile.mkdtemp(prefix=f"vsomm-relay-{name}.")
        os.chmod(rundir, 0o700)
        t0 = time.monotonic()
        try:
            nconn, stalls, statuses = replay(args, protocols, name, guest, host, vsomm_args, rundir)
            problems = []
            for what, status in statuses.items():
                with open(os.path.join(rundir, what + ".log")) as f:
                    text = f.read()
                if status != 0:
                    problems.append(f"{what} exited with status {status} after SIGTERM")
                if re.search(r"Sanitizer|runtime error:", text):
                    problems.append(f"{what}: sanitizer report in {what}.log")
            if nconn != len(host):
                problems.append(f"vsomm-host opened {nconn} compositor connection(s), the recording {len(host)}")
            total = 0
            for n, hp in enumerate(host):
                rec = canonical(protocols, hp)
                rp = os.path.join(rundir, f"{name}.replayed.{n}")
                rep = canonical(protocols, rp) if os.path.exists(rp) else []
                total += len(rec)
                diff = compare(rec, rep)
                if diff:
                    problems.append(f"connection {n}: {diff}")
            dt = time.monotonic() - t0
            if problems:
                fails += 1
                print(f"FAIL: {name}: the host compositor receives other requests than recorded ({dt:.1f} s, "
                      f"{stalls} stalled step(s))")
                for p in problems:
                    print("  " + p)
                for logname in ("vsomm.log", "vsomm-host.log"):
                    with open(os.path.join(rundir, logname)) as f:
                        tail = f.read()[-2000:]
                    if tail:
                        print(f"  ---- {logname} ----\n{tail}")
            else:
                print(f"ok: {name}: {total} requests, equal to the recording ({dt:.1f} s)")
        finally:
            if args.keep:
                print(f"  kept {rundir}")
            else:
                shutil.rmtree(rundir, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: MIT
"""The Wayland wire format for the relay corpus (docs/relay-corpus.md).

Signatures come from the protocol XML vsomm is built with
(protocols/list-protocols.py over the same directories as protocols/meson.build),
never from a hand-written table.  Logs are wire-tap's (tests/relay/wire-tap.c).
"""
import lzma
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

SERVER_ID_START = 0xFF000000
NUL = b"\0"
REQ, EVT = "C", "S"  # client to server, server to client


class Arg:
    __slots__ = ("name", "type", "interface")

    def __init__(self, el):
        self.name = el.get("name")
        self.type = el.get("type")
        self.interface = el.get("interface")


class Msg:
    __slots__ = ("name", "args", "destructor", "nfds")

    def __init__(self, el):
        self.name = el.get("name")
        self.args = [Arg(a) for a in el.findall("arg")]
        self.destructor = el.get("type") == "destructor"
        self.nfds = sum(1 for a in self.args if a.type == "fd")


class Protocols:
    """Interfaces by name: .requests and .events, lists of Msg by opcode."""

    def __init__(self, paths):
        self.interfaces = {}
        for path in paths:
            for iface in ET.parse(path).getroot().findall("interface"):
                name = iface.get("name")
                if name in self.interfaces:
                    continue
                self.interfaces[name] = {
                    REQ: [Msg(m) for m in iface.findall("request")],
                    EVT: [Msg(m) for m in iface.findall("event")],
                }

    @classmethod
    def from_build(cls, srcdir):
        """The XML of protocols/meson.build: pkg-config's directories + protocols/weston."""

        def var(pkg):
            return subprocess.run(["pkg-config", "--variable=pkgdatadir", pkg], check=True,
                                  capture_output=True, text=True).stdout.strip()

        out = subprocess.run([sys.executable, os.path.join(srcdir, "protocols", "list-protocols.py"),
                              var("wayland-scanner"), var("wayland-protocols"),
                              os.path.join(srcdir, "protocols", "weston")],
                             check=True, capture_output=True, text=True).stdout
        return cls([p for p in out.split("\n") if p])

    def message(self, interface, direction, opcode):
        msgs = self.interfaces.get(interface, {}).get(direction)
        if msgs is None or opcode >= len(msgs):
            return None
        return msgs[opcode]


class Decoded:
    """One message's arguments: (arg, offset in the body, value), in order.
    Values: int for int/uint/fixed/object/new_id, bytes for string/array, None for fd.
    For an untyped new_id (wl_registry.bind) the interface name is in .iface_of."""

    __slots__ = ("msg", "args", "iface_of")

    def __init__(self, msg):
        self.msg = msg
        self.args = []
        self.iface_of = {}


def decode(msg, body):
    d = Decoded(msg)
    off = 0

    def u32():
        nonlocal off
        if off + 4 > len(body):
            raise ValueError("message body too short")
        v = struct.unpack_from("<I", body, off)[0]
        off += 4
        return v

    def blob():
        nonlocal off
        n = u32()
        start = off
        off += (n + 3) & ~3
        if off > len(body):
            raise ValueError("string/array past the body")
        return body[start:start + n]

    for a in msg.args:
        if a.type in ("string", "array"):
            d.args.append((a, off, blob()))
        elif a.type == "fd":
            d.args.append((a, off, None))
        elif a.type == "new_id" and a.interface is None:
            name = blob()
            d.args.append((a, off, name))  # marker: the interface name
            d.args.append((a, off, u32()))  # version (kept as a plain value)
            start = off
            nid = u32()
            d.args.append((a, start, nid))
            d.iface_of[nid] = name.rstrip(b"\0").decode()
        else:
            start = off
            v = u32()
            d.args.append((a, start, v))
            if a.type == "new_id":
                d.iface_of[v] = a.interface
    return d


def id_positions(d):
    """(offset, kind) of every object id in a decoded body: kind 'obj' or 'new'."""
    out = []
    i = 0
    while i < len(d.args):
        a, off, _ = d.args[i]
        if a.type == "new_id" and a.interface is None:
            out.append((d.args[i + 2][1], "new"))  # name, version, then the id
            i += 3
            continue
        if a.type in ("object", "new_id"):
            out.append((off, "obj" if a.type == "object" else "new"))
        i += 1
    return out


class Entry:
    """One line of a wire-tap log."""

    __slots__ = ("kind", "dir", "seq", "id", "opcode", "size", "body", "fd", "fds")

    def __init__(self, kind, direction):
        self.kind = kind
        self.dir = direction
        self.fds = []


def read_log(path):
    opener = lzma.open if path.endswith(".xz") else open
    entries = []
    with opener(path, "rt") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            e = Entry(parts[0], parts[1])
            if e.kind == "M":
                e.seq, e.id, e.opcode, e.size = (int(x) for x in parts[2:6])
                e.body = bytes.fromhex(parts[6]) if len(parts) > 6 else b""
            elif e.kind == "F":
                e.fd = parts[2]
            entries.append(e)
    return entries


class Tracker:
    """The objects of one connection, as one side sees them: id -> interface.
    feed() decodes a message, attributes fds to it in order (each message takes
    as many as its signature has fd arguments) and records what it creates."""

    def __init__(self, protocols):
        self.p = protocols
        self.objects = {1: "wl_display"}
        self.pending_fds = {REQ: [], EVT: []}

    def fd_arrived(self, direction, fd):
        self.pending_fds[direction].append(fd)

    def feed(self, direction, obj, opcode, body):
        """(interface, Decoded or None, fds) of a message; new objects are recorded."""
        iface = self.objects.get(obj)
        msg = self.p.message(iface, direction, opcode) if iface else None
        if msg is None:
            return iface, None, []
        d = decode(msg, body)
        q = self.pending_fds[direction]
        fds, self.pending_fds[direction] = q[:msg.nfds], q[msg.nfds:]
        for nid, name in d.iface_of.items():
            self.objects[nid] = name
        if iface == "wl_display" and direction == EVT and msg.name == "delete_id":
            self.objects.pop(d.args[0][2], None)
        return iface, d, fds


def format_message(iface, d, target, opcode, body, fds, name_of=lambda v: f"#{v}"):
    """interface#target.message(args) fds=...; name_of labels the object ids."""
    if d is None:
        return f"{iface or '?'}#{target}.opcode{opcode} [{body.hex()}]"
    parts = []
    i = 0
    while i < len(d.args):
        a, _, v = d.args[i]
        if a.type == "new_id" and a.interface is None:
            parts.append(f"new {v.rstrip(NUL).decode()} v{d.args[i + 1][2]} {name_of(d.args[i + 2][2])}")
            i += 3
            continue
        if a.type == "string":
            parts.append(repr(v.rstrip(NUL).decode(errors="replace")))
        elif a.type == "array":
            parts.append(f"[{v.hex()}]")
        elif a.type == "fd":
            parts.append("fd")
        elif a.type in ("object", "new_id"):
            parts.append(("new " if a.type == "new_id" else "") + name_of(v))
        elif a.type == "int":
            parts.append(str(struct.unpack("<i", struct.pack("<I", v))[0]))
        elif a.type == "fixed":
            parts.append(str(struct.unpack("<i", struct.pack("<I", v))[0] / 256))
        else:
            parts.append(str(v))
        i += 1
    s = f"{iface}#{target}.{d.msg.name}({', '.join(parts)})"
    if fds:
        s += " fds=" + ",".join(fds)
    return s

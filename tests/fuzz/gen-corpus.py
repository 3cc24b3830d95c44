#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/NAME/) from
valid commands: python3 tests/fuzz/gen-corpus.py [OUTDIR].

Each seed is a small, well-formed input of its target's format (see the
comment at the top of each fuzz-*.c); the fuzzer mutates from there.  Files
named regress-* are reproducers of bugs found by fuzzing: this script never
touches them."""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")

# cross-domain commands (cross-domain/protocol.h)
INIT, GIR, POLL, SEND, RECEIVE, READ, WRITE = 1, 2, 3, 4, 5, 6, 7
BLOB, SYNC, READ_PIPE, WRITE_PIPE = 1, 2, 3, 4
ARGB8888 = 0x34325241
XRGB8888 = 0x34325258


def hdr(cmd, size):
    return struct.pack("<BBHI", cmd, 0, size, 0)


def xd_init(q, ch, ctype=1, legacy=False):
    if legacy:
        return hdr(INIT, 16) + struct.pack("<II", q, ctype)
    return hdr(INIT, 20) + struct.pack("<III", q, ch, ctype)


def xd_gir(w, h, fmt=ARGB8888, flags=0):
    return hdr(GIR, 24) + struct.pack("<IIII", w, h, fmt, flags)


def xd_poll():
    return hdr(POLL, 16) + bytes(8)


def sendrecv(cmd, ids, payload, cmd_size=None):
    n = len(ids)
    idv = [i for i, _, _ in ids] + [0] * (28 - n)
    tv = [t for _, t, _ in ids] + [0] * (28 - n)
    sv = [s for _, _, s in ids] + [0] * (28 - n)
    size = 352 + len(payload) if cmd_size is None else cmd_size
    return (hdr(cmd, size) + struct.pack("<II", n, len(payload)) +
            struct.pack("<28I", *idv) + struct.pack("<28I", *tv) +
            struct.pack("<28I", *sv) + payload)


def readwrite(cmd, ident, hang_up, payload, cmd_size=None):
    size = 24 + len(payload) if cmd_size is None else cmd_size
    return hdr(cmd, size) + struct.pack("<IIII", ident, hang_up, len(payload), 0) + payload


# a Wayland message: wl_display.get_registry(new_id 2), wl_display.sync(3)
WL_HELLO = struct.pack("<IHHI", 1, 1, 12, 2) + struct.pack("<IHHI", 1, 0, 12, 3)


def wire_seeds():
    yield "init", xd_init(1, 2)
    yield "init-legacy", xd_init(1, 0, legacy=True)
    yield "gir", xd_gir(64, 64)
    yield "poll", xd_poll()
    yield "send", sendrecv(SEND, [], WL_HELLO)
    yield "send-ids", sendrecv(SEND, [(3, BLOB, 4096), (0x80000001, READ_PIPE, 0)], WL_HELLO)
    yield "write", readwrite(WRITE, 5, 0, b"text/plain")
    yield "write-hangup", readwrite(WRITE, 5, 1, b"")
    yield "stream", xd_init(1, 2) + xd_gir(16, 16) + xd_poll() + sendrecv(SEND, [], b"x" * 40)
    yield "receive", sendrecv(RECEIVE, [(2, BLOB, 4096), (3, WRITE_PIPE, 0)], WL_HELLO, 0)
    yield "read", readwrite(READ, 0x80000001, 0, b"abc", 0)
    yield "read-hangup", readwrite(READ, 0x80000001, 1, b"", 0)


# ---- fuzz-device.c: a script of operations ----
def d_raw(b):
    return bytes([0, 0]) + struct.pack("<H", len(b)) + b


def d_ctx(ctx=0):
    return bytes([1, ctx, 0])


def d_guest_blob(ctx, res, pages=0):
    return bytes([2, ctx, res, pages])


def d_init(ctx, q, ch, ctype=1):
    return bytes([3, ctx, q, ch, ctype])


def d_submit(ctx, ring, payload):
    return bytes([4, ctx, ring]) + struct.pack("<H", len(payload)) + payload


def d_comp(payload, kind=0, fd_size=0):
    return bytes([5, 0, kind]) + struct.pack("<HH", fd_size, len(payload)) + payload


def d_dispatch():
    return bytes([6, 0])


def d_host3d(ctx, res, blob_id, size64):
    return bytes([7, ctx, res, blob_id]) + struct.pack("<H", size64)


def d_teardown(ctx, what, res):
    return bytes([8, ctx, what, res])


def d_send(ctx, ids, payload):
    out = bytes([9, ctx, 1, len(ids)])
    for ident, t, s in ids:
        out += bytes([ident, t]) + struct.pack("<H", s)
    return out + struct.pack("<H", len(payload)) + payload


def d_write(ctx, ident, hang_up, payload):
    return bytes([9, ctx, 0, ident, hang_up]) + struct.pack("<H", len(payload)) + payload


def device_seeds():
    # context 1, query ring = res 1, channel ring = res 2, WAYLAND channel
    setup = d_ctx(0) + d_guest_blob(0, 0) + d_guest_blob(0, 1) + d_init(0, 0, 1)
    poll = d_submit(0, 1, xd_poll())
    yield "setup", setup
    yield "send", setup + poll + d_send(0, [], WL_HELLO) + d_dispatch()
    yield "receive", setup + poll + d_comp(WL_HELLO) + d_dispatch() + poll + d_dispatch()
    yield "receive-memfd", (setup + poll + d_comp(WL_HELLO, 1, 256) + d_dispatch() +
                            d_host3d(0, 0, 2, 64) + poll + d_dispatch())
    yield "receive-write-pipe", (setup + poll + d_comp(WL_HELLO, 2) + d_dispatch() + poll +
                                 d_write(0, 2, 0, b"data") + d_write(0, 2, 1, b"") +
                                 d_dispatch())
    yield "receive-read-pipe", setup + poll + d_comp(WL_HELLO, 3) + d_dispatch() + poll
    yield "receive-socket", setup + poll + d_comp(WL_HELLO, 4) + d_dispatch() + poll
    yield "receive-dir", setup + poll + d_comp(WL_HELLO, 5) + d_dispatch() + poll
    yield "image", (setup + d_submit(0, 0, xd_gir(64, 64)) + d_host3d(0, 0, 2, 256) +
                    d_dispatch())
    yield "send-blob", (setup + d_guest_blob(0, 2) +
                        d_send(0, [(3, BLOB, 4096)], WL_HELLO) + d_dispatch())
    yield "send-read-pipe", (setup + poll + d_send(0, [(1, READ_PIPE, 0)], WL_HELLO) +
                             d_dispatch() + d_comp(b"x", 0) + d_dispatch())
    yield "teardown", (setup + poll + d_send(0, [], WL_HELLO) + d_teardown(0, 1, 1) +
                       d_teardown(0, 0, 0) + d_teardown(0, 2, 0))
    yield "two-contexts", (setup + d_ctx(1) + d_guest_blob(1, 4) + d_guest_blob(1, 5) +
                           d_init(1, 4, 5) + poll + d_submit(1, 1, xd_poll()) +
                           d_comp(WL_HELLO) + d_dispatch())
    yield "raw-stream", setup + d_submit(0, 2, xd_gir(8, 8) + xd_poll() +
                                         sendrecv(SEND, [], b"y" * 16))
    # a raw CTX_CREATE (virtio_gpu_ctx_create: hdr 24 + nlen + context_init + name 64)
    raw_ctx = struct.pack("<IIQIBBBB", 0x0200, 0, 0, 3, 0, 0, 0, 0) + struct.pack(
        "<II", 4, 5) + b"fuzz".ljust(64, b"\0")
    yield "raw-ctx", d_raw(raw_ctx)


# ---- virtio-gpu control commands (<linux/virtio_gpu.h>) ----
CTX_CREATE, CTX_DESTROY, CTX_ATTACH, CTX_DETACH = 0x200, 0x201, 0x202, 0x203
SUBMIT_3D, MAP_BLOB = 0x207, 0x208
RES_UNREF, GET_CAPSET_INFO, GET_CAPSET, CREATE_BLOB = 0x102, 0x108, 0x109, 0x10C
FLAG_FENCE, FLAG_RING_IDX = 1, 2


def vhdr(typ, ctx=0, flags=0, fence=0, ring=0):
    return struct.pack("<IIQIBBBB", typ, flags, fence, ctx, ring, 0, 0, 0)


def v_ctx_create(ctx, capset=5):
    return vhdr(CTX_CREATE, ctx) + struct.pack("<II", 4, capset) + b"fuzz".ljust(64, b"\0")


def v_blob(res, size, mem=1, blob_id=0, ctx=0, flags=1):
    return vhdr(CREATE_BLOB, ctx) + struct.pack("<IIIIQQ", res, mem, flags, 0, blob_id, size)


def v_attach(ctx, res):
    return vhdr(CTX_ATTACH, ctx) + struct.pack("<II", res, 0)


def v_submit(ctx, payload, ring=None, fence=0):
    if ring is None:
        h = vhdr(SUBMIT_3D, ctx)
    else:
        h = vhdr(SUBMIT_3D, ctx, FLAG_FENCE | FLAG_RING_IDX, fence, ring)
    return h + struct.pack("<II", len(payload), 0) + payload


# ---- fuzz-socket.c: a script of frames ----
def s_frame(payload, flags=0, tag=1, kind=0, fd_size=0):
    return bytes([1, flags, tag, kind]) + struct.pack("<HH", fd_size, len(payload)) + payload


def s_blob(res, size64, tag, kind=0):
    return bytes([3, res]) + struct.pack("<H", size64) + bytes([kind, tag])


def s_settle():
    return bytes([2])


def socket_seeds():
    setup = (s_frame(vhdr(GET_CAPSET_INFO) + struct.pack("<II", 0, 0), tag=1) +
             s_frame(vhdr(GET_CAPSET) + struct.pack("<II", 5, 0), tag=2) +
             s_frame(v_ctx_create(1), tag=3) + s_blob(1, 64, 4) + s_blob(2, 64, 5) +
             s_frame(v_attach(1, 1), tag=6) + s_frame(v_attach(1, 2), tag=7) +
             s_frame(v_submit(1, xd_init(1, 2)), flags=2, tag=8) + s_settle())
    poll = s_frame(v_submit(1, xd_poll(), ring=1, fence=1), flags=2, tag=9)
    yield "setup", setup
    yield "poll-send", setup + poll + s_frame(v_submit(1, sendrecv(SEND, [], WL_HELLO)),
                                              flags=2, tag=10) + s_settle()
    yield "image-blob", setup + s_frame(v_submit(1, xd_gir(32, 32), ring=0, fence=2), tag=11) + \
        s_frame(v_blob(3, 4096, mem=2, blob_id=2, ctx=1, flags=3), tag=12) + \
        s_frame(vhdr(MAP_BLOB) + struct.pack("<IIQ", 3, 0, 0), tag=13) + s_settle()
    yield "blob-fd-pipe", setup + s_blob(3, 64, 14, kind=1)
    yield "blob-fd-dir", setup + s_blob(3, 64, 14, kind=3)
    yield "blob-fd-small", setup + s_blob(3, 64, 14, kind=0x80) + bytes([0, 0])
    yield "fd-on-ctx", s_frame(v_ctx_create(1), flags=4, tag=1, kind=0, fd_size=4096)
    yield "bad-flags", s_frame(v_ctx_create(1), flags=0x10, tag=1)
    yield "half-frame", bytes([0]) + struct.pack("<H", 20) + struct.pack("<IIQ", 96, 0, 1) + \
        b"\0" * 4 + bytes([4])
    yield "teardown", setup + poll + s_frame(vhdr(CTX_DESTROY, 1), tag=20) + \
        s_frame(vhdr(RES_UNREF) + struct.pack("<II", 1, 0), tag=21) + s_settle()


# ---- fuzz-channel.c: host writes into the channel ring ----
def c_ring(msg):
    return bytes([0]) + struct.pack("<H", len(msg)) + msg


def channel_seeds():
    recv = sendrecv(RECEIVE, [], WL_HELLO, 0)
    yield "receive", c_ring(recv) + c_ring(recv)
    yield "receive-blob", c_ring(sendrecv(RECEIVE, [(2, BLOB, 4096)], WL_HELLO, 0))
    yield "receive-write-pipe", (c_ring(sendrecv(RECEIVE, [(3, WRITE_PIPE, 0)], WL_HELLO, 0)) +
                                 bytes([4]) + struct.pack("<H", 5) + b"hello" + bytes([5]))
    yield "receive-blob0-pipe", c_ring(sendrecv(RECEIVE, [(3, BLOB, 0)], WL_HELLO, 0)) + bytes([5])
    yield "read-pipe", (bytes([3, 4]) + b"abcde" +
                        c_ring(readwrite(READ, 0x80000001, 0, b"text", 0)) +
                        c_ring(readwrite(READ, 0x80000001, 1, b"", 0)))
    yield "read-unknown", c_ring(readwrite(READ, 0x80000007, 0, b"text", 0))
    yield "eof", c_ring(sendrecv(RECEIVE, [], b"", 0))
    yield "empty-fence", bytes([1])
    yield "two-fences", bytes([2])
    yield "garbage", c_ring(b"\x09" + bytes(40))


# ---- fuzz-proxy.c: a guest's Wayland bytes, fake host operations ----
# The fake host's globals, by name (fuzz-proxy.c host_globals).
G_COMPOSITOR, G_SUBCOMPOSITOR, G_SHM, G_WM_BASE, G_DDM, G_SEAT, G_OUTPUT = range(1, 8)
F_NO_SHADOWS, F_TRACE, F_NO_HOST, F_SMALL_LIMITS = 1, 2, 4, 8
FD_MEMFD, FD_PIPE_READ, FD_PIPE_WRITE, FD_NULL = 0, 1, 2, 3
(H_RELEASE, H_CONFIGURE, H_PING, H_TOGGLE_GLOBAL, H_POST_ERROR, H_DISCONNECT, H_SELECTION,
 H_KEYMAP) = range(8)


def wl_msg(obj, opcode, *args):
    """args: ('i', n) / ('u', n) / ('s', str) / ('n', id) / ('o', id) / ('h',) (fd: no bytes)"""
    body = b""
    for a in args:
        kind = a[0]
        if kind == "i":
            body += struct.pack("<i", a[1])
        elif kind in "uno":
            body += struct.pack("<I", a[1])
        elif kind == "s":
            raw = a[1].encode() + b"\0"
            body += struct.pack("<I", len(raw)) + raw + b"\0" * (-len(raw) % 4)
    return struct.pack("<IHH", obj, opcode, 8 + len(body)) + body


def p_chunk(data, fds=()):
    sel = len(fds)
    for k, kind in enumerate(fds):
        sel |= kind << (2 + 2 * k)
    return bytes([0, sel]) + struct.pack("<H", len(data)) + data


def p_host(kind, arg=0):
    return bytes([1, kind, arg])


def p_bytewise(data):
    return bytes([3]) + struct.pack("<H", len(data)) + data


def bind(name, iface, version, new_id):
    return wl_msg(2, 0, ("u", name), ("s", iface), ("u", version), ("n", new_id))


REG = wl_msg(1, 1, ("n", 2))


def sync(cb):
    return wl_msg(1, 0, ("n", cb))


# ids of a typical client (after REG = 2); libwayland wants new ids in order
COMP, SHM, WM, DDM, SEAT, SUBC, OUTPUT = 3, 4, 5, 6, 7, 8, 9
BINDS = (bind(G_COMPOSITOR, "wl_compositor", 4, COMP) + bind(G_SHM, "wl_shm", 1, SHM) +
         bind(G_WM_BASE, "xdg_wm_base", 2, WM) + bind(G_DDM, "wl_data_device_manager", 3, DDM) +
         bind(G_SEAT, "wl_seat", 5, SEAT) + bind(G_SUBCOMPOSITOR, "wl_subcompositor", 1, SUBC) +
         bind(G_OUTPUT, "wl_output", 2, OUTPUT))
SURF, POOL, BUF, CB = 10, 11, 12, 13  # shm_frame()
FIRST_FREE = 14


def shm_frame(w=64, h=64, fmt=1, pool_size=65536):
    return (wl_msg(COMP, 0, ("n", SURF)) +
            wl_msg(SHM, 0, ("n", POOL), ("h",), ("i", pool_size)) +
            wl_msg(POOL, 0, ("n", BUF), ("i", 0), ("i", w), ("i", h), ("i", w * 4), ("u", fmt)) +
            wl_msg(SURF, 1, ("o", BUF), ("i", 0), ("i", 0)) +
            wl_msg(SURF, 2, ("i", 0), ("i", 0), ("i", w), ("i", h)) +
            wl_msg(SURF, 3, ("n", CB)) + wl_msg(SURF, 6))


def proxy_seeds():
    yield "registry", bytes([0]) + p_chunk(REG + sync(3))
    yield "bind-all", bytes([0]) + p_chunk(REG + BINDS + sync(10))
    yield "surface", bytes([0]) + p_chunk(REG + BINDS + wl_msg(COMP, 0, ("n", SURF)) +
                                          wl_msg(SURF, 6) + wl_msg(SURF, 3, ("n", 11)) +
                                          wl_msg(SURF, 6) + wl_msg(SURF, 0) + sync(12))
    frame = p_chunk(REG + BINDS + shm_frame() + sync(FIRST_FREE), [FD_MEMFD])
    yield "shm", bytes([0]) + frame + p_host(H_RELEASE) + p_chunk(
        wl_msg(SURF, 2, ("i", 8), ("i", 8), ("i", 16), ("i", 16)) + wl_msg(SURF, 6) +
        wl_msg(BUF, 0) + wl_msg(POOL, 2, ("i", 131072)) + wl_msg(POOL, 1) + sync(FIRST_FREE + 1))
    yield "shm-passthrough", bytes([F_NO_SHADOWS]) + frame + p_host(H_RELEASE)
    yield "shm-trace", bytes([F_TRACE]) + frame
    yield "shm-small-limits", bytes([F_SMALL_LIMITS]) + p_chunk(
        REG + BINDS + shm_frame(w=1024, h=512, pool_size=1 << 21), [FD_MEMFD])
    yield "shm-bad-fd", bytes([0]) + p_chunk(REG + BINDS + shm_frame(), [FD_PIPE_READ])
    yield "shm-null-fd", bytes([0]) + p_chunk(REG + BINDS + shm_frame(), [FD_NULL])
    xsurf, top = 11, 12
    yield "xdg", bytes([0]) + p_chunk(
        REG + BINDS + wl_msg(COMP, 0, ("n", SURF)) +
        wl_msg(WM, 2, ("n", xsurf), ("o", SURF)) + wl_msg(xsurf, 1, ("n", top)) +
        wl_msg(top, 2, ("s", "title")) + wl_msg(top, 3, ("s", "app")) + wl_msg(SURF, 6) +
        sync(13)) + p_host(H_CONFIGURE, 100) + p_host(H_PING) + p_chunk(
        wl_msg(xsurf, 4, ("u", 1)) + wl_msg(WM, 3, ("u", 2)) + wl_msg(SURF, 6) +
        wl_msg(top, 0) + wl_msg(xsurf, 0) + wl_msg(SURF, 0))
    dev, src = 11, 12
    yield "data-device", bytes([0]) + p_chunk(
        REG + BINDS + wl_msg(COMP, 0, ("n", SURF)) +
        wl_msg(DDM, 1, ("n", dev), ("o", SEAT)) + wl_msg(DDM, 0, ("n", src)) +
        wl_msg(src, 0, ("s", "text/plain")) + wl_msg(dev, 1, ("o", src), ("u", 0)) +
        sync(13)) + p_host(H_SELECTION, 0) + p_chunk(
        wl_msg(0xff000000, 1, ("s", "text/plain"), ("h",)), [FD_PIPE_WRITE]) + \
        p_host(H_SELECTION, 1) + p_chunk(wl_msg(0xff000000, 2) + wl_msg(dev, 2))
    yield "keyboard", bytes([0]) + p_chunk(
        REG + BINDS + wl_msg(SEAT, 1, ("n", 10)) + wl_msg(SEAT, 0, ("n", 11)) +
        sync(12)) + p_host(H_KEYMAP) + p_chunk(wl_msg(10, 0) + wl_msg(11, 1))
    yield "subsurface", bytes([0]) + p_chunk(
        REG + BINDS + wl_msg(COMP, 0, ("n", SURF)) + wl_msg(COMP, 0, ("n", 11)) +
        wl_msg(SUBC, 1, ("n", 12), ("o", 11), ("o", SURF)) + wl_msg(12, 1, ("i", 5), ("i", 5)) +
        wl_msg(COMP, 1, ("n", 13)) + wl_msg(13, 1, ("i", 0), ("i", 0), ("i", 9), ("i", 9)) +
        wl_msg(SURF, 4, ("o", 13)) + wl_msg(SURF, 6) + wl_msg(12, 0) + sync(14))
    yield "host-error", bytes([0]) + p_chunk(REG + BINDS + sync(10)) + p_host(H_POST_ERROR, 3)
    yield "host-disconnect", bytes([0]) + p_chunk(REG + BINDS) + p_host(H_DISCONNECT)
    yield "global-removed", bytes([0]) + p_chunk(REG + sync(3)) + p_host(H_TOGGLE_GLOBAL) + \
        p_chunk(bind(G_DDM, "wl_data_device_manager", 3, 4)) + p_host(H_TOGGLE_GLOBAL) + \
        p_chunk(sync(5))
    yield "no-host", bytes([F_NO_HOST]) + p_chunk(REG + sync(3))
    yield "bytewise", bytes([0]) + p_bytewise(REG + BINDS + sync(10))
    yield "not-reading", bytes([0]) + bytes([2]) + p_chunk(REG + BINDS + sync(10))
    yield "errors", bytes([0]) + p_chunk(REG + BINDS + wl_msg(77, 0) + wl_msg(COMP, 9) +
                                         bind(99, "wl_shm", 1, 10) + bind(G_SHM, "wl_shm", 9, 11))


# ---- vhost-user front-end scripts (fuzz-vhost-user.c's operations) ----
def vu_op(op, *b):
    return bytes([op, *b])


def vhost_user_seeds():
    setup = (vu_op(8) + vu_op(2, 1, 5) +            # handshake; memory table (whole)
             vu_op(3, 0, 71, 6, 0, 0) +             # ring 0: 64 entries, addresses, base, kick
             vu_op(3, 0, 192))                      # ring 0: call fd
    ctx = setup + vu_op(6, 0, 0, 0, 0) + vu_op(5, 0, 1, 0)           # cross-domain context
    ctx_memfd = setup + vu_op(6, 0, 0, 0, 1) + vu_op(5, 0, 1, 0)     # memfd blobs (capset 6)
    yield "setup", setup
    yield "ctx", ctx
    map_unmap = (vu_op(6, 2, 0, 0, 1, 0x40, 0) + vu_op(5, 2, 1, 0) +   # HOST3D blob, 4 KiB
                 vu_op(6, 3, 0, 0, 0, 0) + vu_op(5, 4, 1, 0) +         # MAP_BLOB: SHMEM_MAP
                 vu_op(7, 0) +                                         # its ack
                 vu_op(6, 4, 0, 0, 0) + vu_op(5, 6, 1, 0) +            # UNMAP_BLOB: SHMEM_UNMAP
                 vu_op(7, 2))                                          # its ack
    yield "memfd-map-unmap", ctx_memfd + map_unmap
    yield "memfd-map-refused", (ctx_memfd + vu_op(6, 2, 0, 0, 1, 0x40, 0) + vu_op(5, 2, 1, 0) +
                                vu_op(6, 3, 0, 0, 0, 0) + vu_op(5, 4, 1, 0) + vu_op(7, 4))
    yield "memfd-map-stalled", (ctx_memfd + vu_op(6, 2, 0, 0, 1, 0x40, 0) + vu_op(5, 2, 1, 0) +
                                vu_op(6, 3, 0, 0, 0, 0) + vu_op(5, 4, 1, 0) + vu_op(9) +
                                vu_op(6, 4, 0, 0, 1) + vu_op(5, 6, 1, 0))
    yield "guest-blob", ctx + vu_op(6, 1, 0, 0, 0, 0x00, 0x80, 0, 0x00, 0x10) + vu_op(5, 2, 1, 0)
    yield "host3d-map", (ctx + vu_op(6, 2, 0, 0, 1, 0x40, 0) + vu_op(5, 2, 1, 0) +
                         vu_op(6, 3, 0, 0, 0, 0) + vu_op(5, 4, 1, 0) + vu_op(7, 0) +
                         vu_op(6, 4, 0, 0, 0) + vu_op(5, 6, 1, 0) + vu_op(7, 2))
    yield "unref", ctx + vu_op(6, 4, 0, 0, 1) + vu_op(5, 2, 1, 0) + vu_op(7, 4)
    yield "fuzzed-chain", ctx + vu_op(5, 3, 3, 1, 0, 0x40, 0, 0x10, 0, 1, 4, 0, 0x48, 0, 0x10, 0,
                                      3, 5, 0, 0x50, 0, 0x10, 0, 2, 6)
    hdr = struct.pack("<III", 1, 1, 0)              # GET_FEATURES
    yield "partial", vu_op(0, 0, 5, 0) + hdr[:5] + vu_op(9) + vu_op(0, 0, 7, 0) + hdr[5:]
    yield "messages", b"".join(vu_op(1, i, 8, i % 5, 8, 0) + bytes(8) for i in range(22))
    yield "mem-table-fuzzed", vu_op(8) + vu_op(2, 2, 6, 0, 0, 0, 1, 12, 0, 0, 0, 1, 0, 0, 1, 0,
                                               0x10, 0, 0, 0, 0, 0, 0, 4)


# fuzz-xwm-props.c: format selector (0: 8, 1: 16, 2: 32), type selector
# (1: the expected type), a _NET_WM_MOVERESIZE direction, the value.
def xp(fmt, value, direction=0, typ=1):
    return struct.pack("<BBI", fmt, typ, direction) + value


# ---- fuzz-message.c: records of flags (bit 0 event, bits 1-3 fds), u16 size, bytes ----
def m_req(msg, fds=0):
    return bytes([fds << 1]) + struct.pack("<H", len(msg)) + msg


def m_ev(msg, fds=0):
    return bytes([1 | fds << 1]) + struct.pack("<H", len(msg)) + msg


def H(guest_id):
    return guest_id + 1


def message_seeds():
    # vsomm's own object takes host id 2: the guest's ids from 2 are translated
    base = m_req(REG) + b"".join(m_req(wl_msg(2, 0, ("u", n), ("s", i), ("u", v), ("n", id_)))
                                 for n, i, v, id_ in ((1, "wl_compositor", 4, COMP),
                                                      (3, "wl_shm", 1, SHM),
                                                      (4, "xdg_wm_base", 2, WM),
                                                      (5, "wl_data_device_manager", 3, DDM),
                                                      (6, "wl_seat", 5, SEAT),
                                                      (7, "wl_subcompositor", 1, SUBC),
                                                      (8, "wl_output", 2, OUTPUT)))
    frame = (m_req(wl_msg(COMP, 0, ("n", SURF))) +
             m_req(wl_msg(SHM, 0, ("n", POOL), ("h",), ("i", 65536)), fds=1) +
             m_req(wl_msg(POOL, 0, ("n", BUF), ("i", 0), ("i", 64), ("i", 64), ("i", 256),
                          ("u", 1))) +
             m_req(wl_msg(SURF, 1, ("o", BUF), ("i", 0), ("i", 0))) +
             m_req(wl_msg(SURF, 3, ("n", CB))) + m_req(wl_msg(SURF, 6)))
    # host ids of the guest's objects from 2 are one above (H)
    yield "registry", base + m_ev(wl_msg(H(2), 0, ("u", 7), ("s", "wl_output"), ("u", 4)))
    yield "frame", base + frame + m_ev(wl_msg(H(BUF), 0)) + m_ev(wl_msg(H(CB), 0, ("u", 1234))) + \
        m_ev(wl_msg(1, 1, ("u", CB)))
    # a data offer the host creates (server id), then destroyed by the guest
    yield "offer", base + m_req(wl_msg(DDM, 1, ("n", 10), ("o", SEAT))) + \
        m_ev(wl_msg(H(10), 0, ("n", 0xff000000))) + \
        m_ev(wl_msg(0xff000000, 0, ("s", "text/plain"))) + \
        m_req(wl_msg(0xff000000, 1, ("s", "text/plain"), ("h",)), fds=1) + \
        m_req(wl_msg(0xff000000, 2))
    # wl_keyboard.enter with an array of keys
    yield "keys", base + m_req(wl_msg(SEAT, 1, ("n", 10))) + m_req(wl_msg(COMP, 0, ("n", 11))) + \
        m_ev(struct.pack("<IHHIII", H(10), 1, 28, 5, H(11), 8) + struct.pack("<II", 30, 31))
    # a request split across two writes, its fd with the second half
    bind_output = wl_msg(2, 0, ("u", 9), ("s", "wl_output"), ("u", 2), ("n", 10))
    yield "split", base + m_req(bind_output[:13]) + m_req(bind_output[13:], fds=1)
    yield "toplevel", base + m_req(wl_msg(COMP, 0, ("n", SURF))) + \
        m_req(wl_msg(WM, 2, ("n", 11), ("o", SURF))) + m_req(wl_msg(11, 1, ("n", 12))) + \
        m_req(wl_msg(12, 2, ("s", "a title"))) + m_req(wl_msg(12, 3, ("s", "app.id")))


def xwm_props_seeds():
    hints = struct.pack("<18I", (1 << 4) | (1 << 5) | (1 << 8), 0, 0, 0, 0, 100, 50, 800, 600,
                        1, 1, 0, 0, 0, 0, 20, 30, 1)
    return [
        ("utf8-title", xp(0, "héllo wörld ☃".encode())),
        ("latin1-title", xp(4, b"caf\xe9 cr\xe8me", typ=1)),
        ("bad-utf8", xp(0, b"a\xff\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82")),
        ("wm-class", xp(0, b"xterm\0XTerm\0")),
        ("wm-class-no-nul", xp(0, b"xterm\0XTerm")),
        ("transient-for", xp(2, struct.pack("<I", 0x400030), direction=8)),
        ("atom-list", xp(2, struct.pack("<5I", 301, 302, 303, 304, 305), direction=4)),
        ("size-hints", xp(2, hints)),
        ("size-hints-r3", xp(2, hints[:60])),
        ("wm-hints", xp(2, struct.pack("<9I", 1 | (1 << 8), 0, 0, 0, 0, 0, 0, 0, 0), direction=11)),
        ("mime", xp(0, b"text/plain;charset=utf-8")),
        ("format16", xp(1, b"\x01\x02\x03\x04")),
    ]


def write(name, seeds):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    for sname, data in seeds:
        with open(os.path.join(d, "seed-" + sname), "wb") as f:
            f.write(data)


GENERATORS = {"wire": wire_seeds, "device": device_seeds, "socket": socket_seeds,
              "channel": channel_seeds, "proxy": proxy_seeds, "vhost-user": vhost_user_seeds,
              "xwm-props": xwm_props_seeds, "message": message_seeds}

if __name__ == "__main__":
    for target, gen in GENERATORS.items():
        write(target, gen())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate vsomm's forwarding tables from the system's protocol XML.

usage: gen-forward.py OUT.c OUT.h OUT.json PROTOCOL.xml...

For every interface: its wl_interface, vsomm's maximum version, whether vsomm
relays it as a global, and per request/event the facts the generic forwarder
needs (since, destructor, fd / new_id / object argument positions, new_id
interface, allow-null).  Every global is relayed except those of policy.py's
DENY; every fd of a relayed message must have its FD_DECISIONS entry.  OUT.json
lists the globals (relayed with version and XML, or denied with the reason)
and the fd decisions, for docs/protocols.md and its tests.  Standard library
only.
"""

import json
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy  # noqa: E402  (protocols/policy.py)

# Interfaces vsomm never announces even though nothing creates them with a
# typed new_id: wl_display is object 1 of every connection.
NOT_GLOBAL = {"wl_display"}

# Per-interface caps below the XML version, with the reason.  Empty for now:
# every version of every interface can be relayed generically.
VERSION_CAPS = {}

MAX_ARGS = 20  # WL_CLOSURE_MAX_ARGS in libwayland 1.21


class Arg:
    def __init__(self, el):
        self.name = el.get("name")
        self.type = el.get("type")
        self.interface = el.get("interface")
        self.nullable = el.get("allow-null") == "true"


class Message:
    def __init__(self, el):
        self.name = el.get("name")
        self.since = int(el.get("since", "1"))
        self.destructor = el.get("type") == "destructor"
        self.args = [Arg(a) for a in el.findall("arg")]

    def signature(self):
        codes = {"int": "i", "uint": "u", "fixed": "f", "string": "s",
                 "object": "o", "new_id": "n", "array": "a", "fd": "h"}
        sig = str(self.since) if self.since > 1 else ""
        for a in self.args:
            if a.nullable:
                sig += "?"
            if a.type == "new_id" and a.interface is None:
                sig += "su"
            sig += codes[a.type]
        return sig

    def wire_args(self):
        """Arguments as libwayland's closures see them: an untyped new_id
        is three arguments (interface name, version, id)."""
        out = []
        for a in self.args:
            if a.type == "new_id" and a.interface is None:
                out.append(("string", None, False))
                out.append(("uint", None, False))
                out.append(("new_id", None, False))
            else:
                out.append((a.type, a.interface, a.nullable))
        return out


class Interface:
    def __init__(self, el, xml):
        self.name = el.get("name")
        self.version = int(el.get("version", "1"))
        self.xml = xml
        self.requests = [Message(m) for m in el.findall("request")]
        self.events = [Message(m) for m in el.findall("event")]


def load(paths):
    ifaces = {}
    for path in paths:
        root = ET.parse(path).getroot()
        for el in root.findall("interface"):
            iface = Interface(el, path)
            if iface.name in ifaces:
                sys.exit("gen-forward: %s defined twice (%s, %s)"
                         % (iface.name, ifaces[iface.name].xml, path))
            ifaces[iface.name] = iface
    return ifaces


def check(ifaces):
    for iface in ifaces.values():
        for m in iface.requests + iface.events:
            wire = m.wire_args()
            if len(wire) > MAX_ARGS:
                sys.exit("gen-forward: %s.%s has too many arguments"
                         % (iface.name, m.name))
            if sum(1 for t, _, _ in wire if t == "new_id") > 1:
                sys.exit("gen-forward: %s.%s has several new_id arguments"
                         % (iface.name, m.name))
            if m in iface.events and any(a.type == "new_id" and a.interface is None
                                         for a in m.args):
                sys.exit("gen-forward: %s.%s: untyped new_id in an event"
                         % (iface.name, m.name))
            for t, i, _ in wire:
                if i is not None and i not in ifaces:
                    sys.exit("gen-forward: %s.%s refers to unknown %s"
                             % (iface.name, m.name, i))


def globals_of(ifaces):
    created = set()
    for iface in ifaces.values():
        for m in iface.requests + iface.events:
            for a in m.args:
                if a.type == "new_id" and a.interface is not None:
                    created.add(a.interface)
    return {n for n in ifaces if n not in created and n not in NOT_GLOBAL}


def relayed_of(ifaces, glob):
    """Globals vsomm announces, and every interface reachable from them (or
    from wl_display) through typed new_id arguments."""
    relayed_globals = {n for n in glob if n not in policy.DENY}
    reach = set(relayed_globals) | NOT_GLOBAL
    todo = list(reach)
    while todo:
        iface = ifaces[todo.pop()]
        for m in iface.requests + iface.events:
            for a in m.args:
                if a.type == "new_id" and a.interface and a.interface not in reach:
                    reach.add(a.interface)
                    todo.append(a.interface)
    return relayed_globals, reach


def check_fds(ifaces, reach):
    """Every fd of a relayed message is a decision of policy.FD_DECISIONS."""
    missing = []
    for n in sorted(reach):
        iface = ifaces[n]
        for m in iface.requests + iface.events:
            if any(a.type == "fd" for a in m.args) and \
                    "%s.%s" % (n, m.name) not in policy.FD_DECISIONS:
                missing.append("%s.%s" % (n, m.name))
    if missing:
        sys.exit("gen-forward: relayed messages carry fds with no decision in "
                 "protocols/policy.py FD_DECISIONS: %s" % ", ".join(missing))


def summary(ifaces, glob, relayed_globals, reach):
    out = {"globals": {}, "fd_decisions": {}}
    for n in sorted(glob):
        iface = ifaces[n]
        entry = {"version": min(iface.version, VERSION_CAPS.get(n, iface.version)),
                 "xml": os.path.basename(iface.xml)}
        if n in relayed_globals:
            entry["relayed"] = True
        else:
            entry["relayed"] = False
            entry["reason"] = policy.DENY[n]
        out["globals"][n] = entry
    out["deny"] = policy.DENY
    for key, decision in sorted(policy.FD_DECISIONS.items()):
        n, msg = key.split(".", 1)
        if n in reach:
            out["fd_decisions"][key] = decision
    return out


def mask(wire, pred):
    bits = 0
    for i, arg in enumerate(wire):
        if pred(arg):
            bits |= 1 << i
    return "0x%xu" % bits


def fixed_size(wire):
    """Bytes of the message on the wire when it has no string or array
    argument (header and one word per argument but fds), else 0."""
    if any(t in ("string", "array") for t, _, _ in wire):
        return 0
    return 8 + 4 * sum(1 for t, _, _ in wire if t != "fd")


def emit_c(ifaces, names, index, glob, out):
    """glob: the globals vsomm announces (denied ones are left out)."""
    w = out.write
    w("/* Generated by protocols/gen-forward.py: do not edit. */\n")
    w("#include <stdlib.h>\n#include <string.h>\n\n")
    w("#include \"protocols/forward-tables.h\"\n\n")
    for n in names:
        w("extern const struct wl_interface %s_interface;\n" % n)
    w("\n")

    def info_ref(name):
        return "&vsomm_forward_interfaces[%d]" % index[name]

    for n in names:
        iface = ifaces[n]
        for kind, msgs in (("requests", iface.requests), ("events", iface.events)):
            for m in msgs:
                wire = m.wire_args()
                if not wire:
                    continue
                w("static const struct wl_interface *const %s_%s_%s_types[] = {\n"
                  % (n, kind, m.name))
                for t, i, _ in wire:
                    w("\t%s,\n" % ("&%s_interface" % i if i else "NULL"))
                w("};\n")
            if not msgs:
                continue
            w("static const struct vsomm_message_info %s_%s[] = {\n" % (n, kind))
            for m in msgs:
                wire = m.wire_args()
                new_id = [k for k, (t, _, _) in enumerate(wire) if t == "new_id"]
                new_id_iface = wire[new_id[0]][1] if new_id else None
                w("\t{\n")
                w("\t\t.name = \"%s\",\n" % m.name)
                w("\t\t.signature = \"%s\",\n" % m.signature())
                w("\t\t.since = %d,\n" % m.since)
                w("\t\t.destructor = %s,\n" % ("true" if m.destructor else "false"))
                w("\t\t.arg_count = %d,\n" % len(wire))
                w("\t\t.new_id_arg = %d,\n" % (new_id[0] if new_id else -1))
                w("\t\t.generic_new_id = %s,\n"
                  % ("true" if new_id and new_id_iface is None else "false"))
                w("\t\t.new_id_info = %s,\n"
                  % (info_ref(new_id_iface) if new_id_iface else "NULL"))
                w("\t\t.fd_args = %s,\n" % mask(wire, lambda a: a[0] == "fd"))
                w("\t\t.new_id_args = %s,\n" % mask(wire, lambda a: a[0] == "new_id"))
                w("\t\t.object_args = %s,\n" % mask(wire, lambda a: a[0] == "object"))
                w("\t\t.nullable_args = %s,\n" % mask(wire, lambda a: a[2]))
                w("\t\t.string_args = %s,\n" % mask(wire, lambda a: a[0] == "string"))
                w("\t\t.array_args = %s,\n" % mask(wire, lambda a: a[0] == "array"))
                w("\t\t.fixed_size = %d,\n" % fixed_size(wire))
                w("\t\t.fd_count = %d,\n" % sum(1 for t, _, _ in wire if t == "fd"))
                w("\t\t.types = %s,\n"
                  % ("%s_%s_%s_types" % (n, kind, m.name) if wire else "NULL"))
                w("\t},\n")
            w("};\n\n")

    w("const struct vsomm_interface_info vsomm_forward_interfaces[] = {\n")
    for n in names:
        iface = ifaces[n]
        version = min(iface.version, VERSION_CAPS.get(n, iface.version))
        w("\t{\n")
        w("\t\t.name = \"%s\",\n" % n)
        w("\t\t.interface = &%s_interface,\n" % n)
        w("\t\t.version = %d,\n" % version)
        w("\t\t.global = %s,\n" % ("true" if n in glob else "false"))
        w("\t\t.request_count = %d,\n" % len(iface.requests))
        w("\t\t.requests = %s,\n" % ("%s_requests" % n if iface.requests else "NULL"))
        w("\t\t.event_count = %d,\n" % len(iface.events))
        w("\t\t.events = %s,\n" % ("%s_events" % n if iface.events else "NULL"))
        w("\t},\n")
    w("};\n\n")
    w("const size_t vsomm_forward_interface_count = %d;\n\n" % len(names))
    w("const char *const vsomm_forward_denied[] = {\n")
    for n in sorted(policy.DENY):
        w("\t\"%s\",\n" % n)
    w("\tNULL,\n};\n\n")
    w("""static int
compare_name(const void *key, const void *elem)
{
	const struct vsomm_interface_info *info = elem;

	return strcmp(key, info->name);
}

const struct vsomm_interface_info *
vsomm_forward_find(const char *name)
{
	return bsearch(name, vsomm_forward_interfaces, vsomm_forward_interface_count,
		       sizeof(vsomm_forward_interfaces[0]), compare_name);
}

int
vsomm_forward_opcode(const struct vsomm_interface_info *info, bool request, const char *name)
{
	const struct vsomm_message_info *msgs = request ? info->requests : info->events;
	uint32_t count = request ? info->request_count : info->event_count;

	for (uint32_t i = 0; i < count; i++) {
		if (strcmp(msgs[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}
""")


HEADER = """/* Generated by protocols/gen-forward.py: do not edit. */
/*
 * vsomm's forwarding tables: per interface of the system's protocol XML, the
 * facts the generic forwarder (proxy/forward.c) needs about every message.
 * Bit i of the *_args masks is argument i as libwayland's closures number
 * them (an untyped new_id, as in wl_registry.bind, is three arguments:
 * interface name, version, id).
 */
#ifndef VSOMM_FORWARD_TABLES_H
#define VSOMM_FORWARD_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-util.h>

struct vsomm_interface_info;

struct vsomm_message_info {
	const char *name;
	/** The libwayland signature of the message, as wayland-scanner writes it. */
	const char *signature;
	uint32_t since;
	/** Requests: type="destructor".  Events: the object is gone after it
	 * (wl_callback.done, wp_presentation_feedback.presented, ...). */
	bool destructor;
	/** A new_id without interface (wl_registry.bind): "sun" arguments. */
	bool generic_new_id;
	uint8_t arg_count;
	/** Position of the new_id argument, -1 when there is none. */
	int8_t new_id_arg;
	/** Interface created by the typed new_id argument, else NULL. */
	const struct vsomm_interface_info *new_id_info;
	uint32_t fd_args;
	uint32_t new_id_args;
	uint32_t object_args;
	uint32_t nullable_args;
	/** Arguments with a length word on the wire (strings, arrays). */
	uint32_t string_args;
	uint32_t array_args;
	/** Bytes of the whole message on the wire, header included, when it has
	 * no string or array argument (a fixed layout); 0 otherwise. */
	uint16_t fixed_size;
	/** Number of fd arguments (bits of fd_args). */
	uint8_t fd_count;
	/** Per argument: interface of a typed object / new_id, else NULL. */
	const struct wl_interface *const *types;
};

struct vsomm_interface_info {
	const char *name;
	const struct wl_interface *interface;
	/** The highest version vsomm relays. */
	uint32_t version;
	/** vsomm announces it in wl_registry: no message creates it with a
	 * typed new_id, and protocols/policy.py does not deny it. */
	bool global;
	uint32_t request_count;
	const struct vsomm_message_info *requests;
	uint32_t event_count;
	const struct vsomm_message_info *events;
};

/** All interfaces, sorted by name. */
extern const struct vsomm_interface_info vsomm_forward_interfaces[];
extern const size_t vsomm_forward_interface_count;

/** protocols/policy.py's DENY: the globals vsomm hides from guests, sorted,
 * NULL-terminated (their reasons: docs/protocols.md). */
extern const char *const vsomm_forward_denied[];

/** The interface called name, or NULL. */
const struct vsomm_interface_info *vsomm_forward_find(const char *name);

/** Opcode of the request (or event) called name, -1 if there is none. */
int vsomm_forward_opcode(const struct vsomm_interface_info *info, bool request,
			 const char *name);

#endif
"""


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: gen-forward.py OUT.c OUT.h OUT.json PROTOCOL.xml...")
    ifaces = load(sys.argv[4:])
    check(ifaces)
    names = sorted(ifaces)  # strcmp order for bsearch: all names are ASCII
    index = {n: i for i, n in enumerate(names)}
    glob = globals_of(ifaces)
    relayed_globals, reach = relayed_of(ifaces, glob)
    check_fds(ifaces, reach)
    with open(sys.argv[1], "w") as out:
        emit_c(ifaces, names, index, relayed_globals, out)
    with open(sys.argv[2], "w") as out:
        out.write(HEADER)
    with open(sys.argv[3], "w") as out:
        json.dump(summary(ifaces, glob, relayed_globals, reach), out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()

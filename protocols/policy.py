# SPDX-License-Identifier: MIT
"""What vsomm relays: everything an unprivileged application may use.

The protocols are the system's (list-protocols.py: libwayland's wayland.xml,
every XML of wayland-protocols, the descriptions in protocols/weston/).  Every
global of them is relayed, except:

DENY -- globals a guest must not have, by interface name, each with the
reason.  Names of protocols the system does not ship (Weston's private ones,
or ones newer wayland-protocols releases add) may be listed too: a host that
offers them still has them hidden, and the hidden table of docs/protocols.md
is exactly this list.

FD_DECISIONS -- every message of a relayed interface that carries a file
descriptor, with what vsomm does with it.  gen-forward.py refuses to build
when a relayed message with an fd has no entry: a new protocol with fds is a
decision, not an accident.

Data only: read by gen-forward.py, list-protocols.py and the tests.
"""

DENY = {
    # Screen capture and the compositor's internals
    "weston_screenshooter": "Reads the host's whole output, not just the guest's windows: a guest "
    "must not capture the host screen.  (Weston offers it with `--debug`; the tests' screenshot "
    "tool binds it directly.)",
    "weston_capture_v1": "Screen capture of the host's outputs (Weston 11+).",
    "weston_debug_v1": "Weston's debug log scopes: each stream writes the compositor's internals "
    "into a client fd.  Host-only.",
    "ext_image_copy_capture_manager_v1": "Screen capture of the host's outputs and toplevels.",
    "ext_output_image_capture_source_manager_v1": "Screen capture of the host's outputs.",
    "ext_foreign_toplevel_image_capture_source_manager_v1": "Screen capture of other "
    "applications' windows.",
    "ext_foreign_toplevel_list_v1": "Lists every window of the host, not just the guest's.",
    # The compositor's own helpers
    "weston_desktop_shell": "The private protocol of Weston's own shell helper "
    "(`weston-desktop-shell`: panel, background, lock); only the client Weston launched may "
    "bind it.",
    "weston_touch_calibration": "Calibrates the host's touchscreens: a privileged Weston "
    "protocol for the calibration tool it trusts.",
    "ivi_wm": "The IVI window manager protocol of Weston's HMI controller: lays out every "
    "application's surfaces on the host.",
    "ivi_hmi_controller": "The private protocol of Weston's HMI controller client.",
    # Input methods, input injection, grabs
    "zwp_input_method_v1": "The input-method side of text input: sees and rewrites what the "
    "user types into every application of the host.  The compositor starts its own input method.",
    "zwp_input_panel_v1": "For the input method the compositor launches itself "
    "(`weston-keyboard`): places its panel on the host.  Not an application's protocol.",
    "zwp_input_method_manager_v2": "The input-method side of text input (see "
    "zwp_input_method_v1).",
    "zwp_virtual_keyboard_manager_v1": "Injects key events into the host's seat.",
    "zwlr_virtual_pointer_manager_v1": "Injects pointer events into the host's seat.",
    "zwp_xwayland_keyboard_grab_manager_v1": "A keyboard grab for the host's own Xwayland; "
    "compositors grant it to that client only, and vsomm's X11 support handles grabs inside "
    "the guest.",
    "xwayland_shell_v1": "Associates X11 windows with surfaces for the host's own Xwayland "
    "only; vsomm's X window manager does this for the guest's Xwayland.",
    # The session and the user
    "ext_session_lock_manager_v1": "Locks the host's session: only the host's screen locker "
    "may.",
    "ext_idle_notifier_v1": "Tells when the host's user is idle or active: activity beyond "
    "the guest's own windows.",
    "wp_security_context_manager_v1": "Creates sandboxed listening sockets on the host "
    "compositor for other clients: a guest must not open new connections to it.",
    # Hardware of the host
    "wp_drm_lease_device_v1": "Leases the host's display hardware (DRM connectors) with a "
    "DRM fd: host hardware, not a window.",
    # Fences: the channel carries none
    "zwp_linux_explicit_synchronization_v1": "Acquire and release fences are sync_file fds, "
    "and the cross-domain channel has no fence identifiers: a guest fence has no host "
    "counterpart.  Clients check for the global and fall back to implicit synchronisation.",
    "wp_linux_drm_syncobj_manager_v1": "DRM timeline syncobjs, fds the cross-domain channel "
    "cannot carry (see zwp_linux_explicit_synchronization_v1).",
}

# "interface.message": what happens to its fd.  Only relayed messages need one.
FD_DECISIONS = {
    "wl_shm.create_pool": "hook (proxy/shm.c): the pool stays in the guest; buffers are "
    "copied into host blobs on commit",
    "wl_keyboard.keymap": "channel: the host's memory fd arrives as a blob and becomes a "
    "guest memory fd",
    "wl_data_offer.receive": "channel: the pipe's write end becomes a READ_PIPE identifier",
    "wl_data_source.send": "channel: the host's pipe end becomes a WRITE_PIPE into the guest",
    "zwp_primary_selection_offer_v1.receive": "channel: as wl_data_offer.receive",
    "zwp_primary_selection_source_v1.send": "channel: as wl_data_source.send",
    "zwp_linux_buffer_params_v1.add": "channel: the dmabuf goes by its blob resource id; "
    "hook (proxy/linux_dmabuf.c): guest memory a host does not take is copied into host "
    "blobs on commit",
    "zwp_linux_dmabuf_feedback_v1.format_table": "channel: the host's table arrives as a "
    "blob and becomes a guest memory fd",
}

# Files of lower priority whose interfaces collide with one already taken are
# left out whole (list-protocols.py); the reason is printed at configure time.
# Priority: wayland.xml, then stable, staging, unstable, then protocols/weston.

// SPDX-License-Identifier: MIT
/*
 * xdomain-probe: the smallest end-to-end check of the cross-domain channel.
 *
 * Opens a virtgpu device, creates one Wayland cross-domain channel and sends the
 * raw bytes of wl_display.get_registry(new_id 2) and wl_display.sync(new_id 3).
 * It then parses what the host compositor answers (the messages may be split
 * across RECEIVEs, so they are buffered), prints every wl_registry.global and
 * stops at wl_callback.done of id 3.  `--expect IFACE` (repeatable) fails the
 * run unless the global was listed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel.h"
#include "virtgpu/virtgpu.h"

#define DISPLAY_ID 1u
#define REGISTRY_ID 2u
#define CALLBACK_ID 3u
#define MAX_BUFFERED (1u << 20)
#define MAX_EXPECT 32

struct global {
	uint32_t name, version;
	char *interface;
};

struct probe {
	uint8_t *buf;
	size_t len, cap;
	struct global *globals;
	size_t num_globals;
	bool done, failed, hung_up;
	int hangup_err;
	size_t fds_received;
	bool quiet;
};

static void fail(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xdomain-probe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	p->failed = true;
}

static uint32_t get_u32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/*
 * A Wayland string argument at `args` (`len` bytes left): u32 length including
 * the NUL, the bytes, padding to 4.  Returns the bytes consumed, 0 if malformed.
 */
static size_t get_string(const uint8_t *args, size_t len, const char **out)
{
	uint32_t slen;
	size_t padded;

	if (len < 4)
		return 0;
	slen = get_u32(args);
	padded = ((size_t)slen + 3) & ~(size_t)3;
	if (slen == 0 || padded > len - 4 || args[4 + slen - 1] != '\0')
		return 0;
	*out = (const char *)args + 4;
	return 4 + padded;
}

static void handle_global(struct probe *p, const uint8_t *args, size_t len)
{
	const char *iface;
	size_t used;
	struct global *g;

	if (len < 4 || !(used = get_string(args + 4, len - 4, &iface)) || len != 4 + used + 4) {
		fail(p, "malformed wl_registry.global");
		return;
	}
	g = realloc(p->globals, (p->num_globals + 1) * sizeof(*g));
	if (!g) {
		fail(p, "out of memory");
		return;
	}
	p->globals = g;
	g = &p->globals[p->num_globals++];
	g->name = get_u32(args);
	g->interface = strdup(iface);
	g->version = get_u32(args + 4 + used);
	if (!g->interface)
		fail(p, "out of memory");
	else if (!p->quiet)
		printf("wl_registry.global name=%u interface=%s version=%u\n", g->name,
		       g->interface, g->version);
}

static void handle_message(struct probe *p, uint32_t sender, uint16_t opcode,
			   const uint8_t *args, size_t len)
{
	const char *msg;

	if (sender == REGISTRY_ID && opcode == 0) {
		handle_global(p, args, len);
	} else if (sender == REGISTRY_ID && opcode == 1) {
		/* global_remove: nothing to do */
	} else if (sender == CALLBACK_ID && opcode == 0) {
		if (len != 4)
			fail(p, "malformed wl_callback.done");
		p->done = true;
	} else if (sender == DISPLAY_ID && opcode == 0) {
		if (len >= 12 && get_string(args + 8, len - 8, &msg))
			fail(p, "protocol error on object %u, code %u: %s", get_u32(args),
			     get_u32(args + 4), msg);
		else
			fail(p, "malformed wl_display.error");
	} else if (sender == DISPLAY_ID && opcode == 1) {
		/* delete_id of the callback */
	} else {
		fail(p, "unexpected event: object %u opcode %u", sender, opcode);
	}
}

/* Parse every complete message in the buffer; keep the tail. */
static void parse(struct probe *p)
{
	size_t off = 0;

	while (!p->failed && p->len - off >= 8) {
		uint32_t sender = get_u32(p->buf + off);
		uint32_t word = get_u32(p->buf + off + 4);
		uint32_t size = word >> 16;

		if (size < 8 || size % 4) {
			fail(p, "bad message size %u from object %u", size, sender);
			return;
		}
		if (p->len - off < size)
			break;
		handle_message(p, sender, (uint16_t)(word & 0xffff), p->buf + off + 8, size - 8);
		off += size;
	}
	memmove(p->buf, p->buf + off, p->len - off);
	p->len -= off;
}

static void handle_receive(void *data, const uint8_t *bytes, size_t size, int *fds,
			   size_t nfds)
{
	struct probe *p = data;

	/* registry events carry no fds; count and close whatever comes */
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	p->fds_received += nfds;
	if (p->failed)
		return;
	if (size > MAX_BUFFERED - p->len) {
		fail(p, "more than %u bytes buffered", MAX_BUFFERED);
		return;
	}
	if (p->len + size > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		uint8_t *buf;

		while (cap < p->len + size)
			cap *= 2;
		buf = realloc(p->buf, cap);
		if (!buf) {
			fail(p, "out of memory");
			return;
		}
		p->buf = buf;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, bytes, size);
	p->len += size;
	parse(p);
}

static void handle_hangup(void *data, int err)
{
	struct probe *p = data;

	p->hung_up = true;
	p->hangup_err = err;
}

static const struct xdomain_channel_listener channel_listener = {
	.receive = handle_receive,
	.hangup = handle_hangup,
};

static void put_u32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, sizeof(v));
}

/* wl_display.get_registry(new_id 2) + wl_display.sync(new_id 3), by hand. */
static size_t encode_request(uint8_t out[24])
{
	put_u32(out + 0, DISPLAY_ID);
	put_u32(out + 4, (12u << 16) | 1u); /* get_registry */
	put_u32(out + 8, REGISTRY_ID);
	put_u32(out + 12, DISPLAY_ID);
	put_u32(out + 16, (12u << 16) | 0u); /* sync */
	put_u32(out + 20, CALLBACK_ID);
	return 24;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xdomain-probe [--device SPEC] [--expect IFACE]... [--timeout MS] [--quiet]\n"
		"List the host compositor's globals through one cross-domain channel.\n"
		"  --device SPEC   socket:PATH or drm:PATH (default: auto, see virtgpu_open)\n"
		"  --expect IFACE  fail unless IFACE is among the globals (repeatable)\n"
		"  --timeout MS    give up after MS milliseconds (default 10000)\n"
		"  --quiet         print only errors\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"device", required_argument, NULL, 'd'},
		{"expect", required_argument, NULL, 'e'},
		{"timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *spec = NULL, *expect[MAX_EXPECT];
	size_t num_expect = 0;
	int timeout_ms = 10000, err = 0, ret = 1, c;
	struct probe p = {0};
	struct wl_event_loop *loop = NULL;
	struct virtgpu *dev = NULL;
	struct xdomain_channel *ch = NULL;
	uint8_t req[24];
	int64_t deadline;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			spec = optarg;
			break;
		case 'e':
			if (num_expect == MAX_EXPECT) {
				fprintf(stderr, "xdomain-probe: too many --expect\n");
				return 2;
			}
			expect[num_expect++] = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'q':
			p.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	loop = wl_event_loop_create();
	if (!loop) {
		fprintf(stderr, "xdomain-probe: no event loop\n");
		return 1;
	}
	err = virtgpu_open(spec, &dev);
	if (err < 0) {
		fprintf(stderr, "xdomain-probe: cannot open device %s: %s\n", spec ? spec : "(auto)",
			strerror(-err));
		goto out;
	}
	if (!p.quiet)
		printf("device: %s\n", virtgpu_describe(dev));
	ch = xdomain_channel_create(loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND, &channel_listener,
				    &p, &err);
	dev = NULL; /* the channel took it, or closed it */
	if (!ch) {
		fprintf(stderr, "xdomain-probe: cannot create the channel: %s\n", strerror(-err));
		goto out;
	}
	err = xdomain_channel_send(ch, req, encode_request(req), NULL, 0);
	if (err < 0) {
		fprintf(stderr, "xdomain-probe: send failed: %s\n", strerror(-err));
		goto out;
	}

	deadline = now_ms() + timeout_ms;
	while (!p.done && !p.failed && !p.hung_up) {
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			fail(&p, "timed out after %d ms (%zu globals so far)", timeout_ms,
			     p.num_globals);
			break;
		}
		if (wl_event_loop_dispatch(loop, (int)left) < 0 && errno != EINTR) {
			fail(&p, "event loop: %s", strerror(errno));
			break;
		}
	}
	if (!p.done && p.hung_up && !p.failed)
		fail(&p, "channel hung up before wl_callback.done (%s)",
		     p.hangup_err ? strerror(-p.hangup_err) : "host EOF");
	if (p.failed)
		goto out;
	if (p.fds_received)
		fprintf(stderr, "xdomain-probe: warning: %zu unexpected fds\n", p.fds_received);

	ret = 0;
	for (size_t i = 0; i < num_expect; i++) {
		bool found = false;

		for (size_t j = 0; j < p.num_globals && !found; j++)
			found = strcmp(p.globals[j].interface, expect[i]) == 0;
		if (!found) {
			fprintf(stderr, "xdomain-probe: expected global %s is missing\n", expect[i]);
			ret = 1;
		}
	}
	if (!p.quiet)
		printf("done: %zu globals, %s\n", p.num_globals, ret ? "FAIL" : "ok");

out:
	xdomain_channel_destroy(ch);
	virtgpu_close(dev);
	wl_event_loop_destroy(loop);
	for (size_t i = 0; i < p.num_globals; i++)
		free(p.globals[i].interface);
	free(p.globals);
	free(p.buf);
	return ret;
}

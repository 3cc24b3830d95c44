/* SPDX-License-Identifier: MIT */
/*
 * calloc for vsomm's process: glibc before 2.41 serves calloc without its
 * per-thread cache (tcache), malloc with it.  Every message through vsomm
 * allocates and frees a few zeroed wl_closures in libwayland-server and
 * -client (about 14 callocs per create/add/destroy cycle of the messages
 * benchmark), so calloc + free were a third of vsomm's instructions per
 * message (docs/benchmarks.md, round 3).  Here small callocs are a malloc (from
 * the cache) and a memset; large ones go to the next calloc in the lookup
 * order (libc's, or a memory checker's), which knows fresh pages are zero.
 *
 * Built into the vsomm executable only, and only with the meson option
 * fast_calloc (on by default, off in sanitizer builds, whose runtimes define
 * calloc themselves): tests, fuzzers and benchmarks that link the proxy
 * library keep libc's calloc.  tests/launcher checks that vsomm has it.
 */
#include <stdlib.h> /* __GLIBC__ */

#ifndef __GLIBC__
#error "fast_calloc replaces glibc's calloc: disable it (-Dfast_calloc=disabled)"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* malloc's tcache takes chunks up to 1032 bytes. */
#define SMALL_CALLOC 1024u

typedef void *(*calloc_func_t)(size_t, size_t);

static void *zeroed_malloc(size_t total)
{
	void *p = malloc(total);

	/* Hide p's origin: compilers turn malloc + memset(0) into calloc. */
	__asm__("" : "+r"(p));
	if (p)
		memset(p, 0, total);
	return p;
}

void *calloc(size_t count, size_t size)
{
	static calloc_func_t next;
	static bool resolving;
	size_t total;

	if (__builtin_mul_overflow(count, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (total <= SMALL_CALLOC)
		return zeroed_malloc(total);
	if (!next && !resolving) {
		/* dlsym may calloc (its error state): that one is served above. */
		resolving = true;
		next = (calloc_func_t)dlsym(RTLD_NEXT, "calloc");
		resolving = false;
	}
	return next ? next(count, size) : zeroed_malloc(total);
}

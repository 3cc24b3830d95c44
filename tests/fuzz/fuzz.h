/* SPDX-License-Identifier: MIT */
/*
 * Shared bits of the fuzz targets (tests/fuzz/): the entry point libFuzzer (or
 * fuzz-main.c's replay driver) calls, a check that aborts (so libFuzzer keeps the
 * input as a crash), and a reader over the input bytes.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) CHECK_OR(cond, abort())

/** Input bytes consumed front to back; reads past the end give zeros. */
struct fuzz_input {
	const uint8_t *data;
	size_t size, off;
};

static inline bool fuzz_more(const struct fuzz_input *in)
{
	return in->off < in->size;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	return in->off < in->size ? in->data[in->off++] : 0;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t lo = fuzz_u8(in);
	return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

/** Up to `want` bytes (fewer at the end of the input); *got says how many. */
static inline const uint8_t *fuzz_bytes(struct fuzz_input *in, size_t want, size_t *got)
{
	size_t left = in->size - in->off;
	*got = want < left ? want : left;
	const uint8_t *p = in->data + in->off;
	in->off += *got;
	return p;
}

#endif

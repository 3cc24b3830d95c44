/* SPDX-License-Identifier: MIT */
/*
 * The tests' one assertion: print where and what failed, and end the test with
 * exit status 1.  Not assert(): a check must also fail under -DNDEBUG.  The first
 * failed check ends the test, as in libwayland's and weston's harnesses: what
 * runs after it would run on a state the test no longer knows.
 *
 * Fuzz targets end with abort() instead (FUZZ_CHECK in tests/fuzz/fuzz.h):
 * libFuzzer keeps an input as a crash when the target dies by a signal.
 */
#ifndef TESTS_LIB_CHECK_H
#define TESTS_LIB_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/** If `expr` is false: print file, line and `expr` to stderr, then run `end`. */
#define CHECK_OR(expr, end)                                                         \
	do {                                                                        \
		if (!(expr)) {                                                      \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,     \
				__LINE__, #expr);                                   \
			end;                                                        \
		}                                                                   \
	} while (0)

#define CHECK(expr) CHECK_OR(expr, exit(1))

/** Like CHECK(a == b) for integers, printing both values. */
#define CHECK_EQ(a, b)                                                              \
	do {                                                                        \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);     \
		if (check_a_ != check_b_) {                                         \
			fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);    \
			exit(1);                                                    \
		}                                                                   \
	} while (0)

/** CHECK with a printf-style message saying which case failed. */
#define CHECKF(expr, ...)                                                           \
	do {                                                                        \
		if (!(expr)) {                                                      \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__,     \
				__LINE__, #expr);                                   \
			fprintf(stderr, __VA_ARGS__);                               \
			fputc('\n', stderr);                                        \
			exit(1);                                                    \
		}                                                                   \
	} while (0)

#endif

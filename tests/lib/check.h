/* SPDX-License-Identifier: MIT */
/*
 * The unit tests' only assertion: print where and what failed, exit 1.
 * (Not assert(): it must also fail under -DNDEBUG.)
 */
#ifndef VSOMM_TEST_CHECK_H
#define VSOMM_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(expr)                                                                 \
	do {                                                                        \
		if (!(expr)) {                                                      \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,     \
				__LINE__, #expr);                                   \
			exit(1);                                                    \
		}                                                                   \
	} while (0)

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

#endif

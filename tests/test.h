/* SPDX-License-Identifier: MIT */
/*
 * Minimal unit-test harness shared by daemon/ *_test.c: CHECK() records a
 * failure with file:line and goes on; TEST_MAIN() prints the closing line
 * "N passed, N failed" that make check and CI read.
 */
#ifndef LW_TEST_H
#define LW_TEST_H

#include <stdio.h>
#include <stdlib.h>

static unsigned test_passed, test_failed;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (cond) {                                                  \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);          \
		if (_a == _b) {                                              \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s "  \
				"(%lld != %lld)\n", __FILE__, __LINE__, #a,  \
				#b, _a, _b);                                 \
		}                                                            \
	} while (0)

static inline int test_finish(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif

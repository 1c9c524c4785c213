/* A minimal unit-test harness: each CHECK prints nothing when it holds;
 * each TEST prints "PASS name" or "FAIL name", which tests/run.sh counts. */
#ifndef STSENV_UNIT_H
#define STSENV_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_fail_count;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                           \
			fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,         \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");                           \
			unit_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		int before_ = unit_failed_checks;                                                  \
		fn();                                                                              \
		if (unit_failed_checks == before_) {                                               \
			printf("PASS %s\n", #fn);                                                  \
		} else {                                                                           \
			printf("FAIL %s\n", #fn);                                                  \
			unit_fail_count++;                                                         \
		}                                                                                  \
		fflush(stdout);                                                                    \
	} while (0)

#define UNIT_EXIT() return unit_fail_count ? 1 : 0

#endif

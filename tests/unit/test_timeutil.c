/* ISO 8601 times, as sources give expirations (timeutil.c). */
#include "../../core/timeutil.h"
#include "unit.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXP    "2024-05-21T10:39:29Z"
#define EXP_MS INT64_C(1716287969000)

/* ---- timeutil ---- */

static const struct {
	const char *iso;
	int64_t ms;
} instants[] = {
	{"1970-01-01T00:00:00Z", 0},
	{"1970-01-01T00:00:01Z", 1000},
	{"1999-12-31T23:59:59Z", INT64_C(946684799000)},
	{"2000-02-29T12:34:56Z", INT64_C(951827696000)},
	{"2024-02-29T00:00:00Z", INT64_C(1709164800000)},
	{"2024-05-21T10:39:29Z", EXP_MS},
	{"2099-12-31T23:59:59Z", INT64_C(4102444799000)},
	{"2100-03-01T00:00:00Z", INT64_C(4107542400000)},
};

static void test_iso8601_known(void)
{
	char buf[21];
	int64_t ms;

	for (size_t k = 0; k < sizeof(instants) / sizeof(instants[0]); k++) {
		ms = -1;
		CHECK(stsenv_parse_iso8601(instants[k].iso, strlen(instants[k].iso), &ms));
		CHECK(ms == instants[k].ms);
		stsenv_format_iso8601(instants[k].ms, buf, sizeof(buf));
		CHECK_STR(buf, instants[k].iso);
		/* Milliseconds are dropped by the formatter. */
		stsenv_format_iso8601(instants[k].ms + 999, buf, sizeof(buf));
		CHECK_STR(buf, instants[k].iso);
	}
}

static void test_iso8601_round_trip(void)
{
	char buf[21];
	int bad = 0;

	/* Every day from 1970 to 2099, at a different time of day each. */
	for (int64_t day = 0; day < 47482; day++) {
		int64_t ms = day * 86400000 + (day * 7919 % 86400) * 1000, got = -1;

		stsenv_format_iso8601(ms, buf, sizeof(buf));
		if (strlen(buf) != 20 || !stsenv_parse_iso8601(buf, 20, &got) || got != ms) {
			if (!bad++)
				fprintf(stderr, "    %" PRId64 " -> %s -> %" PRId64 "\n", ms, buf,
					got);
		}
	}
	CHECK(bad == 0);
}

static void test_iso8601_parse_edges(void)
{
	int64_t ms = -1;

	/* Only len bytes count. */
	CHECK(stsenv_parse_iso8601(EXP "junk", 20, &ms) && ms == EXP_MS);
	CHECK(!stsenv_parse_iso8601(EXP, 19, &ms));
	CHECK(!stsenv_parse_iso8601(EXP, 0, &ms));
	CHECK(!stsenv_parse_iso8601("2024-05-21T10:39:29.5Z", 21, &ms));
	CHECK(stsenv_parse_iso8601("2024-05-21T10:39:29.5Z", 22, &ms) && ms == EXP_MS + 500);
	/* A leap second is clamped, not refused. */
	CHECK(stsenv_parse_iso8601("2016-12-31T23:59:60Z", 20, &ms) &&
	      ms == INT64_C(1483228799000));
	/* Nothing is written on failure. */
	ms = 42;
	CHECK(!stsenv_parse_iso8601("2024-02-30T00:00:00Z", 20, &ms) && ms == 42);
	/* The formatter respects a short buffer. */
	char small[8];
	stsenv_format_iso8601(EXP_MS, small, sizeof(small));
	CHECK_STR(small, "2024-05");
}

int main(void)
{
	RUN(test_iso8601_known);
	RUN(test_iso8601_round_trip);
	RUN(test_iso8601_parse_edges);
	UNIT_EXIT();
}

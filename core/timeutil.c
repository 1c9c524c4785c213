#include "timeutil.h"

#include "strbuf.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm).  Written out rather than timegm() so that nothing here can
 * consult TZ or take libc's timezone lock. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool stsenv_parse_iso8601(const char *s, size_t len, int64_t *out_ms)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, sec, ms = 0;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	if (s[i] == '.') {
		unsigned scale = 100;
		size_t start = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			ms += (unsigned)(s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (i == start || i - start > 9)
			return false;
	}
	/* Only UTC: an offset would be a source we do not understand. */
	if (i + 1 != len || s[i] != 'Z')
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return false;
	if (sec == 60)
		sec = 59; /* a leap second: clamp rather than reject */
	*out_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + sec * 1000 + ms;
	return true;
}

void stsenv_format_iso8601(int64_t ms, char *buf, size_t len)
{
	int64_t secs = ms / 1000, days = secs / 86400, rem = secs % 86400;
	/* civil_from_days, the inverse of the above. */
	days += 719468;
	const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	const unsigned doe = (unsigned)(days - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	const int64_t y = (int64_t)yoe + era * 400 + (m <= 2);

	char out[21];
	unsigned v[6] = {
		(unsigned)y,	     m, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
		(unsigned)(rem % 60)};

	if (y < 0 || y > 9999) { /* never a credential's; keep printf's form */
		snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d, v[3],
			 v[4], v[5]);
		return;
	}
	/* By hand: this runs in every process start, where stdio would cost
	 * more than the rest of the work together. */
	memcpy(out, "0000-00-00T00:00:00Z", sizeof(out));
	for (int i = 0, at = 3; i < 6; i++, at += 3)
		for (int k = 0, w = i ? 2 : 4; k < w; k++, v[i] /= 10)
			out[at - k] = (char)('0' + v[i] % 10);
	stsenv_copy_trunc(buf, len, out, sizeof(out) - 1);
}

#include "base/common.h"
#include "base/clock.h"
#include "base/testhook.h"

time_t clock_now(void)
{
	const char *s = testhook("NEWSBEAT_NOW");
	struct tm tm;

	if (s) {
		memset(&tm, 0, sizeof(tm));
		if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			return timegm(&tm);
		}
		warning("NEWSBEAT_NOW='%s' is not YYYY-MM-DDTHH:MM:SSZ; using the clock", s);
	}
	return time(NULL);
}

void clock_format_utc(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

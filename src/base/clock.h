#ifndef CLOCK_H
#define CLOCK_H
/*
 * The wall clock, in one place: every date newsbeat writes (a message's
 * Date:, the database's timestamps, the archive's "built at") comes from
 * clock_now(), so a test can fix it with NEWSBEAT_NOW (base/testhook.h)
 * and the pure layers (core) never read the clock themselves: they take
 * the time as a parameter.  Elapsed-time measurements (rates, backoff
 * sleeps) use the real clock directly.
 */
#include <time.h>

/* Now: NEWSBEAT_NOW (YYYY-MM-DDTHH:MM:SSZ) when set, else time(NULL). */
time_t clock_now(void);

/* t as "YYYY-MM-DDTHH:MM:SSZ" in buf. */
void clock_format_utc(time_t t, char buf[32]);

/* Seconds on the monotonic clock (for elapsed times; never NEWSBEAT_NOW). */
double clock_monotonic(void);

#endif

#ifndef CONCURRENCY_H
#define CONCURRENCY_H
/*
 * How many connections `[smtp] connections = auto` keeps open, after
 * Postfix's destination concurrency scheduler: start at
 * CONCURRENCY_INITIAL, double while messages/s keeps rising with the
 * connections added, and stop growing — stepping back where that helps —
 * when the relay refuses a new connection (connection refused, 421/4xx
 * "too many connections" at the greeting), when more connections no
 * longer buy throughput, or at the maximum.
 *
 * A pure state machine: the sender feeds it throughput samples and
 * refusals and opens or closes connections to match `target`.  Not
 * thread-safe; the sender calls it under its lock.
 */

#define CONCURRENCY_INITIAL 4

struct concurrency {
	int target;		/* connections wanted now */
	int max;		/* never more */
	int ceiling;		/* the relay refused more than this; max until it does */
	int settled;		/* 1: no more growth this run */
	int prev_n;		/* the count measured before the last growth; 0: none yet */
	double prev_rate;	/* messages/s measured at prev_n */
};

/* Start at CONCURRENCY_INITIAL connections (or max if fewer, at least 1). */
void concurrency_init(struct concurrency *c, int max);

/*
 * A throughput sample: `rate` messages/s over a window in which `n`
 * connections were all open and answered.  A sample at another count
 * than the target (connections still opening or closing) is ignored.
 * Growth continues while the gain is at least half of what the added
 * connections would bring if each did as well as the ones before; a gain
 * under 5 % steps back to the previous count.  Returns the new target.
 */
int concurrency_sample(struct concurrency *c, int n, double rate);

/*
 * A new connection was refused while `others` were open: the relay takes
 * no more than those.  Returns the new target (at least 1).
 */
int concurrency_refused(struct concurrency *c, int others);

#endif

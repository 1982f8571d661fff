/*
 * The growth controller behind connections = auto, fed with throughput
 * samples and refusals: it grows while messages/s keeps rising with the
 * connections added, stops (and steps back) when it no longer does, when
 * the relay refuses a connection, or at the maximum.
 */
#include "deliver/concurrency.h"
#include "tap.h"

int main(void)
{
	struct concurrency c;

	/* A relay at a distance: each connection adds its share. */
	concurrency_init(&c, 16);
	is_int(c.target, 4, "starts with 4 connections");
	is_int(concurrency_sample(&c, 4, 45), 8, "45 msg/s at 4: grow to 8");
	is_int(concurrency_sample(&c, 4, 45), 8, "a late sample at the old count is ignored");
	is_int(concurrency_sample(&c, 8, 88), 16, "88 msg/s at 8: grow to 16");
	is_int(concurrency_sample(&c, 16, 170), 16, "170 msg/s at 16: the maximum");
	ok(c.settled, "  and growth is over");
	is_int(concurrency_sample(&c, 16, 400), 16, "no sample moves it past max_connections");

	/* The link or the relay is the limit: more connections buy nothing. */
	concurrency_init(&c, 16);
	concurrency_sample(&c, 4, 900);
	is_int(c.target, 8, "900 msg/s at 4 (loopback): try 8");
	is_int(concurrency_sample(&c, 8, 910), 4, "910 at 8 is no gain: back to 4");
	ok(c.settled, "  and stay there");
	is_int(concurrency_sample(&c, 4, 2000), 4, "  later samples change nothing");

	/* Some gain, but far less than the connections added: keep them, stop. */
	concurrency_init(&c, 16);
	concurrency_sample(&c, 4, 40);
	is_int(concurrency_sample(&c, 8, 52), 8, "40 → 52 msg/s from 4 to 8: keep 8, stop growing");
	ok(c.settled, "  settled");

	/* The relay refuses a connection: no more than it answered. */
	concurrency_init(&c, 16);
	concurrency_sample(&c, 4, 45);
	is_int(c.target, 8, "growing to 8");
	is_int(concurrency_refused(&c, 6), 6, "the 7th connection refused: 6");
	ok(c.settled, "  and no more growth");
	is_int(concurrency_sample(&c, 6, 80), 6, "  a good sample does not grow past the refusal");
	is_int(concurrency_refused(&c, 0), 1, "refused with nothing answered: at least 1");

	/* A refusal among the first four. */
	concurrency_init(&c, 16);
	is_int(concurrency_refused(&c, 2), 2, "a relay taking only 2: target 2");

	/* Small maximums and lists. */
	concurrency_init(&c, 2);
	is_int(c.target, 2, "max_connections = 2 starts at 2");
	ok(c.settled, "  and never grows");
	concurrency_init(&c, 6);
	concurrency_sample(&c, 4, 40);
	is_int(c.target, 6, "max 6: from 4 to 6, not 8");
	concurrency_init(&c, 0);
	is_int(c.target, 1, "max 0 means 1");
	concurrency_init(&c, 16);
	is_int(concurrency_sample(&c, 4, 0), 4, "a sample of no throughput is ignored");
	return tap_done();
}

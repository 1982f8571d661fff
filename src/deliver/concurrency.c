/*
 * The growth controller behind `connections = auto` (concurrency.h).
 */
#include "deliver/concurrency.h"

/* A gain worth growing for: at least this share of the linear gain. */
#define GROW_SHARE 0.5
/* Less than this (relative) is no gain: the added connections go. */
#define NO_GAIN 0.05

void concurrency_init(struct concurrency *c, int max)
{
	if (max < 1)
		max = 1;
	c->max = c->ceiling = max;
	c->target = max < CONCURRENCY_INITIAL ? max : CONCURRENCY_INITIAL;
	c->settled = c->target >= c->max;
	c->prev_n = 0;
	c->prev_rate = 0;
}

static void grow(struct concurrency *c)
{
	int next = c->target * 2;

	if (next > c->ceiling)
		next = c->ceiling;
	if (next <= c->target) {
		c->settled = 1;
		return;
	}
	c->target = next;
}

int concurrency_sample(struct concurrency *c, int n, double rate)
{
	if (c->settled || n != c->target || rate <= 0)
		return c->target;
	if (c->prev_n > 0) {
		double per_conn = c->prev_rate / c->prev_n;
		double linear = (double)(n - c->prev_n) * per_conn;
		double gain = rate - c->prev_rate;

		if (gain < NO_GAIN * c->prev_rate) {
			/* The relay or the link is the limit: keep fewer connections. */
			c->target = c->prev_n;
			c->settled = 1;
			return c->target;
		}
		if (gain < GROW_SHARE * linear) {
			c->settled = 1;
			return c->target;
		}
	}
	c->prev_n = n;
	c->prev_rate = rate;
	grow(c);
	return c->target;
}

int concurrency_refused(struct concurrency *c, int others)
{
	if (others < 1)
		others = 1;
	if (others < c->ceiling)
		c->ceiling = others;
	if (c->target > c->ceiling)
		c->target = c->ceiling;
	c->settled = 1;
	return c->target;
}

/*
 * Two batches of rows between a producer and a consumer (see rowpipe.h).
 * Batch k is filled while batch k ^ 1 is read; `full` says which one the
 * consumer owns.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/rowpipe.h"

#include <pthread.h>
#include <stdint.h>

#define NO_FIELD SIZE_MAX	/* the offset of a NULL field */

struct batch {
	struct strbuf data;	/* the fields, each NUL-terminated */
	size_t *off;		/* every field's offset in data */
	size_t noff, off_alloc;
	size_t *first;		/* the index in off of every row's first field, and one past the last */
	size_t nrows, first_alloc;
};

struct rowpipe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch b[2];
	int full[2];		/* handed to the consumer, not yet given back */
	int fill;		/* the producer's batch */
	int read;		/* the consumer's batch */
	size_t read_row;
	int reading;		/* the consumer holds b[read] */
	int closed, stopped;
	size_t batch_rows;
	const char **fields;	/* the consumer's row */
	size_t fields_alloc;
};

static void batch_reset(struct batch *b)
{
	strbuf_reset(&b->data);
	b->noff = 0;
	b->nrows = 0;
}

struct rowpipe *rowpipe_new(size_t batch_rows)
{
	struct rowpipe *p = xcalloc(1, sizeof(*p));
	int i;

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	for (i = 0; i < 2; i++)
		strbuf_init(&p->b[i].data, 0);
	p->batch_rows = batch_rows ? batch_rows : 1;
	return p;
}

void rowpipe_free(struct rowpipe *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < 2; i++) {
		strbuf_release(&p->b[i].data);
		free(p->b[i].off);
		free(p->b[i].first);
	}
	free(p->fields);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	free(p);
}

/* Hand b[fill] to the consumer and wait until the other batch is free. */
static int hand_over(struct rowpipe *p, int closing)
{
	int stopped;

	pthread_mutex_lock(&p->lock);
	if (p->b[p->fill].nrows)
		p->full[p->fill] = 1;
	if (closing)
		p->closed = 1;
	pthread_cond_broadcast(&p->changed);
	if (!closing) {
		p->fill ^= 1;
		while (p->full[p->fill] && !p->stopped)
			pthread_cond_wait(&p->changed, &p->lock);
	}
	stopped = p->stopped;
	pthread_mutex_unlock(&p->lock);
	if (!closing)
		batch_reset(&p->b[p->fill]);
	return stopped ? -1 : 0;
}

int rowpipe_add(struct rowpipe *p, size_t nfields, const char *const *fields)
{
	struct batch *b = &p->b[p->fill];
	size_t i;

	ALLOC_GROW(b->first, b->nrows + 2, b->first_alloc);
	ALLOC_GROW(b->off, b->noff + nfields, b->off_alloc);
	b->first[b->nrows] = b->noff;
	for (i = 0; i < nfields; i++) {
		if (!fields[i]) {
			b->off[b->noff++] = NO_FIELD;
			continue;
		}
		b->off[b->noff++] = b->data.len;
		strbuf_addstr(&b->data, fields[i]);
		strbuf_addch(&b->data, '\0');
	}
	b->first[++b->nrows] = b->noff;
	if (b->nrows >= p->batch_rows)
		return hand_over(p, 0);
	return 0;
}

void rowpipe_close(struct rowpipe *p)
{
	hand_over(p, 1);
}

int rowpipe_next(struct rowpipe *p, size_t *nfields, const char *const **fields)
{
	struct batch *b;
	size_t i, n;

	if (p->reading && p->read_row >= p->b[p->read].nrows) {
		/* Done with this batch: give it back, go on with the other. */
		pthread_mutex_lock(&p->lock);
		p->full[p->read] = 0;
		p->read ^= 1;
		p->reading = 0;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	if (!p->reading) {
		pthread_mutex_lock(&p->lock);
		while (!p->full[p->read] && !p->closed)
			pthread_cond_wait(&p->changed, &p->lock);
		p->reading = p->full[p->read];
		pthread_mutex_unlock(&p->lock);
		if (!p->reading)
			return 0;
		p->read_row = 0;
	}
	b = &p->b[p->read];
	n = b->first[p->read_row + 1] - b->first[p->read_row];
	ALLOC_GROW(p->fields, n + 1, p->fields_alloc);
	for (i = 0; i < n; i++) {
		size_t off = b->off[b->first[p->read_row] + i];

		p->fields[i] = off == NO_FIELD ? NULL : b->data.buf + off;
	}
	p->read_row++;
	*nfields = n;
	*fields = p->fields;
	return 1;
}

void rowpipe_stop(struct rowpipe *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopped = 1;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* rowpipe: rows cross from a producer thread to the consumer in order and
 * intact (NULL fields, empty strings, rows of different widths, across
 * batch boundaries); a consumer that stops makes the producer stop; an
 * empty pipe ends at once. */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/rowpipe.h"
#include "tap.h"

#include <pthread.h>

#define ROWS 10000

struct producer {
	struct rowpipe *p;
	long added;
	int stopped;		/* rowpipe_add returned -1 */
};

/* Row i: i % 4 + 1 fields: "i", NULL or "", "x<i>", ... */
static void make_row(long i, struct strbuf *sb, const char **f, size_t *n)
{
	size_t k;

	strbuf_reset(sb);
	strbuf_addf(sb, "%ld", i);
	strbuf_addch(sb, '\0');
	strbuf_addf(sb, "x%ld", i);
	*n = (size_t)(i % 4) + 1;
	f[0] = sb->buf;
	for (k = 1; k < *n; k++)
		f[k] = k == 1 ? (i % 2 ? NULL : "") : sb->buf + strlen(sb->buf) + 1;
}

static void *produce(void *data)
{
	struct producer *pr = data;
	struct strbuf sb = STRBUF_INIT;
	const char *f[4];
	size_t n;
	long i;

	for (i = 0; i < ROWS; i++) {
		make_row(i, &sb, f, &n);
		if (rowpipe_add(pr->p, n, f) < 0) {
			pr->stopped = 1;
			break;
		}
		pr->added++;
	}
	rowpipe_close(pr->p);
	strbuf_release(&sb);
	return NULL;
}

static int same_row(long i, size_t n, const char *const *f)
{
	struct strbuf sb = STRBUF_INIT;
	const char *want[4];
	size_t wn, k;
	int same;

	make_row(i, &sb, want, &wn);
	same = n == wn;
	for (k = 0; same && k < n; k++)
		same = (!want[k] && !f[k]) || (want[k] && f[k] && !strcmp(want[k], f[k]));
	strbuf_release(&sb);
	return same;
}

int main(void)
{
	struct producer pr;
	pthread_t t;
	const char *const *f;
	size_t n;
	long got = 0, bad = 0;

	/* Every row, in order, through batches of 7. */
	memset(&pr, 0, sizeof(pr));
	pr.p = rowpipe_new(7);
	pthread_create(&t, NULL, produce, &pr);
	while (rowpipe_next(pr.p, &n, &f)) {
		if (!same_row(got, n, f) && bad++ < 3)
			diag("row %ld differs", got);
		got++;
	}
	pthread_join(t, NULL);
	is_int(got, ROWS, "all %d rows arrive", ROWS);
	is_int(bad, 0, "in order, with NULL and empty fields and widths 1 to 4 intact");
	ok(!pr.stopped, "the producer was never told to stop");
	is_int(rowpipe_next(pr.p, &n, &f), 0, "the pipe stays at its end");
	rowpipe_free(pr.p);

	/* The consumer stops after 100 rows: the producer stops soon after. */
	memset(&pr, 0, sizeof(pr));
	pr.p = rowpipe_new(16);
	pthread_create(&t, NULL, produce, &pr);
	for (got = 0; got < 100 && rowpipe_next(pr.p, &n, &f); got++)
		;
	rowpipe_stop(pr.p);
	pthread_join(t, NULL);
	ok(pr.stopped, "a stopped consumer makes rowpipe_add fail");
	ok(pr.added < 100 + 3 * 16, "the producer added at most two batches more (%ld rows)", pr.added);
	rowpipe_free(pr.p);

	/* Nothing produced: the consumer ends at once. */
	memset(&pr, 0, sizeof(pr));
	pr.p = rowpipe_new(4);
	rowpipe_close(pr.p);
	is_int(rowpipe_next(pr.p, &n, &f), 0, "an empty, closed pipe ends at once");
	rowpipe_free(pr.p);

	/* The whole input in exactly one batch. */
	memset(&pr, 0, sizeof(pr));
	pr.p = rowpipe_new(ROWS);
	pthread_create(&t, NULL, produce, &pr);
	for (got = 0; rowpipe_next(pr.p, &n, &f); got++)
		;
	pthread_join(t, NULL);
	is_int(got, ROWS, "a batch as large as the whole input");
	rowpipe_free(pr.p);
	return tap_done();
}

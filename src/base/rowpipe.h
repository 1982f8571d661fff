#ifndef ROWPIPE_H
#define ROWPIPE_H
/*
 * Rows of strings handed from one thread to another in batches.
 *
 * `subscribers import` parses and checks the CSV on one thread while the
 * store writes the rows before on another (the parse was an eighth of an
 * import).  Two batches at most exist, one being filled and one being
 * read, so memory does not grow with the file: a producer that gets ahead
 * waits for the consumer.
 *
 * One producer thread (rowpipe_add, rowpipe_close) and one consumer
 * thread (rowpipe_next, rowpipe_stop).
 */
#include <stddef.h>

struct rowpipe;

/* A pipe whose batches hold up to batch_rows rows. */
struct rowpipe *rowpipe_new(size_t batch_rows);
void rowpipe_free(struct rowpipe *p);

/*
 * Producer: queue a copy of a row of nfields strings (a NULL field stays
 * NULL).  Returns 0, or -1 when the consumer has stopped (seen when a
 * batch is full): produce no more.
 */
int rowpipe_add(struct rowpipe *p, size_t nfields, const char *const *fields);
/* Producer: no more rows (the last batch is handed over). */
void rowpipe_close(struct rowpipe *p);

/*
 * Consumer: the next row, in the order added; valid until the next call.
 * Returns 1, or 0 when the producer has closed the pipe and every row has
 * been read.
 */
int rowpipe_next(struct rowpipe *p, size_t *nfields, const char *const **fields);
/* Consumer: read no more; the producer's next rowpipe_add returns -1. */
void rowpipe_stop(struct rowpipe *p);

#endif

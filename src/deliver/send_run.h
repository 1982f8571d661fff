#ifndef SEND_RUN_H
#define SEND_RUN_H
/*
 * One issue's delivery, the policy between `send` and the sender
 * (docs/delivery.md): one send of an issue at a time (a lock beside the
 * database), the recipients recorded once at the first send and a later
 * send resuming them — with the same list and segment, never another —
 * rows left "sending" by a crash recovered, the journal's counts, and the
 * sender set up for the run (VERP when the envelope sender can carry it).
 *
 * The command asks the questions and prints; everything here reports with
 * error() and returns -1.
 */
#include "store/journal.h"
#include "base/strbuf.h"

#include <signal.h>

struct config;
struct send_source;
struct store_filter;
struct sender_result;
struct progress;

struct send_run {
	int issue;
	int lockfd;
	struct journal *journal;
	int resuming;			/* 1: recipients recorded by an earlier send */
	struct strbuf segment;		/* the segment in force (canonical; "" = the list) */
	long counts[JOURNAL_NSTATES];	/* as of the last send_run_counts() */
};

/*
 * Lock `issue`, open the journal, and decide: a first send (nothing
 * recorded; the segment `where`/`segment` is applied to src, and one that
 * matches no member is refused) or a resume (the recorded list must be
 * `list`, the recorded segment is kept; a `where` from the command line
 * (where_given) must match it, one from the issue's front matter that
 * no longer does only warns).  Rows a killed send left "sending" are
 * recovered and the counts read.  Returns 0; -2 when another send holds
 * the issue (after error() saying so); -1 after error().
 * send_run_close() in every case.
 */
int send_run_open(struct send_run *r, const struct config *cfg, int issue, const char *list,
		  struct send_source *src, const struct store_filter *where, int where_given,
		  const char *segment);

/*
 * A first send: record every recipient src gives for list (one
 * transaction, durable before the first message), then the counts.
 */
int send_run_snapshot(struct send_run *r, struct send_source *src, const char *list);

/*
 * Put the failed rows back in the queue (--retry-failed), those that may
 * already have arrived (journal_requeue_failed) only with ambiguous_too:
 * how many, or -1.
 */
long send_run_requeue_failed(struct send_run *r, int ambiguous_too);

/* Re-read r->counts. */
int send_run_counts(struct send_run *r);

/*
 * Deliver the due rows: build(data, row, eml, msgid) makes each message
 * (from the sender's threads); envelope_from the validated envelope
 * sender, tagged per row (VERP) when [bounces] verp is on and it can be.
 * stop, progress, limit as for sender_run (deliver/sender.h).  Counts are
 * re-read after.  Returns sender_run's result.
 */
int send_run_deliver(struct send_run *r, const struct config *cfg, const char *envelope_from,
		     long limit,
		     int (*build)(void *data, const struct journal_row *row, struct strbuf *eml,
				  struct strbuf *msgid),
		     void *data, volatile sig_atomic_t *stop, struct progress *progress,
		     struct sender_result *res);

void send_run_close(struct send_run *r);

#endif

#ifndef JOURNAL_H
#define JOURNAL_H
/*
 * The delivery journal: one row per (issue, recipient) in the subscriber
 * database, so that `send` can crash and resume without losing anyone and
 * without mailing anyone twice (except a message in flight at the crash).
 *
 *   pending ─▶ sending ─▶ sent
 *                  │    ─▶ retry ─▶ sending ...   (4xx, dropped connection)
 *                  │    ─▶ failed                 (5xx, or retries exhausted)
 *                  └──▶ cancelled                 (unsubscribed during the send)
 *
 * Durability (see docs/delivery.md): the recipient snapshot is committed
 * with synchronous=FULL before the first message; each outcome is
 * committed right after the server's reply with synchronous=NORMAL in WAL
 * mode, which survives a process crash (kill -9) and loses at most the
 * last WAL frames since the last checkpoint on power loss — turning sent
 * rows back to pending (duplicates, never losses).
 *
 * A struct journal is safe to share between threads (one mutex around its
 * one SQLite connection).  All functions return 0 (or a count) on success
 * and -1 after error() on failure.
 */
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/*
 * The row states, each once: its name in C, its value in the database's
 * delivery.state column, its name as `status` prints it.  The values are
 * on disk and in the schema (the partial indexes of store_schema.c, the
 * column's DEFAULT): never renumber one.  The store's SQL takes them from
 * here (JOURNAL_SQL in store_internal.h), never as a number of its own.
 */
#define JOURNAL_STATE_PENDING(X)	X(PENDING, 0, "pending")
#define JOURNAL_STATE_SENDING(X)	X(SENDING, 1, "sending")
#define JOURNAL_STATE_SENT(X)		X(SENT, 2, "sent")
#define JOURNAL_STATE_RETRY(X)		X(RETRY, 3, "retry")
#define JOURNAL_STATE_FAILED(X)		X(FAILED, 4, "failed")
#define JOURNAL_STATE_CANCELLED(X)	X(CANCELLED, 5, "cancelled")
#define JOURNAL_STATES(X) \
	JOURNAL_STATE_PENDING(X) JOURNAL_STATE_SENDING(X) JOURNAL_STATE_SENT(X) \
	JOURNAL_STATE_RETRY(X) JOURNAL_STATE_FAILED(X) JOURNAL_STATE_CANCELLED(X)

#define JOURNAL_ENUM_(name, value, str) JOURNAL_##name = value,
#define JOURNAL_COUNT_(name, value, str) + 1
enum journal_state {
	JOURNAL_STATES(JOURNAL_ENUM_)
	/* The values run 0, 1, ... (a state indexes counts[] and is a bit of a mask). */
	JOURNAL_NSTATES = 0 JOURNAL_STATES(JOURNAL_COUNT_)
};
#undef JOURNAL_ENUM_
#undef JOURNAL_COUNT_

/* "pending", "sending", ...; "?" for a value that is not a state. */
const char *journal_state_name(enum journal_state s);

struct journal;

/* One claimed row.  Strings owned by the row (journal_row_release). */
struct journal_row {
	int64_t id;
	char *email;
	char *name;		/* never NULL ("" when none) */
	char *list;
	char *attrs;		/* journal_attrs_encode() form, never NULL */
	int attempts;		/* attempts made before this one */
	int ambiguous;		/* times the connection dropped after the final dot */
	int64_t first_attempt;	/* unix time of the first attempt, 0 if none */
};
void journal_row_release(struct journal_row *r);

/*
 * Open the database at path, creating it or migrating an older one first
 * (the journal's tables are store schema version 4, store_schema.c).
 */
struct journal *journal_open(const char *path);
void journal_close(struct journal *j);

/*
 * Exclusive right to send `issue` from this database: an OFD lock on byte
 * `issue` of "<path>.lock", released when the process exits however it
 * exits.  Returns the lock's fd (>= 0), -2 if another process holds it
 * (nothing reported), -1 after error().
 */
int journal_lock_issue(const char *path, int issue);
void journal_unlock_issue(int fd);

/*
 * 1 if issue already has a snapshot, 0 if not, -1 on error.  With list
 * non-NULL and a snapshot found, the list it was taken from is appended
 * to *list.
 */
int journal_has_snapshot(struct journal *j, int issue);
int journal_snapshot_list(struct journal *j, int issue, struct strbuf *list);

/*
 * The snapshot: begin (BEGIN IMMEDIATE, synchronous=FULL), add each
 * recipient, commit (records the run and its recipient count; durable when
 * it returns) or abort.  A recipient added twice is kept once.
 */
int journal_snapshot_begin(struct journal *j, int issue, const char *list);
int journal_snapshot_add(struct journal *j, const char *email, const char *name,
			 const char *list, const char *attrs);
int journal_snapshot_commit(struct journal *j);
void journal_snapshot_abort(struct journal *j);
/*
 * Between begin and commit: the segment the recipients were chosen by
 * (store_filter_canonical; "" for the whole list, the default), recorded
 * with the run.  journal_snapshot_segment() appends a snapshot's segment
 * to *segment: 1 when the issue has a snapshot, 0 when not, -1 on error.
 */
void journal_snapshot_set_segment(struct journal *j, const char *segment);
int journal_snapshot_segment(struct journal *j, int issue, struct strbuf *segment);

/* After taking the issue lock: rows left 'sending' by a crash become pending. */
int journal_recover(struct journal *j, int issue);

/*
 * After taking the issue lock, for `send --retry-failed` once the cause is
 * fixed: the issue's failed rows become pending with a fresh attempt count
 * and retry window (the last reply is kept until the next outcome).
 * Failed rows whose connection was lost after the final dot (ambiguous >
 * 0: a copy may already have arrived, or two) are left failed unless
 * ambiguous_too.  No other state is touched: sent, retry, pending and
 * cancelled rows stay as they are.  One committed statement.  Returns the
 * number of rows re-queued, or -1.
 */
long journal_requeue_failed(struct journal *j, int issue, int64_t now, int ambiguous_too);

/* The issue's failed rows with a connection lost after the final dot (ambiguous > 0), or -1. */
long journal_failed_ambiguous(struct journal *j, int issue);

/*
 * Claim up to n due rows (pending, or retry with next_attempt <= now) with
 * id > *cursor, mark them 'sending', and advance *cursor.  Returns the
 * number claimed (0: nothing more after the cursor) or -1.
 */
int journal_claim(struct journal *j, int issue, int64_t now, struct journal_row *rows,
		  int n, int64_t *cursor);

/* Record an outcome for row id (commits at once).  reply, message_id may be NULL. */
struct journal_outcome {
	enum journal_state state;
	int attempts;
	int ambiguous;
	int code;
	const char *reply;
	const char *message_id;
	int64_t first_attempt;
	int64_t next_attempt;	/* for JOURNAL_RETRY */
};
int journal_record(struct journal *j, int64_t id, int64_t now, const struct journal_outcome *o);
/*
 * journal_record(), and in the same transaction journal_deliverable() for
 * check_email on check_list (the message the worker sends next) into
 * *check_ok: 1, 0, or -1 if it could not be asked.  check_email NULL: no
 * check (check_ok may be NULL).  The sender asks right before every
 * message; riding on the commit of the previous outcome saves a read
 * transaction of its own per message.
 */
int journal_record_check(struct journal *j, int64_t id, int64_t now, const struct journal_outcome *o,
			 const char *check_email, const char *check_list, int *check_ok);

/*
 * store_deliverable() (active on the list, not suppressed) through the
 * journal's connection: the sender asks right before every message, and
 * this connection's page cache stays valid across its own commits.
 */
int journal_deliverable(struct journal *j, const char *email, const char *list);

/* Put claimed but unsent rows back to pending (e.g. after a fatal error). */
int journal_release_row(struct journal *j, int64_t id);

/*
 * Take back the outcome just recorded for a row (failed or retry, one
 * attempt more than prior's): its attempt count, ambiguous count and
 * first attempt become prior's again, and it is due at once (pending, or
 * retry if tried before), with reply as its last reply.  For refusals
 * found afterwards to be the relay's or the sending set-up's, not the
 * recipient's.  A row that has moved on since (claimed again, sent) is
 * left alone.  1 if the row was put back, 0 if not, -1 on error.
 */
int journal_restore_row(struct journal *j, const struct journal_row *prior, int64_t now,
			const char *reply);

/*
 * 1 if a 5xx reply at send time blames the sending set-up or the message,
 * not the address (the rule the bounce policy applies to such replies,
 * store_bounce.c): every recipient would meet it.  Else 0.
 */
int journal_reply_blames_sender(int code, const char *reply);

/* counts[state] for issue. */
int journal_counts(struct journal *j, int issue, long counts[JOURNAL_NSTATES]);

/* Earliest next_attempt among retry rows; 0 if none. */
int journal_next_retry(struct journal *j, int issue, int64_t *when);

/*
 * Call fn for each row of issue whose state bit (1 << state) is in mask,
 * ordered by id.  fn returns 0 to go on.
 */
struct journal_entry {
	const char *email;
	enum journal_state state;
	int attempts;
	int code;
	const char *reply;	/* "" when none */
	const char *message_id;	/* "" when none */
	int64_t updated;
	int64_t next_attempt;
};
int journal_each(struct journal *j, int issue, unsigned mask,
		 int (*fn)(void *data, const struct journal_entry *e), void *data);

/*
 * Subscriber attributes as one string for the snapshot: "key=value\n" per
 * attribute, '\\' and '\n' in values escaped as "\\\\" and "\\n".
 * decode returns arrays the caller frees with journal_attrs_free.
 */
void journal_attrs_encode(struct strbuf *out, size_t n, const char *const *keys,
			  const char *const *values);
size_t journal_attrs_decode(const char *s, char ***keys, char ***values);
void journal_attrs_free(size_t n, char **keys, char **values);

#endif

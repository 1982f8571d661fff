#ifndef STORE_BOUNCE_H
#define STORE_BOUNCE_H
/*
 * What the mail system told us after a send, applied to the store: the
 * bounce policy, in one place.  Each event is about one delivery (a row
 * of the journal: one issue, one address), found by the caller.
 *
 *   hard         the subscriber becomes BOUNCED on every list and the
 *                address is suppressed, after one event
 *   soft         counted once per delivery; when the deliveries of the
 *                last soft_window issues sent to the address, newest
 *                first, hold soft_limit soft bounces before the first one
 *                without a bounce, the subscriber becomes BOUNCED.  An
 *                issue sent later without a bounce resets the count.
 *   sender       a rejection that blames the sending set-up (blocked,
 *                spam, policy, reputation, authentication, relaying): only
 *                recorded on the delivery, never counted
 *   complaint    COMPLAINED on every list, and suppressed, at once
 *   unsubscribe  UNSUBSCRIBED from the delivery's list
 *
 * Only ACTIVE and PENDING memberships change (a complaint also turns
 * UNSUBSCRIBED into COMPLAINED): no path leads back to ACTIVE.  A hard
 * failure at send time (5xx for the address) is recorded by the journal
 * through the same rule (store_internal.h).
 *
 * Functions run inside the caller's store_begin() transaction when there
 * is one (so `bounces --dry-run` rolls everything back), else commit
 * themselves.  Errors: -1 after error().
 */
#include <stdint.h>

struct store;

enum store_bounce_kind {
	STORE_BOUNCE_NONE,		/* nothing recorded (a delivery's mark) */
	STORE_BOUNCE_SENDER,
	STORE_BOUNCE_UNSUBSCRIBE,
	STORE_BOUNCE_SOFT,
	STORE_BOUNCE_COMPLAINT,
	STORE_BOUNCE_HARD,
};
/* "", "sender", "unsubscribe", "soft", "complaint", "hard" */
const char *store_bounce_kind_name(enum store_bounce_kind k);

struct store_bounce_policy {
	int soft_limit;		/* [bounces] soft_limit */
	int soft_window;	/* [bounces] soft_window */
};

/* One row of the delivery journal.  Strings owned (store_delivery_release). */
struct store_delivery {
	int64_t row;
	int issue;
	char *email;
	char *list;
	enum store_bounce_kind bounce;	/* strongest event recorded so far */
};
void store_delivery_release(struct store_delivery *d);

/*
 * Look a delivery up: by row id (a VERP token); by issue and address;
 * by the Message-ID it was sent with (without <>; `email` NULL or the
 * address it should be for, which makes the lookup an index probe); or
 * the latest issue sent to (or refused for) `email`.  Only deliveries
 * that were attempted (sent or failed) are found: a bounce for a message
 * never sent changes nothing.  1 and *d filled, 0 when none, -1.
 */
int store_delivery_by_row(struct store *st, int64_t row, struct store_delivery *d);
int store_delivery_by_issue(struct store *st, int issue, const char *email,
			    struct store_delivery *d);
int store_delivery_by_message_id(struct store *st, const char *message_id, const char *email,
				 struct store_delivery *d);
int store_delivery_latest(struct store *st, const char *email, struct store_delivery *d);

enum store_bounce_result {
	STORE_BOUNCE_DUPLICATE,		/* already recorded: nothing changed */
	STORE_BOUNCE_COUNTED,		/* recorded on the delivery; no status changed */
	STORE_BOUNCE_BOUNCED,		/* the subscriber became BOUNCED */
	STORE_BOUNCE_COMPLAINED,	/* the subscriber became COMPLAINED */
	STORE_BOUNCE_UNSUBSCRIBED,	/* unsubscribed from the delivery's list */
};
/* "duplicate", "counted", "bounced", "complained", "unsubscribed" */
const char *store_bounce_result_name(enum store_bounce_result r);

/*
 * Apply one event about delivery d (from a store_delivery_* lookup)
 * under policy p.  `status` ("5.1.1") and `diagnostic` may be NULL; they
 * are recorded on the delivery with the event.  0 and *res, or -1.
 */
int store_bounce_record(struct store *st, const struct store_delivery *d,
			enum store_bounce_kind k, const char *status, const char *diagnostic,
			const struct store_bounce_policy *p, enum store_bounce_result *res);

/*
 * An unsubscribe that names its address and list itself (a verified
 * mailto token): UNSUBSCRIBED if ACTIVE or PENDING.  `reason` is kept on
 * the membership.  1 if it changed, 0 if not, -1.
 */
int store_bounce_unsubscribe(struct store *st, const char *email, const char *list,
			     const char *reason);

/*
 * Raw messages already handled, by digest (token_digest of the bytes):
 * store_bounce_seen() is 1 if `digest` was recorded, 0 if not, -1;
 * store_bounce_mark_seen() records it with a one-line summary.  0 or -1.
 */
int store_bounce_seen(struct store *st, const char *digest);
int store_bounce_mark_seen(struct store *st, const char *digest, const char *kind,
			   const char *summary);

/*
 * store_begin() that tells a busy database apart: 0, -2 when another
 * process holds the write lock past the busy timeout (reported, so a
 * mail transport can be asked to retry), -1 on any other error.
 */
int store_bounce_begin(struct store *st);

/*
 * The deliveries of `issue` with an event recorded, in row order; fn
 * returns 0 to go on.  Strings valid during the call.  0 or -1.
 */
struct store_bounce_entry {
	const char *email;
	enum store_bounce_kind kind;
	const char *status;	/* "" when none */
	const char *diagnostic;	/* "" when none */
};
int store_bounce_each(struct store *st, int issue,
		      int (*fn)(void *data, const struct store_bounce_entry *e), void *data);

#endif

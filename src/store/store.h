#ifndef STORE_H
#define STORE_H
/*
 * The subscriber store: one SQLite file ([paths] database).  This module
 * (store*.c) is the only code that speaks SQL or includes sqlite3.h.
 *
 * Model
 *   subscriber  one per mailbox: the address normalized (address_validate():
 *               the domain lower-cased and in A-label form) and compared
 *               without regard to ASCII case in the local part too, so
 *               Erin@ and erin@ are one subscriber, kept and sent to as
 *               first written.  Every function taking an address finds
 *               the subscriber (or suppression) by any case variant.
 *               A display name, created
 *               and updated times, and attributes: key/value strings, keys
 *               matching [a-z0-9_]+ (usable as {{subscriber.<key>}}).
 *   list        a name ("members"); created on first use.
 *   membership  (subscriber, list) with a status, the time it last changed
 *               and a free-text reason.  Memberships are never deleted:
 *               an unsubscribe is a status, so history is kept.
 *   suppression an address that must never be mailed, on any list (hard
 *               bounce, complaint, manual), with a reason.
 *
 * Unsubscribes stick: a membership that is UNSUBSCRIBED, BOUNCED or
 * COMPLAINED, or a suppressed address, is never re-activated by
 * store_subscribe() unless STORE_RESUBSCRIBE is passed.
 *
 * Concurrency: WAL mode and a 5 s busy timeout, so one process may write
 * (the web unsubscribe, an import) while others read (a send in progress).
 * Every function that changes something has committed it when it returns,
 * unless the caller opened a transaction with store_begin().
 *
 * Errors: functions returning int give -1 (pointer functions NULL) after
 * error() naming the database file and what failed.  Addresses passed in
 * must already be normalized by address_validate(); list names are
 * non-empty strings.  A struct store is used from one thread at a time.
 */
#include <stddef.h>
#include <stdint.h>

struct store;
struct strbuf;

enum store_status {
	STORE_NONE = 0,		/* not a member of the list (never subscribed) */
	STORE_ACTIVE,
	STORE_PENDING,		/* double opt-in: waiting for confirmation */
	STORE_UNSUBSCRIBED,
	STORE_BOUNCED,
	STORE_COMPLAINED,
};
#define STORE_STATUS_COUNT 6

/* "active", "pending", "unsubscribed", "bounced", "complained" ("none" for STORE_NONE). */
const char *store_status_name(enum store_status s);
/* Parse a status name; returns 0, or -1 (nothing reported) when unknown. */
int store_status_parse(const char *name, enum store_status *out);

/*
 * Open (creating if needed) the database at `path` and bring its schema up
 * to date (forward migrations, see store_internal.h).  A database written
 * by a newer newsbeat is refused.  Returns NULL after error().
 */
struct store *store_open(const char *path);
/*
 * Write a consistent copy of the open database to `dest` (0600), safe
 * while other processes read and write it; `dest` is replaced only by a
 * complete copy.  0, or -1 after error().
 */
int store_backup(struct store *st, const char *dest);
/* Close; NULL is fine.  Open cursors must be closed first. */
void store_close(struct store *st);

/*
 * Explicit transactions for batches (an import): store_begin() takes the
 * write lock at once (BEGIN IMMEDIATE, waiting up to the busy timeout);
 * store_commit() makes everything since durable; store_rollback() undoes
 * it (also used for --dry-run).  Not nestable.  0 or -1.
 */
int store_begin(struct store *st);
/*
 * store_begin() for a large batch of store_subscribe() calls (an import):
 * the same, without SQLite's per-row foreign key checks (the store writes
 * parents first itself).  End it with store_commit() or store_rollback().
 */
int store_begin_batch(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* 1 if `key` is a valid attribute key ([a-z0-9_]+, at most 64 bytes), else 0. */
int store_attr_key_valid(const char *key);

/* One subscriber as added or imported. */
struct store_subscriber {
	const char *email;		/* normalized */
	const char *name;		/* NULL: keep the stored name; "" clears it */
	size_t nattrs;
	const char *const *attr_keys;	/* valid keys (store_attr_key_valid) */
	const char *const *attr_values;	/* "" removes the attribute */
};

enum store_result {
	STORE_ADDED,		/* new subscriber or new membership of this list */
	STORE_UPDATED,		/* name or attributes changed, or re-activated */
	STORE_UNCHANGED,	/* already an active member with the same data */
	STORE_SKIPPED,		/* unsubscribed / bounced / complained / suppressed */
};

#define STORE_RESUBSCRIBE 1	/* re-activate even an unsubscribed, bounced, complained or suppressed address */
#define STORE_AS_PENDING 2	/* new memberships start PENDING (double opt-in) */

/*
 * Subscribe `sub` to `list` (created if missing) as ACTIVE (or PENDING with
 * STORE_AS_PENDING), updating the name and attributes.  Attributes not
 * mentioned are kept.  When the result is STORE_SKIPPED, nothing is
 * changed and *skip_status (if not NULL) tells why: the membership status,
 * or STORE_NONE when the address is suppressed.  STORE_RESUBSCRIBE also
 * lifts a suppression.  Returns 0 and sets *result, or -1.
 */
int store_subscribe(struct store *st, const struct store_subscriber *sub,
		    const char *list, unsigned flags, enum store_result *result,
		    enum store_status *skip_status);

/*
 * Double opt-in, a request from the web form.  An address that is not a
 * member of `list` becomes PENDING (a new subscriber gets no name yet);
 * a member in any other status and a suppressed address are left alone.
 * Returns 1 when a confirmation e-mail should go out now: the address is
 * PENDING or ACTIVE and no e-mail was recorded for it on this list in the
 * `interval` seconds before `now` (0: no limit); `now` is then recorded
 * and `name` (may be NULL) held until store_confirm().  Returns 0 when no
 * e-mail may go out (unsubscribed, bounced, complained, suppressed, or
 * one was sent recently: then nothing is recorded), or -1.
 */
int store_subscribe_request(struct store *st, const char *email, const char *name,
			    const char *list, int64_t now, int64_t interval);
/*
 * The confirmation store_subscribe_request() asked for did not go out
 * (the mail server failed, the queue was full): forget when it was
 * recorded, so that submitting the form again sends one at once instead
 * of after `interval`.  0, or -1 after error().
 */
int store_subscribe_request_unsent(struct store *st, const char *email, const char *list);
/*
 * Confirm a subscription request: a PENDING membership becomes ACTIVE,
 * and the name held by store_subscribe_request() (if not empty) becomes
 * the subscriber's.  An ACTIVE member stays active (and takes the held
 * name).  Anything else never changes: an unsubscribed, bounced or
 * complained membership is returned as it is (unsubscribes stick: an old
 * link cannot undo them), and a suppressed address gives STORE_NONE, as
 * does an address that is not a member.  Returns STORE_ACTIVE on success,
 * or -1.
 */
int store_confirm(struct store *st, const char *email, const char *list);

/* The status of `email` on `list` (STORE_NONE if not a member), or -1. */
int store_member_status(struct store *st, const char *email, const char *list);

/*
 * Mark `email` unsubscribed from `list`, with `reason` (e.g. "web",
 * "list-unsubscribe-post", "cli"; NULL = "").  Committed before return.
 * Returns the status it had before (STORE_NONE: not a member, nothing
 * recorded), or -1.
 */
int store_unsubscribe(struct store *st, const char *email, const char *list,
		      const char *reason);

/*
 * Set the status of `email` on `list`, or on every list it belongs to when
 * `list` is NULL (bounces: STORE_BOUNCED / STORE_COMPLAINED).  Creates no
 * membership.  Returns the number of memberships changed, or -1.
 */
int store_set_status(struct store *st, const char *email, const char *list,
		     enum store_status status, const char *reason);

/*
 * 1 if `email` may be mailed on `list`: an active member and not on the
 * suppression list.  0 if not, -1 on error.  The same one-statement
 * lookup an import makes per row (the list's id is remembered): send asks
 * before every message.
 */
int store_deliverable(struct store *st, const char *email, const char *list);

/* 1 if `email` is on the suppression list, 0 if not, -1 on error. */
int store_is_suppressed(struct store *st, const char *email);
/* Add `email` to the suppression list (idempotent; reason kept from the first time). 0/-1. */
int store_suppress(struct store *st, const char *email, const char *reason);
/* Remove a suppression (manual override).  Returns 1 if removed, 0 if none, -1. */
int store_unsuppress(struct store *st, const char *email);

/*
 * Recipients of a list: active, non-suppressed members, in subscriber id
 * order, read in batches so no long read transaction is held and memory
 * stays flat; a member unsubscribed or suppressed while the cursor runs is
 * not returned by later batches.
 *
 *   struct store_cursor *c = store_recipients_open(st, "members");
 *   const struct store_recipient *r;
 *   while ((r = store_cursor_next(c)))
 *       ... r->email, r->name, r->attr_keys[i] ...
 *   if (store_cursor_failed(c)) ... (error already reported)
 *   store_cursor_close(c);
 *
 * Fields of *r are owned by the cursor and valid until the next call.
 */
struct store_recipient {
	int64_t id;			/* subscriber id, stable */
	const char *email;
	const char *name;		/* "" when none */
	enum store_status status;	/* STORE_ACTIVE for recipients */
	const char *updated;		/* membership change time (ISO 8601 UTC) */
	size_t nattrs;
	const char *const *attr_keys;	/* sorted by key */
	const char *const *attr_values;
};
struct store_cursor;

/*
 * The one member `email` (normalized) of `list`, in whatever status, as a
 * cursor that yields it or nothing; NULL after error().  `email` must
 * outlive the cursor.
 */
struct store_cursor *store_member_open(struct store *st, const char *list, const char *email);
/* Recipients of `list`; NULL after error().  A list that does not exist has none. */
struct store_cursor *store_recipients_open(struct store *st, const char *list);
/*
 * Members of `list` with a given status (`status` STORE_NONE: any status),
 * suppressed or not — for `subscribers list`.
 */
struct store_cursor *store_members_open(struct store *st, const char *list,
					enum store_status status);
/*
 * A segment of a list: the members whose attributes match every term
 * (AND).  A term is KEY=VALUE (the attribute is exactly VALUE, bytes
 * compared) or KEY!=VALUE (it is not, members without it included); an
 * empty VALUE asks whether the attribute is absent (KEY=) or present
 * (KEY!=), as an empty value is never stored.  Segments only select:
 * unsubscribing stays list-wide.
 *
 * store_filter_parse() takes n terms; `what` names where they came from
 * in messages ("--where", "issues/issue-42.md:7: segment").  NULL after
 * error() naming the term and what to write.  The terms are kept in one
 * canonical order without duplicates: store_filter_canonical() appends
 * them one a line (a send's snapshot records that text; two segments
 * are the same when it is).  store_filter_check() is 0, or -1 after
 * error() when a key is no attribute of any active member of `list`
 * (naming those there are: a typo would select nobody, or everyone).
 * A NULL filter selects the whole list everywhere.
 */
struct store_filter;
struct store_filter *store_filter_parse(const char *const *terms, size_t n, const char *what);
void store_filter_free(struct store_filter *f);
size_t store_filter_count(const struct store_filter *f);
void store_filter_canonical(const struct store_filter *f, struct strbuf *out);
/*
 * A segment's canonical text (store_filter_canonical, one term a line;
 * "" for the whole list) as a phrase for messages: "the members with
 * country=Italy and member_type!=student", or "every member".  Replaces
 * *out; printable (strbuf_add_shown).
 */
void store_filter_describe(const char *canonical, struct strbuf *out);
int store_filter_check(struct store *st, const char *list, const struct store_filter *f);
/* store_recipients_open, store_members_open and store_count of a segment. */
struct store_cursor *store_recipients_where(struct store *st, const char *list,
					    const struct store_filter *f);
struct store_cursor *store_members_where(struct store *st, const char *list,
					 enum store_status status, const struct store_filter *f);
long long store_count_where(struct store *st, const char *list, const struct store_filter *f);

/* The next row, or NULL at the end or after an error. */
const struct store_recipient *store_cursor_next(struct store_cursor *c);
/* 1 if the cursor stopped because of an error (already reported). */
int store_cursor_failed(const struct store_cursor *c);
void store_cursor_close(struct store_cursor *c);

/* Number of recipients (active, not suppressed) of `list`, or -1. */
long long store_count(struct store *st, const char *list);

/*
 * Attribute keys used by the recipients of `list`, sorted; for the export
 * header.  Calls fn once per key.  0 or -1.
 */
int store_attr_keys(struct store *st, const char *list,
		    void (*fn)(void *data, const char *key), void *data);

/*
 * Every list with its member counts by status (counts[STORE_ACTIVE] ...;
 * counts[STORE_NONE] holds active members that are suppressed).  Lists in
 * name order.  0 or -1.
 */
/* 1 if `list` exists, 0 if not, -1 after error(). */
int store_list_exists(struct store *st, const char *list);

int store_each_list(struct store *st,
		    void (*fn)(void *data, const char *list,
			       const long long counts[STORE_STATUS_COUNT]),
		    void *data);

#endif

/*
 * The bounce policy (see store_bounce.h for the rules).  The events are
 * recorded on the journal's delivery rows (columns bounce,
 * bounce_status, bounce_diagnostic, bounced_at: schema 6), so `status
 * ISSUE` shows them and the soft count is worked out from the rows
 * themselves each time: the order in which reports arrive does not matter.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "store/store_bounce.h"
#include "store/store_internal.h"

static const char *const kind_names[] = {
	"", "sender", "unsubscribe", "soft", "complaint", "hard",
};

const char *store_bounce_kind_name(enum store_bounce_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "";
}

static enum store_bounce_kind kind_parse(const char *s)
{
	size_t i;

	for (i = 1; s && i < ARRAY_SIZE(kind_names); i++)
		if (!strcmp(s, kind_names[i]))
			return (enum store_bounce_kind)i;
	return STORE_BOUNCE_NONE;
}

const char *store_bounce_result_name(enum store_bounce_result r)
{
	static const char *const names[] = {
		"duplicate", "counted", "bounced", "complained", "unsubscribed",
	};

	return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "?";
}

void store_delivery_release(struct store_delivery *d)
{
	free(d->email);
	free(d->list);
	memset(d, 0, sizeof(*d));
}

/* Journal states (journal.h) a report can be about: sent, failed. */
#define ATTEMPTED "state IN (" JOURNAL_SQL(SENT) ", " JOURNAL_SQL(FAILED) ")"
#define DELIVERY_COLUMNS "id, issue, email, list, bounce"

/* Step s and fill *d from its first row: 1, 0, -1. */
static int fetch_delivery(struct store *st, sqlite3_stmt *s, struct store_delivery *d)
{
	int rc = sqlite3_step(s);

	memset(d, 0, sizeof(*d));
	if (rc == SQLITE_ROW) {
		d->row = sqlite3_column_int64(s, 0);
		d->issue = sqlite3_column_int(s, 1);
		d->email = xstrdup((const char *)sqlite3_column_text(s, 2));
		d->list = xstrdup((const char *)sqlite3_column_text(s, 3));
		d->bounce = kind_parse((const char *)sqlite3_column_text(s, 4));
		sqlite3_reset(s);
		return 1;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_sql_error(st, "cannot look up a delivery");
}

int store_delivery_by_row(struct store *st, int64_t row, struct store_delivery *d)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " DELIVERY_COLUMNS " FROM delivery"
				     " WHERE id = ?1 AND " ATTEMPTED);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, row);
	return fetch_delivery(st, s, d);
}

int store_delivery_by_issue(struct store *st, int issue, const char *email,
			    struct store_delivery *d)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " DELIVERY_COLUMNS " FROM delivery"
				     " WHERE issue = ?1 AND email = ?2 COLLATE NOCASE AND " ATTEMPTED);

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, issue);
	store_bind_text(s, 2, email);
	return fetch_delivery(st, s, d);
}

int store_delivery_by_message_id(struct store *st, const char *message_id, const char *email,
				 struct store_delivery *d)
{
	sqlite3_stmt *s;

	if (!message_id || !*message_id)
		return 0;
	/*
	 * Without an address this reads every row: Message-IDs have no index
	 * (each sent outcome would write one more page), and VERP finds
	 * nearly every report before this is asked.
	 */
	if (email) {
		s = store_stmt(st, "SELECT " DELIVERY_COLUMNS " FROM delivery"
			       " WHERE email = ?2 COLLATE NOCASE AND message_id = ?1 AND " ATTEMPTED);
		if (!s)
			return -1;
		store_bind_text(s, 2, email);
	} else {
		s = store_stmt(st, "SELECT " DELIVERY_COLUMNS " FROM delivery"
			       " WHERE message_id = ?1 AND " ATTEMPTED);
		if (!s)
			return -1;
	}
	store_bind_text(s, 1, message_id);
	return fetch_delivery(st, s, d);
}

int store_delivery_latest(struct store *st, const char *email, struct store_delivery *d)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " DELIVERY_COLUMNS " FROM delivery"
				     " WHERE email = ?1 COLLATE NOCASE AND " ATTEMPTED
				     " ORDER BY issue DESC LIMIT 1");

	if (!s)
		return -1;
	store_bind_text(s, 1, email);
	return fetch_delivery(st, s, d);
}

/* Record k on the delivery if stronger than what it has: 1 if recorded, 0, -1. */
static int mark_delivery(struct store *st, const struct store_delivery *d, enum store_bounce_kind k,
			 const char *status, const char *diagnostic)
{
	struct strbuf st_clean = STRBUF_INIT, diag_clean = STRBUF_INIT;
	sqlite3_stmt *s;
	char now[32];
	int r;

	if (k <= d->bounce)
		return 0;
	s = store_stmt(st, "UPDATE delivery SET bounce = ?2, bounce_status = ?3,"
		       " bounce_diagnostic = ?4, bounced_at = ?5 WHERE id = ?1");
	if (!s)
		return -1;
	/* A remote server's words: printed by `status` later, so one clean line. */
	if (status)
		utf8_add_printable(&st_clean, status, strlen(status));
	if (diagnostic)
		utf8_add_printable(&diag_clean, diagnostic, strnlen(diagnostic, 1000));
	store_now(now);
	sqlite3_bind_int64(s, 1, d->row);
	store_bind_text(s, 2, store_bounce_kind_name(k));
	store_bind_text(s, 3, st_clean.buf);
	store_bind_text(s, 4, diag_clean.buf);
	store_bind_text(s, 5, now);
	r = store_step_done(st, s, "cannot record a bounce") < 0 ? -1 : 1;
	strbuf_release(&st_clean);
	strbuf_release(&diag_clean);
	return r;
}

/*
 * Memberships of the subscriber (every list when list is NULL) whose
 * status is ACTIVE or PENDING (and UNSUBSCRIBED when `also_unsub`)
 * become `to`.  Returns the number changed, or -1.
 */
static int set_memberships(struct store *st, const char *email, const char *list,
			   const char *to, int also_unsub, const char *reason)
{
	int64_t sid = store_subscriber_id(st, email), lid = 0;
	sqlite3_stmt *s;
	char now[32];

	if (sid <= 0)
		return (int)sid;
	if (list) {
		lid = store_list_id(st, list, 0);
		if (lid <= 0)
			return (int)lid;
	}
	s = store_stmt(st, "UPDATE memberships SET status = ?3, updated = ?4, reason = ?5"
		       " WHERE subscriber_id = ?1 AND (?2 = 0 OR list_id = ?2)"
		       " AND (status = 'active' OR status = 'pending'"
		       "      OR (?6 AND status = 'unsubscribed'))");
	if (!s)
		return -1;
	store_now(now);
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int64(s, 2, lid);
	store_bind_text(s, 3, to);
	store_bind_text(s, 4, now);
	store_bind_text(s, 5, reason);
	sqlite3_bind_int(s, 6, also_unsub);
	if (store_step_done(st, s, "cannot change a membership") < 0)
		return -1;
	return sqlite3_changes(st->db);
}

/* Suppressed on every list, now and later: 1 if newly suppressed, 0, -1. */
static int suppress(struct store *st, const char *email, const char *reason)
{
	if (store_suppress(st, email, reason) < 0)
		return -1;
	return sqlite3_changes(st->db);	/* of its INSERT OR IGNORE */
}

/*
 * The soft rule: the deliveries of the last soft_window issues sent to
 * the address, newest first, counted until the first one without a
 * bounce.  Reports about an issue may come days after the next one was
 * sent: an issue delivered since then resets the count, which errs on
 * the side of keeping a reachable member.  1 if the limit is reached.
 */
static int soft_limit_reached(struct store *st, const char *email,
			      const struct store_bounce_policy *p)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT bounce FROM delivery WHERE email = ?1 COLLATE NOCASE"
				     " AND state = " JOURNAL_SQL(SENT) " ORDER BY issue DESC LIMIT ?2");
	int rc, n = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, email);
	sqlite3_bind_int(s, 2, p->soft_window);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		enum store_bounce_kind k = kind_parse((const char *)sqlite3_column_text(s, 0));

		if (k == STORE_BOUNCE_SOFT || k == STORE_BOUNCE_HARD)
			n++;
		else if (k != STORE_BOUNCE_SENDER)
			break;	/* delivered without a bounce (a sender-blamed rejection says nothing) */
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return store_sql_error(st, "cannot count soft bounces");
	}
	sqlite3_reset(s);
	return p->soft_limit > 0 && n >= p->soft_limit;
}

/* Hard, or the soft limit: BOUNCED everywhere and suppressed.  1 if anything changed. */
static int make_bounced(struct store *st, const char *email, const char *reason)
{
	int a = set_memberships(st, email, NULL, "bounced", 0, reason), b;

	if (a < 0 || (b = suppress(st, email, reason)) < 0)
		return -1;
	return a > 0 || b > 0;
}

static void reason_text(struct strbuf *sb, const char *what, const struct store_delivery *d,
			const char *status, const char *diagnostic)
{
	strbuf_addf(sb, "%s (issue %d)", what, d->issue);
	if (status && *status)
		strbuf_addf(sb, " %s", status);
	if (diagnostic && *diagnostic) {
		strbuf_addstr(sb, ": ");
		utf8_add_printable(sb, diagnostic, strnlen(diagnostic, 300));
	}
}

int store_bounce_apply(struct store *st, const struct store_delivery *d,
		       enum store_bounce_kind k, const char *status, const char *diagnostic,
		       const struct store_bounce_policy *p, enum store_bounce_result *res)
{
	struct strbuf reason = STRBUF_INIT;
	int marked, changed = 0, ret = -1;

	*res = STORE_BOUNCE_DUPLICATE;
	marked = mark_delivery(st, d, k, status, diagnostic);
	if (marked < 0)
		goto out;
	switch (k) {
	case STORE_BOUNCE_NONE:
	case STORE_BOUNCE_SENDER:
		break;
	case STORE_BOUNCE_HARD:
		reason_text(&reason, "hard bounce", d, status, diagnostic);
		changed = make_bounced(st, d->email, reason.buf);
		if (changed > 0)
			*res = STORE_BOUNCE_BOUNCED;
		break;
	case STORE_BOUNCE_SOFT:
		/* Counted once per delivery: only when this report marked it. */
		if (!marked)
			break;
		changed = soft_limit_reached(st, d->email, p);
		if (changed > 0) {
			strbuf_addf(&reason, "%d soft bounces in the last %d issues; last: ",
				    p->soft_limit, p->soft_window);
			reason_text(&reason, "soft bounce", d, status, diagnostic);
			changed = make_bounced(st, d->email, reason.buf);
			if (changed > 0)
				*res = STORE_BOUNCE_BOUNCED;
		}
		break;
	case STORE_BOUNCE_COMPLAINT:
		reason_text(&reason, "complaint", d, NULL, diagnostic);
		changed = set_memberships(st, d->email, NULL, "complained", 1, reason.buf);
		if (changed >= 0) {
			int b = suppress(st, d->email, reason.buf);

			changed = b < 0 ? -1 : changed > 0 || b > 0;
		}
		if (changed > 0)
			*res = STORE_BOUNCE_COMPLAINED;
		break;
	case STORE_BOUNCE_UNSUBSCRIBE:
		reason_text(&reason, "unsubscribe report", d, NULL, diagnostic);
		changed = set_memberships(st, d->email, d->list, "unsubscribed", 0, reason.buf);
		if (changed > 0)
			*res = STORE_BOUNCE_UNSUBSCRIBED;
		break;
	}
	if (changed < 0)
		goto out;
	if (*res == STORE_BOUNCE_DUPLICATE && marked)
		*res = STORE_BOUNCE_COUNTED;
	ret = 0;
out:
	strbuf_release(&reason);
	return ret;
}

int store_bounce_record(struct store *st, const struct store_delivery *d,
			enum store_bounce_kind k, const char *status, const char *diagnostic,
			const struct store_bounce_policy *p, enum store_bounce_result *res)
{
	int began = store_write_begin(st);

	if (began < 0)
		return -1;
	return store_write_end(st, began, store_bounce_apply(st, d, k, status, diagnostic, p, res));
}

int store_bounce_unsubscribe(struct store *st, const char *email, const char *list,
			     const char *reason)
{
	int began = store_write_begin(st), n;

	if (began < 0)
		return -1;
	n = set_memberships(st, email, list, "unsubscribed", 0, reason ? reason : "");
	if (store_write_end(st, began, n) < 0)
		return -1;
	return n > 0;
}

/*
 * What the sender learnt at SMTP time, as the same rule the bounce reader
 * applies: a 5xx counts as a hard bounce only when it says the address is
 * gone, by its enhanced status code (RFC 3463: bad mailbox, bad domain,
 * moved, disabled) or, with none that decides, in so many words; a
 * refusal at RCPT names the address, so the words suffice.  One that
 * blames the sending set-up or the message, or a full mailbox, does not
 * count, and a bare "550" that says neither is a plain failure: the
 * member stays active and `send --retry-failed` can reach them.
 */
static enum store_bounce_kind smtp_reply_kind(int code, const char *reply)
{
	static const char *const gone_codes[] = {
		"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1",
	};
	static const char *const gone_words[] = {
		"user unknown", "unknown user", "no such user", "unknown recipient",
		"recipient unknown", "user not found", "recipient not found", "mailbox not found",
		"does not exist", "doesn't exist", "no such mailbox", "no such recipient",
		"no such account", "invalid mailbox", "invalid recipient", "unknown mailbox",
		"mailbox unknown", "address unknown", "unknown address", "unrouteable address",
		"no longer exists", "mailbox is disabled", "account is disabled",
	};
	static const char *const sender_words[] = {
		"spam", "block", "policy", "reputation", "blacklist", "blocklist",
		"listed", "relay", "authenticat", "ptr", "reverse dns", "rdns",
		"dmarc", "spf", "dkim", "too many", "rate limit", "content", "virus",
	};
	static const char *const full_words[] = { "full", "quota", "over limit", "insufficient" };
	struct strbuf low = STRBUF_INIT;
	enum store_bounce_kind k = STORE_BOUNCE_NONE;
	const char *p;
	size_t i, n;

	if (code < 500 || code > 599)
		return STORE_BOUNCE_NONE;
	for (p = reply ? reply : ""; *p; p++)
		strbuf_addch(&low, *p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	/* The enhanced code: "5.x.y" at the start of the text or after the reply code. */
	p = low.buf;
	while (*p == ' ' || (*p >= '0' && *p <= '9' && p[1] != '.'))
		p++;
	if (p[0] == '5' && p[1] == '.') {
		if (!strncmp(p, "5.7.", 4) || !strncmp(p, "5.3.", 4) || !strncmp(p, "5.6.", 4) ||
		    !strncmp(p, "5.1.7", 5) || !strncmp(p, "5.1.8", 5))
			k = STORE_BOUNCE_SENDER;
		else if (!strncmp(p, "5.2.2", 5) || !strncmp(p, "5.2.3", 5))
			k = STORE_BOUNCE_SOFT;
		for (i = 0; k == STORE_BOUNCE_NONE && i < ARRAY_SIZE(gone_codes); i++) {
			n = strlen(gone_codes[i]);
			if (!strncmp(p, gone_codes[i], n) && (p[n] < '0' || p[n] > '9'))
				k = STORE_BOUNCE_HARD;
		}
	}
	for (i = 0; k != STORE_BOUNCE_SENDER && i < ARRAY_SIZE(sender_words); i++)
		if (strstr(low.buf, sender_words[i]))
			k = STORE_BOUNCE_SENDER;
	for (i = 0; k == STORE_BOUNCE_NONE && i < ARRAY_SIZE(full_words); i++)
		if (strstr(low.buf, full_words[i]))
			k = STORE_BOUNCE_SOFT;
	for (i = 0; k == STORE_BOUNCE_NONE && i < ARRAY_SIZE(gone_words); i++)
		if (strstr(low.buf, gone_words[i]))
			k = STORE_BOUNCE_HARD;
	strbuf_release(&low);
	return k;
}

int store_bounce_smtp_blames_sender(int code, const char *reply)
{
	return smtp_reply_kind(code, reply) == STORE_BOUNCE_SENDER;
}

int store_bounce_smtp_failure(struct store *st, int64_t row, int code, const char *reply)
{
	static const struct store_bounce_policy never_soft = { 0, 0 };
	enum store_bounce_kind k = smtp_reply_kind(code, reply);
	struct store_delivery d;
	enum store_bounce_result res;
	int r;

	if (k == STORE_BOUNCE_NONE)
		return 0;
	/* The row is recorded failed first, in the caller's transaction. */
	r = store_delivery_by_row(st, row, &d);
	if (r <= 0)
		return r;
	/*
	 * A refused message was never delivered, so a soft refusal here
	 * (a full mailbox) is left to the retry policy and not counted.
	 */
	if (k == STORE_BOUNCE_SOFT)
		k = STORE_BOUNCE_NONE;
	r = store_bounce_apply(st, &d, k, NULL, reply, &never_soft, &res);
	store_delivery_release(&d);
	return r;
}

int store_bounce_seen(struct store *st, const char *digest)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM bounce_seen WHERE digest = ?1");
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, digest);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_error(st, "cannot look up a handled message");
	return rc == SQLITE_ROW;
}

int store_bounce_mark_seen(struct store *st, const char *digest, const char *kind,
			   const char *summary)
{
	sqlite3_stmt *s = store_stmt(st, "INSERT OR IGNORE INTO bounce_seen (digest, kind, summary, created)"
				     " VALUES (?1, ?2, ?3, ?4)");
	char now[32];

	if (!s)
		return -1;
	store_now(now);
	store_bind_text(s, 1, digest);
	store_bind_text(s, 2, kind);
	store_bind_text(s, 3, summary ? summary : "");
	store_bind_text(s, 4, now);
	return store_step_done(st, s, "cannot record a handled message");
}

int store_bounce_begin(struct store *st)
{
	int rc;

	if (st->in_txn)
		BUG("store_bounce_begin inside a transaction");
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		error("database '%s' is busy (another newsbeat is writing to it); try again later",
		      st->path);
		return -2;
	}
	if (rc != SQLITE_OK)
		return store_sql_error(st, "cannot begin a transaction");
	st->in_txn = 1;
	return 0;
}

int store_bounce_each(struct store *st, int issue,
		      int (*fn)(void *data, const struct store_bounce_entry *e), void *data)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT email, bounce, bounce_status, bounce_diagnostic"
				     " FROM delivery WHERE issue = ?1 AND bounce != '' ORDER BY id");
	int rc, r = 0;

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, issue);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_bounce_entry e;

		e.email = (const char *)sqlite3_column_text(s, 0);
		e.kind = kind_parse((const char *)sqlite3_column_text(s, 1));
		e.status = (const char *)sqlite3_column_text(s, 2);
		e.diagnostic = (const char *)sqlite3_column_text(s, 3);
		if ((r = fn(data, &e)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot list bounces");
	return r;
}

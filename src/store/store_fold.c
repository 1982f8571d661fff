/*
 * Schema version 9: one subscriber and one suppression per mailbox,
 * addresses compared without regard to ASCII case.
 *
 * Before it, Erin@example.org and erin@example.org were two people: a
 * case variant of an unsubscribed address imported as a new active
 * subscriber, and both variants got every issue.  From 9 on the email
 * columns of subscribers and suppressions are COLLATE NOCASE (UNIQUE and
 * PRIMARY KEY included), so every comparison with them folds case and
 * no second variant can be inserted.  A database that already holds
 * variants is merged first, never refused:
 *   - the oldest row (lowest id) is kept, so the address stays as it
 *     was first written, for sending;
 *   - on each list the strongest status of the variants wins:
 *     complained, bounced, unsubscribed (sticky: any variant that left
 *     keeps the mailbox out), then active, then pending;
 *   - attributes, the held confirmation request and the name are the
 *     kept row's, a variant's filling only what it lacks (the latest
 *     confirmation time, so the e-mail limit holds);
 *   - a send under way must not mail the mailbox twice: of the rows one
 *     issue's snapshot holds for variants of one mailbox, one is kept
 *     (one that may have gone out already, else the first) and the
 *     others not yet sent are cancelled.
 * Each merge is reported (the old file is kept by migrate()).
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/address.h"
#include "store/store_internal.h"

#include <time.h>

/* Merges reported one by one; more are counted. */
#define FOLD_REPORT 10

#define RANK(s) "(CASE " s " WHEN 'complained' THEN 5 WHEN 'bounced' THEN 4" \
	" WHEN 'unsubscribed' THEN 3 WHEN 'active' THEN 2 ELSE 1 END)"

/* One variant (:dup) into the kept subscriber (:keep), in this order. */
static const char *const merge_sql[] = {
	("UPDATE memberships AS k SET status = d.status, updated = d.updated, reason = d.reason"
	 " FROM memberships AS d WHERE k.subscriber_id = :keep AND d.subscriber_id = :dup"
	 " AND d.list_id = k.list_id AND " RANK("d.status") " > " RANK("k.status")),
	"UPDATE OR IGNORE memberships SET subscriber_id = :keep WHERE subscriber_id = :dup",
	"DELETE FROM memberships WHERE subscriber_id = :dup",
	"UPDATE OR IGNORE attributes SET subscriber_id = :keep WHERE subscriber_id = :dup",
	"DELETE FROM attributes WHERE subscriber_id = :dup",
	("UPDATE confirmations AS k SET sent = d.sent"
	 " FROM confirmations AS d WHERE k.subscriber_id = :keep AND d.subscriber_id = :dup"
	 " AND d.list_id = k.list_id AND d.sent > k.sent"),
	"UPDATE OR IGNORE confirmations SET subscriber_id = :keep WHERE subscriber_id = :dup",
	"DELETE FROM confirmations WHERE subscriber_id = :dup",
	("UPDATE subscribers SET name = (SELECT name FROM subscribers WHERE id = :dup)"
	 " WHERE id = :keep AND name = ''"),
	"DELETE FROM subscribers WHERE id = :dup",
};

static int merge_one(struct store *st, int64_t keep, int64_t dup)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(merge_sql); i++) {
		sqlite3_stmt *s;
		int p;

		if (sqlite3_prepare_v2(st->db, merge_sql[i], -1, &s, NULL) != SQLITE_OK)
			return store_sql_error(st, "cannot merge case variants of an address");
		if ((p = sqlite3_bind_parameter_index(s, ":keep")) > 0)
			sqlite3_bind_int64(s, p, keep);
		if ((p = sqlite3_bind_parameter_index(s, ":dup")) > 0)
			sqlite3_bind_int64(s, p, dup);
		p = sqlite3_step(s);
		sqlite3_finalize(s);
		if (p != SQLITE_DONE)
			return store_sql_error(st, "cannot merge case variants of an address");
	}
	return 0;
}

struct variant {
	int64_t keep, dup;
	char *keep_email, *dup_email;
};

static int merge_subscribers(struct store *st)
{
	struct variant *v = NULL;
	size_t n = 0, alloc = 0, i;
	struct strbuf prev = STRBUF_INIT;
	int64_t prev_id = 0;
	sqlite3_stmt *s;
	int rc, r = 0;

	/* Collected first: the rows change only once the read is over. */
	if (sqlite3_prepare_v2(st->db, "SELECT id, email FROM subscribers"
			       " ORDER BY email COLLATE NOCASE, id", -1, &s, NULL) != SQLITE_OK)
		return store_sql_error(st, "cannot read the subscribers");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *email = (const char *)sqlite3_column_text(s, 1);

		if (prev_id && address_same(prev.buf, email)) {
			ALLOC_GROW(v, n + 1, alloc);
			v[n].keep = prev_id;
			v[n].keep_email = xstrdup(prev.buf);
			v[n].dup = id;
			v[n].dup_email = xstrdup(email);
			n++;
			continue;	/* the group's first row stays the one kept */
		}
		prev_id = id;
		strbuf_reset(&prev);
		strbuf_addstr(&prev, email);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		r = store_sql_error(st, "cannot read the subscribers");
	for (i = 0; !r && i < n; i++) {
		r = merge_one(st, v[i].keep, v[i].dup);
		if (!r && i < FOLD_REPORT)
			warning("database '%s': '%s' and '%s' are one mailbox (addresses are compared "
				"without regard to case): merged into '%s', the strongest status kept",
				st->path, v[i].keep_email, v[i].dup_email, v[i].keep_email);
	}
	if (!r && n > FOLD_REPORT)
		warning("database '%s': %zu more case variants merged the same way", st->path, n - FOLD_REPORT);
	for (i = 0; i < n; i++) {
		free(v[i].keep_email);
		free(v[i].dup_email);
	}
	free(v);
	strbuf_release(&prev);
	return r;
}

/*
 * Snapshots of sends not finished: in each issue's group of variants the
 * first row, ordered by "may have gone out" (sending, sent) then id, is
 * kept; the others still to be sent are cancelled.
 */
static int cancel_duplicate_deliveries(struct store *st)
{
	static const char pick[] =
		"SELECT id, issue, email, state FROM delivery WHERE issue IN"
		" (SELECT issue FROM delivery WHERE state = " JOURNAL_SQL(PENDING)
		"  OR state = " JOURNAL_SQL(SENDING) " OR state = " JOURNAL_SQL(RETRY) " GROUP BY issue)"
		" ORDER BY issue, email COLLATE NOCASE,"
		" state = " JOURNAL_SQL(SENDING) " OR state = " JOURNAL_SQL(SENT) " DESC, id";
	int64_t *cancel = NULL, prev_issue = -1;
	size_t n = 0, alloc = 0, i;
	struct strbuf prev = STRBUF_INIT;
	sqlite3_stmt *s;
	int rc, r = 0;

	if (sqlite3_prepare_v2(st->db, pick, -1, &s, NULL) != SQLITE_OK)
		return store_sql_error(st, "cannot read the delivery journal");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t issue = sqlite3_column_int64(s, 1);
		const char *email = (const char *)sqlite3_column_text(s, 2);
		int state = sqlite3_column_int(s, 3);

		if (issue == prev_issue && address_same(prev.buf, email)) {
			if (state == JOURNAL_PENDING || state == JOURNAL_SENDING || state == JOURNAL_RETRY) {
				ALLOC_GROW(cancel, n + 1, alloc);
				cancel[n++] = sqlite3_column_int64(s, 0);
			}
			continue;
		}
		prev_issue = issue;
		strbuf_reset(&prev);
		strbuf_addstr(&prev, email);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		r = store_sql_error(st, "cannot read the delivery journal");
	if (!r && n &&
	    sqlite3_prepare_v2(st->db, "UPDATE delivery SET state = " JOURNAL_SQL(CANCELLED) ","
			       " last_reply = 'a case variant of an address already in this send',"
			       " updated = ?2 WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		r = store_sql_error(st, "cannot change the delivery journal");
	for (i = 0; !r && i < n; i++) {
		sqlite3_bind_int64(s, 1, cancel[i]);
		sqlite3_bind_int64(s, 2, (int64_t)time(NULL));
		if (sqlite3_step(s) != SQLITE_DONE)
			r = store_sql_error(st, "cannot change the delivery journal");
		sqlite3_reset(s);
	}
	if (n && !r)
		warning("database '%s': %zu message(s) of a send under way cancelled: each for a case "
			"variant of an address that send already holds", st->path, n);
	if (n)
		sqlite3_finalize(s);
	free(cancel);
	strbuf_release(&prev);
	return r;
}

/*
 * The tables rebuilt with the collation (SQLite cannot alter a column);
 * migrate() runs with foreign keys off, as a rebuild needs, and checks
 * them before it commits.  Suppressions of two variants are one: the
 * first recorded is kept, with its reason.
 */
static const char rebuild_sql[] =
	"CREATE TABLE subscribers_v9 ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  created TEXT NOT NULL,"
	"  updated TEXT NOT NULL DEFAULT '');"
	"INSERT INTO subscribers_v9 (id, email, name, created, updated)"
	"  SELECT id, email, name, created, updated FROM subscribers;"
	"DROP TABLE subscribers;"
	"ALTER TABLE subscribers_v9 RENAME TO subscribers;"
	"CREATE TABLE suppressions_v9 ("
	"  email TEXT PRIMARY KEY COLLATE NOCASE,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  created TEXT NOT NULL) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO suppressions_v9 (email, reason, created)"
	"  SELECT email, reason, created FROM suppressions ORDER BY created, email;"
	"DROP TABLE suppressions;"
	"ALTER TABLE suppressions_v9 RENAME TO suppressions;"
	/* Reports are attributed by the address in any case (store_bounce.c). */
	"DROP INDEX delivery_by_email;"
	"CREATE INDEX delivery_by_email ON delivery (email COLLATE NOCASE, issue);";

int store_fold_case(struct store *st)
{
	if (merge_subscribers(st) < 0 || cancel_duplicate_deliveries(st) < 0)
		return -1;
	return store_exec(st, rebuild_sql);
}

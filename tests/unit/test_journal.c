/*
 * The delivery journal: snapshot, claim, outcomes, recovery after a crash,
 * the per-issue lock, attribute encoding, the schema migration that
 * brings the journal's tables to an older database.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "store/journal.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tap.h"

#include <sqlite3.h>
#include <unistd.h>

static int count_cb(void *data, const struct journal_entry *e)
{
	(void)e;
	(*(int *)data)++;
	return 0;
}

static int user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* A schema version 2 database (the store's first two steps), plus extra SQL. */
static int make_v2(const char *path, const char *extra)
{
	sqlite3 *db;
	int r = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, store_migrations[0].sql, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, store_migrations[1].sql, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, extra, NULL, NULL, NULL) == SQLITE_OK)
		r = 0;
	sqlite3_close(db);
	return r;
}

/* The journal's tables as journal.c created them itself, before migration 3. */
static const char v2_journal_sql[] =
	"CREATE TABLE delivery_run (issue INTEGER PRIMARY KEY, list TEXT NOT NULL,"
	"  recipients INTEGER NOT NULL, created INTEGER NOT NULL);"
	"CREATE TABLE delivery (id INTEGER PRIMARY KEY, issue INTEGER NOT NULL, email TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '', list TEXT NOT NULL, attrs TEXT NOT NULL DEFAULT '',"
	"  state INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	"  ambiguous INTEGER NOT NULL DEFAULT 0, last_code INTEGER NOT NULL DEFAULT 0,"
	"  last_reply TEXT NOT NULL DEFAULT '', message_id TEXT NOT NULL DEFAULT '',"
	"  first_attempt INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL DEFAULT 0, UNIQUE (issue, email));"
	"CREATE INDEX delivery_issue_state ON delivery (issue, state, id);"
	"INSERT INTO delivery_run VALUES (7, 'board', 2, 1700000000);"
	"INSERT INTO delivery (issue, email, list, state, attempts, last_code, last_reply) "
	"  VALUES (7, 'a@example.org', 'board', 2, 1, 250, '250 OK');"
	"INSERT INTO delivery (issue, email, list) VALUES (7, 'b@example.org', 'board');";

static void test_migration(const char *dir)
{
	struct strbuf path = STRBUF_INIT, list = STRBUF_INIT;
	struct journal *j;
	long c[JOURNAL_NSTATES];
	int latest = store_migrations[store_migrations_count - 1].version;

	path_join(&path, dir, "v2.db");
	ok(make_v2(path.buf, "INSERT INTO lists VALUES (1, 'members', '2025-01-01T00:00:00Z');") == 0,
	   "made a schema version 2 database by raw SQL");
	j = journal_open(path.buf);
	ok(j != NULL, "journal_open migrates a version 2 database");
	is_int(user_version(path.buf), latest, "  to the latest schema version (%d)", latest);
	is_int(j ? journal_has_snapshot(j, 1) : -1, 0, "  the journal's tables are there, empty");
	ok(j && journal_snapshot_begin(j, 1, "members") == 0 &&
	   journal_snapshot_add(j, "x@example.org", "X", "members", "") == 0 &&
	   journal_snapshot_commit(j) == 0, "  and usable");
	journal_close(j);

	strbuf_reset(&path);
	path_join(&path, dir, "v2-journal.db");
	ok(make_v2(path.buf, v2_journal_sql) == 0,
	   "made a version 2 database with the journal tables journal.c used to create");
	j = journal_open(path.buf);
	ok(j != NULL, "journal_open migrates it");
	is_int(user_version(path.buf), latest, "  to the latest schema version (%d)", latest);
	ok(j && journal_snapshot_list(j, 7, &list) == 1 && !strcmp(list.buf, "board"),
	   "  its snapshot is kept, with its list");
	ok(j && journal_counts(j, 7, c) == 0 && c[JOURNAL_SENT] == 1 && c[JOURNAL_PENDING] == 1,
	   "  and its rows: one sent, one pending");
	journal_close(j);
	strbuf_release(&path);
	strbuf_release(&list);
}

/*
 * The state list: each state's C value, SQL text and name agree, the
 * values run 0 .. JOURNAL_NSTATES-1, and the schema's expectations (the
 * column's DEFAULT, the partial indexes the claim relies on) use the
 * same values.
 */
static int schema_sql(const char *path, const char *sql, struct strbuf *out)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int r = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			strbuf_addstr(out, (const char *)sqlite3_column_text(st, 0));
			r = 0;
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return r;
}

static void test_states(const char *db)
{
	struct strbuf sb = STRBUF_INIT;
	int s, t, distinct = 1;

#define CHECK_STATE(name, value, str) \
	is_int(JOURNAL_##name, value, "JOURNAL_" #name " has its listed value"); \
	is_str(journal_state_name(JOURNAL_##name), str, "state " #value " is named " str);
	JOURNAL_STATES(CHECK_STATE)
#undef CHECK_STATE
	/* The values on disk, written out here on purpose: they must never change. */
#define PINNED(name, value) \
	is_int(JOURNAL_##name, value, #name " is " #value " on disk"); \
	is_str(JOURNAL_SQL(name), #value, "its SQL text is " #value);
	PINNED(PENDING, 0)
	PINNED(SENDING, 1)
	PINNED(SENT, 2)
	PINNED(RETRY, 3)
	PINNED(FAILED, 4)
	PINNED(CANCELLED, 5)
#undef PINNED
	is_int(JOURNAL_NSTATES, 6, "six states");
	for (s = 0; s < JOURNAL_NSTATES; s++) {
		if (!strcmp(journal_state_name((enum journal_state)s), "?"))
			distinct = 0;
		for (t = 0; t < s; t++)
			if (!strcmp(journal_state_name((enum journal_state)s),
				    journal_state_name((enum journal_state)t)))
				distinct = 0;
	}
	ok(distinct, "every value 0 .. JOURNAL_NSTATES-1 has a name of its own");
	is_str(journal_state_name(JOURNAL_NSTATES), "?", "a value past the list has none");

	ok(schema_sql(db, "SELECT dflt_value FROM pragma_table_info('delivery') WHERE name = 'state'", &sb) == 0 &&
	   !strcmp(sb.buf, JOURNAL_SQL(PENDING)), "a new row's default state is pending");
	strbuf_reset(&sb);
	ok(schema_sql(db, "SELECT sql FROM sqlite_master WHERE name = 'delivery_pending'", &sb) == 0 &&
	   strstr(sb.buf, "WHERE state = " JOURNAL_SQL(PENDING)), "delivery_pending indexes pending rows");
	strbuf_reset(&sb);
	ok(schema_sql(db, "SELECT sql FROM sqlite_master WHERE name = 'delivery_retry'", &sb) == 0 &&
	   strstr(sb.buf, "WHERE state = " JOURNAL_SQL(RETRY)), "delivery_retry indexes retry rows");
	strbuf_release(&sb);
}

int main(void)
{
	char tmpl[] = "/tmp/nb-journal.XXXXXX";
	struct strbuf db = STRBUF_INIT, sb = STRBUF_INIT;
	struct journal *j;
	struct journal_row rows[10];
	struct journal_outcome o;
	long c[JOURNAL_NSTATES];
	int64_t cursor = 0, when;
	int i, n, fd, fd2, seen;
	const char *keys[] = { "city", "note" };
	const char *vals[] = { "Zürich", "two\nlines \\ and = sign" };
	char **k, **v;

	if (!mkdtemp(tmpl))
		skip_all("no temporary directory");
	path_join(&db, tmpl, "newsbeat.db");
	j = journal_open(db.buf);
	ok(j != NULL, "journal opens and creates its tables");
	if (!j)
		return tap_done();
	is_int(journal_has_snapshot(j, 42), 0, "no snapshot yet");

	ok(journal_snapshot_begin(j, 42, "members") == 0, "snapshot begins");
	for (i = 0; i < 25; i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "user%02d@example.org", i);
		journal_snapshot_add(j, sb.buf, i ? "Name" : NULL, "members", "");
	}
	journal_snapshot_add(j, "user03@example.org", "Dup", "members", "");
	ok(journal_snapshot_commit(j) == 0, "snapshot commits");
	is_int(journal_has_snapshot(j, 42), 1, "snapshot recorded");
	journal_counts(j, 42, c);
	is_int(c[JOURNAL_PENDING], 25, "25 pending (duplicate kept once)");

	/* An aborted snapshot leaves nothing behind. */
	journal_snapshot_begin(j, 43, "members");
	journal_snapshot_add(j, "x@example.org", "", "members", "");
	journal_snapshot_abort(j);
	is_int(journal_has_snapshot(j, 43), 0, "aborted snapshot leaves no run");
	journal_counts(j, 43, c);
	is_int(c[JOURNAL_PENDING], 0, "aborted snapshot leaves no rows");

	n = journal_claim(j, 42, 1000, rows, 10, &cursor);
	is_int(n, 10, "claim 10");
	is_str(rows[0].email, "user00@example.org", "in snapshot order");
	is_str(rows[0].name, "", "NULL name stored as empty");
	journal_counts(j, 42, c);
	is_int(c[JOURNAL_SENDING], 10, "claimed rows are 'sending'");

	memset(&o, 0, sizeof(o));
	o.state = JOURNAL_SENT;
	o.attempts = 1;
	o.code = 250;
	o.reply = "250 2.0.0 Ok: queued";
	o.message_id = "abc@example.org";
	o.first_attempt = 1000;
	for (i = 0; i < 5; i++)
		journal_record(j, rows[i].id, 1000, &o);
	o.state = JOURNAL_FAILED;
	o.code = 550;
	o.reply = "550 5.1.1 no such user";
	journal_record(j, rows[5].id, 1000, &o);
	o.state = JOURNAL_RETRY;
	o.code = 451;
	o.reply = "451 try later";
	o.next_attempt = 2000;
	journal_record(j, rows[6].id, 1000, &o);
	/* rows 7..9 stay 'sending': a crash */
	for (i = 0; i < n; i++)
		journal_row_release(&rows[i]);
	ok(journal_recover(j, 42) == 0, "recover after a crash");
	journal_counts(j, 42, c);
	is_int(c[JOURNAL_SENT], 5, "5 sent");
	is_int(c[JOURNAL_FAILED], 1, "1 failed");
	is_int(c[JOURNAL_RETRY], 1, "1 retry");
	is_int(c[JOURNAL_SENDING], 0, "nothing left 'sending'");
	is_int(c[JOURNAL_PENDING], 18, "in-flight rows are pending again");
	journal_next_retry(j, 42, &when);
	is_int(when, 2000, "next retry time");

	/* Resume: sent and failed rows are never claimed again. */
	cursor = 0;
	seen = 0;
	while ((n = journal_claim(j, 42, 1500, rows, 10, &cursor)) > 0) {
		for (i = 0; i < n; i++) {
			ok(strcmp(rows[i].email, "user00@example.org") != 0 || 0, "sent row not claimed");
			journal_row_release(&rows[i]);
		}
		seen += n;
	}
	is_int(seen, 18, "resume claims exactly the 18 pending (retry not yet due)");
	cursor = 0;
	n = journal_claim(j, 42, 2000, rows, 10, &cursor);
	is_int(n, 1, "the retry is claimed once due");
	is_int(n == 1 ? rows[0].attempts : -1, 1, "with its attempt count");
	for (i = 0; i < n; i++) {
		journal_release_row(j, rows[i].id);
		journal_row_release(&rows[i]);
	}
	journal_counts(j, 42, c);
	is_int(c[JOURNAL_RETRY], 1, "released retry row is 'retry' again");

	seen = 0;
	journal_each(j, 42, 1u << JOURNAL_FAILED, count_cb, &seen);
	is_int(seen, 1, "journal_each filters by state");

	/* --retry-failed: only the failed row moves, back to pending with fresh attempts. */
	{
		long before[JOURNAL_NSTATES];

		journal_counts(j, 42, before);
		is_int(journal_requeue_failed(j, 43, 3000, 0), 0, "another issue's failed rows are not touched");
		is_int(journal_requeue_failed(j, 42, 3000, 0), 1, "one failed row re-queued");
		journal_counts(j, 42, c);
		is_int(c[JOURNAL_FAILED], 0, "…none failed now");
		is_int(c[JOURNAL_PENDING], before[JOURNAL_PENDING] + 1, "…it is pending");
		is_int(c[JOURNAL_SENT], before[JOURNAL_SENT], "…sent rows untouched");
		is_int(c[JOURNAL_RETRY], before[JOURNAL_RETRY], "…retry rows untouched");
		cursor = 0;
		seen = 0;
		while ((n = journal_claim(j, 42, 1500, rows, 10, &cursor)) > 0) {
			for (i = 0; i < n; i++) {
				if (!strcmp(rows[i].email, "user05@example.org")) {
					seen = 1;
					is_int(rows[i].attempts, 0, "…with a fresh attempt count");
					is_int((int)rows[i].first_attempt, 0, "…and retry window");
				}
				journal_release_row(j, rows[i].id);
				journal_row_release(&rows[i]);
			}
		}
		ok(seen, "the re-queued row is claimed again");
		is_int(journal_requeue_failed(j, 42, 3000, 0), 0, "nothing failed: nothing re-queued");
	}

	/* The per-issue lock. */
	fd = journal_lock_issue(db.buf, 42);
	ok(fd >= 0, "lock issue 42");
	fd2 = journal_lock_issue(db.buf, 42);
	is_int(fd2, -2, "second lock on issue 42 is refused");
	fd2 = journal_lock_issue(db.buf, 43);
	ok(fd2 >= 0, "issue 43 can be locked at the same time");
	journal_unlock_issue(fd2);
	journal_unlock_issue(fd);
	fd = journal_lock_issue(db.buf, 42);
	ok(fd >= 0, "lock free again after unlock");
	journal_unlock_issue(fd);

	/*
	 * The per-message check runs on the journal's connection; an
	 * unsubscribe committed by another connection (serve, the CLI)
	 * after the journal's own commits is seen at once.
	 */
	{
		struct store *st = store_open(db.buf);
		struct store_subscriber ann = { "ann@example.org", "Ann", 0, NULL, NULL };
		enum store_result res;

		ok(st && store_subscribe(st, &ann, "members", 0, &res, NULL) == 0, "another connection adds ann");
		is_int(journal_deliverable(j, "ann@example.org", "members"), 1, "journal_deliverable: ann is active");
		is_int(journal_deliverable(j, "bob@example.org", "members"), 0, "journal_deliverable: bob is not a member");
		journal_snapshot_begin(j, 77, "members");
		journal_snapshot_add(j, "ann@example.org", "Ann", "members", "");
		journal_snapshot_commit(j);
		is_int(journal_deliverable(j, "ann@example.org", "members"), 1, "still active after the journal's own commit");
		store_unsubscribe(st, "ann@example.org", "members", "web");
		is_int(journal_deliverable(j, "ann@example.org", "members"), 0, "an unsubscribe by another connection is seen");
		store_close(st);
	}

	/* Attributes survive the round trip, whatever they hold. */
	strbuf_reset(&sb);
	journal_attrs_encode(&sb, 2, keys, vals);
	n = (int)journal_attrs_decode(sb.buf, &k, &v);
	is_int(n, 2, "two attributes decoded");
	if (n == 2) {
		is_str(k[0], "city", "key");
		is_str(v[0], "Zürich", "UTF-8 value");
		is_str(v[1], vals[1], "newline, backslash and '=' survive");
	}
	journal_attrs_free((size_t)n, k, v);
	n = (int)journal_attrs_decode("", &k, &v);
	is_int(n, 0, "empty attributes");
	journal_attrs_free((size_t)n, k, v);

	journal_close(j);
	test_states(db.buf);
	test_migration(tmpl);
	remove_tree(tmpl);
	strbuf_release(&db);
	strbuf_release(&sb);
	return tap_done();
}

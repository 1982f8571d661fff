/*
 * The subscriber store: connection, migrations, helpers, and the writes
 * (subscribe, unsubscribe, statuses, suppressions).  Reads that stream
 * are in store_cursor.c; the schema is in store_schema.c.
 */
#include "base/common.h"
#include "base/clock.h"
#include "store/store_internal.h"
#include "base/strbuf.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

static const char *const status_names[STORE_STATUS_COUNT] = {
	[STORE_NONE] = "none",
	[STORE_ACTIVE] = "active",
	[STORE_PENDING] = "pending",
	[STORE_UNSUBSCRIBED] = "unsubscribed",
	[STORE_BOUNCED] = "bounced",
	[STORE_COMPLAINED] = "complained",
};

const char *store_status_name(enum store_status s)
{
	if ((unsigned)s >= STORE_STATUS_COUNT)
		BUG("bad store status %d", (int)s);
	return status_names[s];
}

int store_status_parse(const char *name, enum store_status *out)
{
	int i;

	for (i = 0; i < STORE_STATUS_COUNT; i++) {
		if (name && !strcmp(name, status_names[i])) {
			*out = (enum store_status)i;
			return 0;
		}
	}
	return -1;
}

int store_attr_key_valid(const char *key)
{
	size_t i;

	if (!key || !*key)
		return 0;
	for (i = 0; key[i]; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return i <= 64;
}

int store_sql_error(struct store *st, const char *what)
{
	return error("database '%s': %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static _Thread_local char now_cached[32];
static _Thread_local time_t now_cached_at;

void store_now(char buf[32])
{
	time_t t = time(NULL);

	/* Worked out once per second per thread: an import asks for every row. */
	if (t != now_cached_at || !now_cached[0]) {
		clock_format_utc(clock_now(), now_cached);
		now_cached_at = t;
	}
	memcpy(buf, now_cached, sizeof(now_cached));
}

int store_bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
	return sqlite3_bind_text(stmt, idx, s ? s : "", -1, SQLITE_STATIC);
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql)
{
	struct store_stmt_cache *c;
	size_t i;

	for (i = 0; i < st->ncache; i++) {
		c = &st->cache[i];
		if (c->sql == sql) {
			sqlite3_reset(c->stmt);
			sqlite3_clear_bindings(c->stmt);
			return c->stmt;
		}
	}
	ALLOC_GROW(st->cache, st->ncache + 1, st->cache_alloc);
	c = &st->cache[st->ncache];
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt, NULL) != SQLITE_OK) {
		store_sql_error(st, "cannot prepare a statement");
		error("the statement was: %s", sql);
		return NULL;
	}
	c->sql = sql;
	st->ncache++;
	return c->stmt;
}

int store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("database '%s': %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

void store_abandon_txn(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t store_changes(struct store *st)
{
	return sqlite3_changes(st->db);
}

int store_step_done(struct store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_sql_error(st, what);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

int store_begin(struct store *st)
{
	if (st->in_txn)
		BUG("store_begin inside a transaction");
	/* IMMEDIATE: take the write lock now, so the busy timeout applies (a
	 * read transaction upgraded later would fail at once with BUSY). */
	if (store_exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	st->in_txn = 1;
	return 0;
}

/*
 * A batch (an import) runs without SQLite's foreign key checks: every row
 * it writes comes from this module, which creates the list and the
 * subscriber before the membership and attributes that point at them, and
 * nothing is ever deleted.  The checks cost a fifth of an import's time.
 * The pragma is a no-op inside a transaction, hence before BEGIN / after
 * the end.
 *
 * And with a page cache of 4 MiB instead of SQLite's 2: the email index
 * takes the rows in random order, and with 2 MiB its pages went out to
 * the WAL and were read back over and over (40,000 page writes and 33,000
 * reads for 100,000 rows whose database is 7,000 pages), 10 % of the
 * import's time.  The cache is a fixed size: memory still does not grow
 * with the file.
 */
static int batch_end(struct store *st);

int store_begin_batch(struct store *st)
{
	if (store_exec(st, "PRAGMA foreign_keys = OFF") < 0 ||
	    store_exec(st, "PRAGMA cache_size = -4000") < 0)
		return -1;
	st->batch = 1;
	if (store_begin(st) < 0) {
		batch_end(st);
		return -1;
	}
	return 0;
}

/*
 * After a batch: foreign key checks on again.  Only then: the pragma
 * expires every prepared statement, which aborts an open cursor.
 */
static int batch_end(struct store *st)
{
	if (!st->batch)
		return 0;
	st->batch = 0;
	if (store_exec(st, "PRAGMA cache_size = -2000"	/* SQLite's default */) < 0)
		return -1;
	return store_exec(st, "PRAGMA foreign_keys = ON");
}

int store_commit(struct store *st)
{
	if (!st->in_txn)
		BUG("store_commit outside a transaction");
	st->in_txn = 0;
	if (store_exec(st, "COMMIT") < 0) {
		free(st->last_list);
		st->last_list = NULL;
		store_exec(st, "ROLLBACK");
		batch_end(st);
		return -1;
	}
	return batch_end(st);
}

int store_rollback(struct store *st)
{
	if (!st->in_txn)
		BUG("store_rollback outside a transaction");
	st->in_txn = 0;
	free(st->last_list);
	st->last_list = NULL;
	if (store_exec(st, "ROLLBACK") < 0)
		return -1;
	return batch_end(st);
}

int store_write_begin(struct store *st)
{
	if (st->in_txn)
		return 0;
	return store_begin(st) < 0 ? -1 : 1;
}

int store_write_end(struct store *st, int began, int ok)
{
	if (!began)
		return ok;
	if (ok < 0) {
		store_rollback(st);
		return ok;
	}
	return store_commit(st) < 0 ? -1 : ok;
}

static int user_version(struct store *st, int *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return store_sql_error(st, "cannot read the schema version");
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return store_sql_error(st, "cannot read the schema version");
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* 1 if a row points at one that is not there (or the check failed: reported), else 0. */
static int foreign_keys_broken(struct store *st)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK) {
		store_sql_error(st, "cannot check the foreign keys");
		return 1;
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE) {
		store_sql_error(st, "cannot check the foreign keys");
		return 1;
	}
	return 0;
}

static int migrate(struct store *st)
{
	int latest = store_migrations[store_migrations_count - 1].version;
	struct strbuf bak = STRBUF_INIT;
	int v, from, r = 0;
	size_t i;

	if (user_version(st, &v) < 0)
		return -1;
	if (v == latest)
		return 0;
	if (v > latest)
		return error("database '%s' has schema version %d, newer than this newsbeat knows (%d): "
			     "use a newer newsbeat", st->path, v, latest);
	/*
	 * An existing database is copied before it is changed: a migration
	 * is one transaction, but the new schema cannot be read by the
	 * newsbeat that wrote the old one, and going back must stay possible.
	 */
	if (v > 0) {
		strbuf_addf(&bak, "%s.schema-v%d.bak", st->path, v);
		if (store_backup(st, bak.buf) < 0) {
			strbuf_release(&bak);
			return error("database '%s' was not upgraded: the copy of the old file failed", st->path);
		}
	}
	/* Foreign keys off: a migration may rebuild a table (store_internal.h). */
	if (store_begin_batch(st) < 0) {
		strbuf_release(&bak);
		return -1;
	}
	from = v;
	/* Another process may have migrated while we waited for the lock. */
	if (user_version(st, &v) < 0)
		r = -1;
	for (i = 0; !r && i < store_migrations_count; i++) {
		const struct store_migration *m = &store_migrations[i];
		struct strbuf sql = STRBUF_INIT;

		if (m->version <= v)
			continue;
		if (m->sql && store_exec(st, m->sql) < 0)
			r = -1;
		if (!r && m->fn && m->fn(st) < 0)
			r = -1;
		if (!r) {
			strbuf_addf(&sql, "PRAGMA user_version = %d", m->version);
			r = store_exec(st, sql.buf);
		}
		if (r)
			error("database '%s': migration to schema version %d (%s) failed; the database is unchanged",
			      st->path, m->version, m->what);
		strbuf_release(&sql);
	}
	if (!r && foreign_keys_broken(st)) {
		error("database '%s': the migration to schema version %d would leave rows pointing at nothing; "
		      "the database is unchanged", st->path, latest);
		r = -1;
	}
	if (r) {
		store_rollback(st);
		strbuf_release(&bak);
		return -1;
	}
	r = store_commit(st);
	if (!r && bak.len)
		warning("database '%s' upgraded from schema version %d to %d; the old file is kept as '%s'",
			st->path, from, latest, bak.buf);
	strbuf_release(&bak);
	return r;
}

struct store *store_open(const char *path)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int rc, fd;

	st->path = xstrdup(path);
	/*
	 * Every address is in here: create the file 0600 ourselves (SQLite
	 * would make it 0644 less the umask), and SQLite gives the -wal and
	 * -shm files the database's own mode.
	 */
	fd = !*path || !strcmp(path, ":memory:") ? -2 :
		open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (fd == -1 && errno != EEXIST) {
		error("cannot create database '%s': %s", path, strerror(errno));
		goto fail;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (st->db)
			error("cannot open database '%s': %s", path, sqlite3_errmsg(st->db));
		else
			error("cannot open database '%s': out of memory", path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/*
	 * WAL: readers and one writer do not block each other (a send reads
	 * while the web form unsubscribes).  The pragma answers with the mode;
	 * a read-only or network file system may refuse it.
	 */
	if (store_exec(st, "PRAGMA journal_mode = WAL") < 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON") < 0)
		goto fail;
	if (migrate(st) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

void store_close(struct store *st)
{
	size_t i;

	if (!st)
		return;
	if (st->in_txn)
		store_rollback(st);
	for (i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	free(st->cache);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		BUG("database '%s' closed with statements open", st->path);
	free(st->last_list);
	free(st->path);
	free(st);
}

int64_t store_list_id(struct store *st, const char *name, int create)
{
	sqlite3_stmt *s;
	char now[32];
	int64_t id = 0;
	int rc;

	if (st->last_list && !strcmp(st->last_list, name))
		return st->last_list_id;
	s = store_stmt(st, "SELECT id FROM lists WHERE name = ?1");
	if (!s)
		return -1;
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot look up a list");
	sqlite3_reset(s);
	if (!id && create) {
		s = store_stmt(st, "INSERT INTO lists (name, created) VALUES (?1, ?2)");
		if (!s)
			return -1;
		store_now(now);
		store_bind_text(s, 1, name);
		store_bind_text(s, 2, now);
		if (store_step_done(st, s, "cannot create a list") < 0)
			return -1;
		id = sqlite3_last_insert_rowid(st->db);
	}
	/* store_rollback() forgets it, in case the creation is undone. */
	if (id) {
		free(st->last_list);
		st->last_list = xstrdup(name);
		st->last_list_id = id;
	}
	return id;
}

int64_t store_subscriber_id(struct store *st, const char *email)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT id FROM subscribers WHERE email = ?1");
	int64_t id = 0;
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, email);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot look up a subscriber");
	sqlite3_reset(s);
	return id;
}

static int status_from_text(const unsigned char *t)
{
	enum store_status s;

	if (!t || store_status_parse((const char *)t, &s) < 0)
		return STORE_NONE;
	return s;
}

/* Membership status; STORE_NONE when none; -1 after error(). */
static int membership_status(struct store *st, int64_t list_id, int64_t sub_id)
{
	sqlite3_stmt *s;
	int rc, status = STORE_NONE;

	if (!list_id || !sub_id)
		return STORE_NONE;
	s = store_stmt(st, "SELECT status FROM memberships WHERE list_id = ?1 AND subscriber_id = ?2");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, sub_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		status = status_from_text(sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot read a membership");
	sqlite3_reset(s);
	return status;
}

/*
 * Record a membership's status.  `exists`: the caller has read the row
 * (status other than STORE_NONE), so UPDATE it; else INSERT.  Not an
 * upsert: SQLite's ON CONFLICT DO UPDATE cost half of an import's time.
 */
static int set_membership(struct store *st, int64_t list_id, int64_t sub_id,
			  enum store_status status, const char *reason, int exists)
{
	sqlite3_stmt *s;
	char now[32];

	if (exists)
		s = store_stmt(st, "UPDATE memberships SET status = ?3, updated = ?4, reason = ?5"
				   " WHERE list_id = ?1 AND subscriber_id = ?2");
	else
		s = store_stmt(st, "INSERT INTO memberships (list_id, subscriber_id, status, updated, reason)"
				   " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!s)
		return -1;
	store_now(now);
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, sub_id);
	store_bind_text(s, 3, store_status_name(status));
	store_bind_text(s, 4, now);
	store_bind_text(s, 5, reason);
	return store_step_done(st, s, "cannot record a membership");
}

int store_is_suppressed(struct store *st, const char *email)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM suppressions WHERE email = ?1");
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, email);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot read the suppression list");
	return 0;
}

int store_suppress(struct store *st, const char *email, const char *reason)
{
	sqlite3_stmt *s = store_stmt(st, "INSERT OR IGNORE INTO suppressions (email, reason, created)"
				     " VALUES (?1, ?2, ?3)");
	char now[32];

	if (!s)
		return -1;
	store_now(now);
	store_bind_text(s, 1, email);
	store_bind_text(s, 2, reason);
	store_bind_text(s, 3, now);
	return store_step_done(st, s, "cannot add to the suppression list");
}

int store_unsuppress(struct store *st, const char *email)
{
	sqlite3_stmt *s = store_stmt(st, "DELETE FROM suppressions WHERE email = ?1");

	if (!s)
		return -1;
	store_bind_text(s, 1, email);
	if (store_step_done(st, s, "cannot remove from the suppression list") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

/* Set one attribute; "" deletes.  Returns 1 if it changed, 0 if not, -1. */
static int set_attr(struct store *st, int64_t sub_id, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int rc, same = 0, exists = 0;

	s = store_stmt(st, "SELECT value FROM attributes WHERE subscriber_id = ?1 AND key = ?2");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sub_id);
	store_bind_text(s, 2, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		exists = 1;
		same = !strcmp((const char *)sqlite3_column_text(s, 0), value);
	} else if (rc != SQLITE_DONE) {
		return store_sql_error(st, "cannot read an attribute");
	}
	sqlite3_reset(s);
	if (!*value) {
		if (!exists)
			return 0;
		s = store_stmt(st, "DELETE FROM attributes WHERE subscriber_id = ?1 AND key = ?2");
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, sub_id);
		store_bind_text(s, 2, key);
		return store_step_done(st, s, "cannot remove an attribute") < 0 ? -1 : 1;
	}
	if (same)
		return 0;
	s = store_stmt(st, "INSERT OR REPLACE INTO attributes (subscriber_id, key, value) VALUES (?1, ?2, ?3)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, sub_id);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, value);
	return store_step_done(st, s, "cannot store an attribute") < 0 ? -1 : 1;
}

/*
 * A new subscriber's attributes ("" values are none), up to four rows
 * per statement: an import adds them for every row.  OR REPLACE: a
 * repeated key keeps the last value, as set_attr() one by one would.
 */
static int add_new_attrs(struct store *st, int64_t sub_id, const struct store_subscriber *sub)
{
	static const char *const sql[] = {
		NULL,
		"INSERT OR REPLACE INTO attributes (subscriber_id, key, value) VALUES (?1, ?2, ?3)",
		"INSERT OR REPLACE INTO attributes (subscriber_id, key, value) VALUES (?1, ?2, ?3),"
		" (?1, ?4, ?5)",
		"INSERT OR REPLACE INTO attributes (subscriber_id, key, value) VALUES (?1, ?2, ?3),"
		" (?1, ?4, ?5), (?1, ?6, ?7)",
		"INSERT OR REPLACE INTO attributes (subscriber_id, key, value) VALUES (?1, ?2, ?3),"
		" (?1, ?4, ?5), (?1, ?6, ?7), (?1, ?8, ?9)",
	};
	size_t i = 0;

	while (i < sub->nattrs) {
		const char *key[4], *value[4];
		sqlite3_stmt *s;
		int n = 0, k;

		for (; i < sub->nattrs && n < 4; i++)
			if (*sub->attr_values[i]) {
				key[n] = sub->attr_keys[i];
				value[n++] = sub->attr_values[i];
			}
		if (!n)
			break;
		s = store_stmt(st, sql[n]);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, sub_id);
		for (k = 0; k < n; k++) {
			store_bind_text(s, 2 + 2 * k, key[k]);
			store_bind_text(s, 3 + 2 * k, value[k]);
		}
		if (store_step_done(st, s, "cannot store an attribute") < 0)
			return -1;
	}
	return 0;
}

static int sticky(int status)
{
	return status == STORE_UNSUBSCRIBED || status == STORE_BOUNCED || status == STORE_COMPLAINED;
}

/*
 * The subscriber's id (0: none), membership status on the list and
 * suppression, in one statement: an import runs this for every row.
 */
static int lookup(struct store *st, const char *email, int64_t list_id,
		  int64_t *sub_id, int *status, int *suppressed)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT s.id, m.status, EXISTS (SELECT 1 FROM suppressions x WHERE x.email = ?1)"
		" FROM (SELECT ?1 AS email) q"
		" LEFT JOIN subscribers s ON s.email = q.email"
		" LEFT JOIN memberships m ON m.list_id = ?2 AND m.subscriber_id = s.id");
	int rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, email);
	sqlite3_bind_int64(s, 2, list_id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		return store_sql_error(st, "cannot look up a subscriber");
	*sub_id = sqlite3_column_int64(s, 0);
	*status = *sub_id ? status_from_text(sqlite3_column_text(s, 1)) : STORE_NONE;
	*suppressed = sqlite3_column_int(s, 2);
	sqlite3_reset(s);
	return 0;
}

int store_deliverable(struct store *st, const char *email, const char *list)
{
	int64_t list_id = store_list_id(st, list, 0), sub_id;
	int status, suppressed;

	if (list_id <= 0)
		return list_id < 0 ? -1 : 0;
	if (lookup(st, email, list_id, &sub_id, &status, &suppressed) < 0)
		return -1;
	return status == STORE_ACTIVE && !suppressed;
}

/*
 * Insert the subscriber's row: its id; 0 if nothing was inserted (the
 * address is there already, or it is suppressed and not even_suppressed);
 * -1.
 */
static int64_t insert_subscriber(struct store *st, const struct store_subscriber *sub,
				 const char *now, int even_suppressed)
{
	sqlite3_stmt *s = store_stmt(st, "INSERT OR IGNORE INTO subscribers (email, name, created, updated)"
				     " SELECT ?1, ?2, ?3, ?3"
				     " WHERE ?4 OR NOT EXISTS (SELECT 1 FROM suppressions WHERE email = ?1)");

	if (!s)
		return -1;
	store_bind_text(s, 1, sub->email);
	store_bind_text(s, 2, sub->name);
	store_bind_text(s, 3, now);
	sqlite3_bind_int(s, 4, even_suppressed);
	if (store_step_done(st, s, "cannot add a subscriber") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? sqlite3_last_insert_rowid(st->db) : 0;
}

static int subscribe(struct store *st, const struct store_subscriber *sub, const char *list,
		     unsigned flags, enum store_result *result, enum store_status *skip_status)
{
	enum store_status want = (flags & STORE_AS_PENDING) ? STORE_PENDING : STORE_ACTIVE;
	int64_t list_id, sub_id = 0;
	int status = STORE_NONE, suppressed = 0, changed = 0, is_new = 0;
	sqlite3_stmt *s;
	char now[32];
	size_t i;

	list_id = store_list_id(st, list, 1);
	if (list_id < 0)
		return -1;
	store_now(now);
	/*
	 * A new address that is not suppressed takes one statement if it is
	 * simply inserted; anything else (it exists, or it is suppressed) is
	 * looked up first.  Which to try first follows the previous address:
	 * a fresh import is all new ones, a re-import of a member list all
	 * known ones.
	 */
	if (st->expect_new) {
		sub_id = insert_subscriber(st, sub, now, 0);
		if (sub_id < 0)
			return -1;
		is_new = sub_id > 0;
	}
	if (!is_new && lookup(st, sub->email, list_id, &sub_id, &status, &suppressed) < 0)
		return -1;
	st->expect_new = is_new || !sub_id;
	if (!(flags & STORE_RESUBSCRIBE) && (sticky(status) || suppressed)) {
		*result = STORE_SKIPPED;
		if (skip_status)
			*skip_status = sticky(status) ? status : STORE_NONE;
		return 0;
	}
	if (!sub_id) {
		/* Not there (lookup said so), or suppressed and --resubscribe. */
		sub_id = insert_subscriber(st, sub, now, 1);
		if (sub_id <= 0)
			return sub_id < 0 ? -1 : error("database '%s': '%s' was not added", st->path, sub->email);
		is_new = 1;
	} else if (sub->name) {
		s = store_stmt(st, "UPDATE subscribers SET name = ?2, updated = ?3 WHERE id = ?1 AND name <> ?2");
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, sub_id);
		store_bind_text(s, 2, sub->name);
		store_bind_text(s, 3, now);
		if (store_step_done(st, s, "cannot update a subscriber") < 0)
			return -1;
		changed |= sqlite3_changes(st->db) > 0;
	}
	for (i = 0; i < sub->nattrs; i++)
		if (!store_attr_key_valid(sub->attr_keys[i]))
			BUG("invalid attribute key '%s'", sub->attr_keys[i]);
	if (is_new) {
		if (add_new_attrs(st, sub_id, sub) < 0)
			return -1;
	} else {
		for (i = 0; i < sub->nattrs; i++) {
			int r = set_attr(st, sub_id, sub->attr_keys[i], sub->attr_values[i]);

			if (r < 0)
				return -1;
			changed |= r;
		}
	}
	if (changed && !is_new) {
		s = store_stmt(st, "UPDATE subscribers SET updated = ?2 WHERE id = ?1");
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, sub_id);
		store_bind_text(s, 2, now);
		if (store_step_done(st, s, "cannot update a subscriber") < 0)
			return -1;
	}
	if (suppressed && store_unsuppress(st, sub->email) < 0)
		return -1;

	if (status == STORE_NONE) {
		*result = STORE_ADDED;
		return set_membership(st, list_id, sub_id, want, "", 0);
	}
	if (sticky(status) || (status == STORE_PENDING && want == STORE_ACTIVE)) {
		*result = STORE_UPDATED;
		return set_membership(st, list_id, sub_id, want,
				      (flags & STORE_RESUBSCRIBE) ? "resubscribed" : "confirmed", 1);
	}
	if (suppressed)
		changed = 1;
	*result = changed ? STORE_UPDATED : STORE_UNCHANGED;
	return 0;
}

int store_subscribe(struct store *st, const struct store_subscriber *sub,
		    const char *list, unsigned flags, enum store_result *result,
		    enum store_status *skip_status)
{
	int began = store_write_begin(st), r;

	if (began < 0)
		return -1;
	r = subscribe(st, sub, list, flags, result, skip_status);
	return store_write_end(st, began, r);
}

int store_member_status(struct store *st, const char *email, const char *list)
{
	int64_t list_id = store_list_id(st, list, 0), sub_id;

	if (list_id <= 0)
		return list_id < 0 ? -1 : STORE_NONE;
	sub_id = store_subscriber_id(st, email);
	if (sub_id < 0)
		return -1;
	return membership_status(st, list_id, sub_id);
}

/*
 * The subscription request recorded for (list, subscriber): 1 with *sent
 * and *name (allocated) set, 0 when there is none (*name NULL), or -1.
 */
static int held_request(struct store *st, int64_t list_id, int64_t sub_id,
			int64_t *sent, char **name)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT sent, name FROM confirmations"
				     " WHERE list_id = ?1 AND subscriber_id = ?2");
	int rc;

	*name = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, sub_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*sent = sqlite3_column_int64(s, 0);
		*name = xstrdup((const char *)sqlite3_column_text(s, 1));
		sqlite3_reset(s);
		return 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot read a subscription request");
	return 0;
}

static int subscribe_request(struct store *st, const char *email, const char *name,
			     const char *list, int64_t now, int64_t interval)
{
	struct store_subscriber sub = { email, NULL, 0, NULL, NULL };
	enum store_result res;
	int64_t list_id, sub_id, sent = 0;
	int status, suppressed, have;
	char *held;
	sqlite3_stmt *s;

	list_id = store_list_id(st, list, 1);
	if (list_id < 0 || lookup(st, email, list_id, &sub_id, &status, &suppressed) < 0)
		return -1;
	if (suppressed || sticky(status))
		return 0;
	if (status == STORE_NONE) {
		/* No name: it is only taken once the mailbox's owner confirms. */
		if (subscribe(st, &sub, list, STORE_AS_PENDING, &res, NULL) < 0)
			return -1;
		if ((sub_id = store_subscriber_id(st, email)) <= 0)
			return sub_id < 0 ? -1 : error("database '%s': '%s' was not added",
						       st->path, email);
	}
	have = held_request(st, list_id, sub_id, &sent, &held);
	free(held);
	if (have < 0)
		return -1;
	/* A clock set back must not silence the address until it catches up. */
	if (have && interval > 0 && sent <= now && now - sent < interval)
		return 0;
	s = store_stmt(st, "INSERT OR REPLACE INTO confirmations (list_id, subscriber_id, name, sent)"
			   " VALUES (?1, ?2, ?3, ?4)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, sub_id);
	store_bind_text(s, 3, name);
	sqlite3_bind_int64(s, 4, now);
	if (store_step_done(st, s, "cannot record a subscription request") < 0)
		return -1;
	return 1;
}

int store_subscribe_request(struct store *st, const char *email, const char *name,
			    const char *list, int64_t now, int64_t interval)
{
	int began = store_write_begin(st), r;

	if (began < 0)
		return -1;
	r = subscribe_request(st, email, name, list, now, interval);
	return store_write_end(st, began, r);
}

int store_subscribe_request_unsent(struct store *st, const char *email, const char *list)
{
	int64_t list_id = store_list_id(st, list, 0), sub_id = 0;
	sqlite3_stmt *s;

	if (list_id > 0)
		sub_id = store_subscriber_id(st, email);
	if (list_id <= 0 || sub_id <= 0)
		return list_id < 0 || sub_id < 0 ? -1 : 0;
	s = store_stmt(st, "UPDATE confirmations SET sent = 0 WHERE list_id = ?1 AND subscriber_id = ?2");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int64(s, 2, sub_id);
	return store_step_done(st, s, "cannot record an unsent confirmation");
}

static int confirm(struct store *st, const char *email, const char *list)
{
	int64_t list_id = store_list_id(st, list, 0), sub_id, sent;
	int status, suppressed, have;
	char *held = NULL, now[32];
	sqlite3_stmt *s;

	if (list_id <= 0)
		return list_id < 0 ? -1 : STORE_NONE;
	if (lookup(st, email, list_id, &sub_id, &status, &suppressed) < 0)
		return -1;
	if (suppressed)
		return STORE_NONE;
	if (status != STORE_PENDING && status != STORE_ACTIVE)
		return status;
	if (status == STORE_PENDING &&
	    set_membership(st, list_id, sub_id, STORE_ACTIVE, "confirmed", 1) < 0)
		return -1;
	have = held_request(st, list_id, sub_id, &sent, &held);
	if (have < 0)
		return -1;
	/*
	 * The name typed into the form is taken only as someone joins: a
	 * member already active keeps the name they have, or a stranger
	 * could submit the form with any name for them, and one click on a
	 * confirmation they did not ask for would put it into every greeting.
	 */
	if (have && *held && status == STORE_PENDING) {
		store_now(now);
		s = store_stmt(st, "UPDATE subscribers SET name = ?2, updated = ?3 WHERE id = ?1 AND name <> ?2");
		if (s) {
			sqlite3_bind_int64(s, 1, sub_id);
			store_bind_text(s, 2, held);
			store_bind_text(s, 3, now);
		}
		if (!s || store_step_done(st, s, "cannot update a subscriber") < 0) {
			free(held);
			return -1;
		}
		/* The time stays: it still limits the e-mails to this address. */
		s = store_stmt(st, "UPDATE confirmations SET name = '' WHERE list_id = ?1 AND subscriber_id = ?2");
		if (s) {
			sqlite3_bind_int64(s, 1, list_id);
			sqlite3_bind_int64(s, 2, sub_id);
		}
		if (!s || store_step_done(st, s, "cannot record a subscription request") < 0) {
			free(held);
			return -1;
		}
	}
	free(held);
	return STORE_ACTIVE;
}

static int change_status(struct store *st, const char *email, const char *list,
			 enum store_status from, enum store_status to, const char *reason)
{
	int64_t list_id = store_list_id(st, list, 0), sub_id;
	int status;

	if (list_id <= 0)
		return list_id < 0 ? -1 : STORE_NONE;
	sub_id = store_subscriber_id(st, email);
	if (sub_id <= 0)
		return sub_id < 0 ? -1 : STORE_NONE;
	status = membership_status(st, list_id, sub_id);
	if (status <= STORE_NONE)
		return status;
	if (from != STORE_NONE && status != (int)from)
		return status;
	if (status == (int)to)
		return status;
	if (set_membership(st, list_id, sub_id, to, reason, 1) < 0)
		return -1;
	return status;
}

int store_confirm(struct store *st, const char *email, const char *list)
{
	int began = store_write_begin(st), r;

	if (began < 0)
		return -1;
	r = confirm(st, email, list);
	return store_write_end(st, began, r);
}

int store_unsubscribe(struct store *st, const char *email, const char *list, const char *reason)
{
	int began = store_write_begin(st), r;

	if (began < 0)
		return -1;
	r = change_status(st, email, list, STORE_NONE, STORE_UNSUBSCRIBED, reason);
	return store_write_end(st, began, r);
}

static int set_status(struct store *st, const char *email, const char *list,
		      enum store_status status, const char *reason)
{
	sqlite3_stmt *s;
	char now[32];
	int64_t sub_id;

	if (list) {
		int r = change_status(st, email, list, STORE_NONE, status, reason);

		return r < 0 ? -1 : (r != STORE_NONE && r != (int)status);
	}
	sub_id = store_subscriber_id(st, email);
	if (sub_id <= 0)
		return sub_id < 0 ? -1 : 0;
	s = store_stmt(st, "UPDATE memberships SET status = ?2, updated = ?3, reason = ?4"
			   " WHERE subscriber_id = ?1 AND status <> ?2");
	if (!s)
		return -1;
	store_now(now);
	sqlite3_bind_int64(s, 1, sub_id);
	store_bind_text(s, 2, store_status_name(status));
	store_bind_text(s, 3, now);
	store_bind_text(s, 4, reason);
	if (store_step_done(st, s, "cannot change a membership") < 0)
		return -1;
	return sqlite3_changes(st->db);
}

int store_set_status(struct store *st, const char *email, const char *list,
		     enum store_status status, const char *reason)
{
	int began, r;

	if (status == STORE_NONE)
		BUG("store_set_status to STORE_NONE");
	began = store_write_begin(st);
	if (began < 0)
		return -1;
	r = set_status(st, email, list, status, reason);
	return store_write_end(st, began, r);
}

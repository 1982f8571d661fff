#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H
/*
 * For the store's own files (store*.c, journal.c) only: the one place
 * outside them that sqlite3.h is seen is nowhere.  The delivery journal
 * (journal.c) uses these helpers to run its SQL on the same connection;
 * its own BEGIN/COMMIT do not set st->in_txn.
 *
 * Adding a migration (a schema change):
 *   1. In store_schema.c, append one entry to store_migrations[] with the
 *      next version number, a one-line description, and the SQL (several
 *      statements are fine) and/or a C function for data rewrites.  Never
 *      edit an entry that has shipped: databases in the field ran it.
 *   2. That is all: store_open() runs, in one transaction, every entry whose
 *      version is above the database's PRAGMA user_version, then sets
 *      user_version to the last one.  A database with a higher version
 *      than the table knows is refused.
 *   3. Test it from a database made by raw SQL at the previous version
 *      (see tests/unit/test_store.c, "migration from v1").
 *   Migrations run with foreign keys off, so a table can be rebuilt
 *   (create the new one, copy, drop the old, rename: SQLite cannot alter
 *   a column); PRAGMA foreign_key_check must find nothing before commit.
 */
#include <sqlite3.h>
#include <stdint.h>

#include "store/journal.h"
#include "store/store.h"
#include "store/store_bounce.h"

/*
 * A journal state's value as SQL text, for statements written as string
 * literals: "state = " JOURNAL_SQL(PENDING) is "state = 0".  Literal, not a
 * bound parameter, where it matters: SQLite uses a partial index (WHERE
 * state = 0) only for a query whose WHERE says the same in its text.
 */
#define JOURNAL_SQL_VALUE_(name, value, str) #value
#define JOURNAL_SQL(name) JOURNAL_STATE_##name(JOURNAL_SQL_VALUE_)

struct store_stmt_cache {
	const char *sql;	/* the SQL text, by identity (a string literal) */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	char *path;
	int in_txn;		/* inside store_begin() */
	int batch;		/* inside store_begin_batch(): foreign keys off */
	struct store_stmt_cache *cache;
	size_t ncache, cache_alloc;
	/* the last subscribe met a new address: try to insert the next first */
	int expect_new;
	/* the last list looked up, so an import does not look it up per row */
	char *last_list;
	int64_t last_list_id;
};

struct store_migration {
	int version;		/* 1, 2, 3, ... in order */
	const char *what;	/* one line, for error messages */
	const char *sql;	/* may be NULL */
	int (*fn)(struct store *st);	/* may be NULL; runs after sql; 0/-1 after error() */
};
extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

/* Migration 9 (store_fold.c): merge case variants, fold the email columns. */
int store_fold_case(struct store *st);

/*
 * A prepared statement for `sql`, cached per connection (keyed by the
 * pointer, so pass a string literal or other static text), reset and with
 * its bindings cleared.  The caller binds, steps, and may leave it; it is
 * reset again the next time it is fetched.  Use sqlite3_reset() when done
 * stepping a SELECT early, so no read transaction is left open.
 * Returns NULL after error().
 */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);

/* Run SQL without results (one or more statements).  0, or -1 after error(). */
int store_exec(struct store *st, const char *sql);

/*
 * Step a statement that returns no rows (INSERT/UPDATE/DELETE) and reset
 * it.  0, or -1 after error() naming `what`.
 */
int store_step_done(struct store *st, sqlite3_stmt *stmt, const char *what);

/*
 * After a failed statement inside a transaction begun by BEGIN on the
 * connection (not store_begin()): roll it back if SQLite has not already,
 * reporting nothing (the failure was reported).
 */
void store_abandon_txn(struct store *st);

/* Rows changed by the connection's last INSERT, UPDATE or DELETE. */
int64_t store_changes(struct store *st);

/* Report the connection's last SQLite error: error("database '%s': <what>: <msg>").  Returns -1. */
int store_sql_error(struct store *st, const char *what);

/* The current time as ISO 8601 UTC ("2026-11-27T09:00:00Z"); NEWSBEAT_NOW overrides it (tests). */
void store_now(char buf[32]);

/* Bind text (SQLITE_STATIC: the caller keeps `s` alive until the step). */
int store_bind_text(sqlite3_stmt *stmt, int idx, const char *s);

/*
 * Id of list `name`; when absent, 0, or with `create` a new list's id.
 * -1 after error().
 */
int64_t store_list_id(struct store *st, const char *name, int create);

/* Id of the subscriber with this normalized address, 0 when none, -1 after error(). */
int64_t store_subscriber_id(struct store *st, const char *email);

/*
 * Run the body of a write as one transaction unless the caller already
 * opened one: store_write_begin() returns 1 if it began one (pass that to
 * store_write_end), 0 if inside store_begin(), -1 after error().
 * store_write_end(st, began, ok) commits if ok >= 0, else rolls back;
 * returns ok, or -1 if the commit failed.
 */
int store_write_begin(struct store *st);
int store_write_end(struct store *st, int began, int ok);

/*
 * The bounce policy (store_bounce.c) inside a transaction the caller
 * holds: store_bounce_apply() is store_bounce_record() without its own
 * transaction.  store_bounce_smtp_failure(): the journal, in the
 * transaction that records row failed with a 5xx `code` and `reply`,
 * applies the rule for a hard bounce when the reply is about the address.
 * 0 or -1.
 */
int store_bounce_apply(struct store *st, const struct store_delivery *d,
		       enum store_bounce_kind k, const char *status, const char *diagnostic,
		       const struct store_bounce_policy *p, enum store_bounce_result *res);
int store_bounce_smtp_failure(struct store *st, int64_t row, int code, const char *reply);
/*
 * 1 if a 5xx reply at send time blames the sending set-up or the message
 * (relaying denied, policy, spam, size: x.7.x, x.3.x, x.6.x ...) rather
 * than the address, by the rule store_bounce_smtp_failure() applies; else 0.
 */
int store_bounce_smtp_blames_sender(int code, const char *reply);

/*
 * A segment's terms in a query over memberships m JOIN subscribers s:
 * store_filter_sql() appends " AND [NOT] EXISTS (...)" per term, with
 * parameters numbered from first_param (two a term); store_filter_bind()
 * binds them (SQLITE_STATIC: f must outlive the statement's steps).
 * f may be NULL (nothing appended or bound).
 */
void store_filter_sql(const struct store_filter *f, int first_param, struct strbuf *sql);
void store_filter_bind(const struct store_filter *f, sqlite3_stmt *stmt, int first_param);

#endif

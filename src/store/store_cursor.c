/*
 * Streaming reads: recipients and members through a cursor, counts, lists.
 *
 * A cursor reads BATCH rows at a time by subscriber id ("keyset"
 * pagination) and resets its statement between batches, so it never holds
 * a read transaction for a whole send: the WAL can be checkpointed, and a
 * change committed meanwhile (an unsubscribe) is seen by the next batch.
 */
#include "base/common.h"
#include "store/store_internal.h"
#include "base/strbuf.h"

#define BATCH 512

static const char recipients_sql[] =
	"SELECT s.id, s.email, s.name, m.status, m.updated"
	" FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id"
	" WHERE m.list_id = ?1 AND m.subscriber_id > ?2 AND m.status = 'active'"
	" AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email = s.email)";

static const char members_sql[] =
	"SELECT s.id, s.email, s.name, m.status, m.updated"
	" FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id"
	" WHERE m.list_id = ?1 AND m.subscriber_id > ?2 AND (?4 = '' OR m.status = ?4)";

static const char member_sql[] =
	"SELECT s.id, s.email, s.name, m.status, m.updated"
	" FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id"
	" WHERE m.list_id = ?1 AND m.subscriber_id > ?2 AND s.email = ?4";

/* After the conditions above and a segment's (from ?5 on). */
static const char order_sql[] = " ORDER BY m.subscriber_id LIMIT ?3";
#define FILTER_PARAM 5

static const char attrs_sql[] =
	"SELECT key, value FROM attributes WHERE subscriber_id = ?1 ORDER BY key";

struct store_cursor {
	struct store *st;
	sqlite3_stmt *stmt;	/* own statement: two cursors may be open */
	int64_t list_id;
	int64_t last_id;
	const char *param;	/* ?4: "" or a status name (static), an address, or NULL: no ?4 */
	int in_batch;		/* rows read from the current batch */
	int done, failed;
	struct store_recipient rec;
	struct strbuf strings;	/* email, name, updated, keys, values, NUL-separated */
	size_t *offsets, offsets_alloc;
	const char **ptrs;	/* 2 * nattrs: keys then values */
	size_t ptrs_alloc;
};

static struct store_cursor *cursor_open(struct store *st, const char *where, const char *list,
					const char *param, const struct store_filter *f)
{
	struct store_cursor *c = xcalloc(1, sizeof(*c));
	int64_t list_id = store_list_id(st, list, 0);
	struct strbuf sql = STRBUF_INIT;

	if (list_id < 0) {
		free(c);
		return NULL;
	}
	strbuf_addstr(&sql, where);
	store_filter_sql(f, FILTER_PARAM, &sql);
	strbuf_addstr(&sql, order_sql);
	c->st = st;
	c->list_id = list_id;
	c->param = param;
	c->done = list_id == 0;
	strbuf_init(&c->strings, 256);
	if (sqlite3_prepare_v3(st->db, sql.buf, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt, NULL) != SQLITE_OK) {
		store_sql_error(st, "cannot prepare the recipients query");
		strbuf_release(&c->strings);
		strbuf_release(&sql);
		free(c);
		return NULL;
	}
	strbuf_release(&sql);
	/* Bindings survive sqlite3_reset(): the batches rebind only ?1..?4. */
	store_filter_bind(f, c->stmt, FILTER_PARAM);
	return c;
}

struct store_cursor *store_recipients_open(struct store *st, const char *list)
{
	return store_recipients_where(st, list, NULL);
}

struct store_cursor *store_recipients_where(struct store *st, const char *list,
					    const struct store_filter *f)
{
	return cursor_open(st, recipients_sql, list, NULL, f);
}

struct store_cursor *store_member_open(struct store *st, const char *list, const char *email)
{
	return cursor_open(st, member_sql, list, email, NULL);
}

struct store_cursor *store_members_open(struct store *st, const char *list, enum store_status status)
{
	return store_members_where(st, list, status, NULL);
}

struct store_cursor *store_members_where(struct store *st, const char *list,
					 enum store_status status, const struct store_filter *f)
{
	return cursor_open(st, members_sql, list,
			   status == STORE_NONE ? "" : store_status_name(status), f);
}

static const struct store_recipient *cursor_fail(struct store_cursor *c, const char *what)
{
	store_sql_error(c->st, what);
	sqlite3_reset(c->stmt);
	c->failed = c->done = 1;
	return NULL;
}

static size_t add_string(struct store_cursor *c, const unsigned char *s)
{
	size_t off = c->strings.len;

	strbuf_addstr(&c->strings, s ? (const char *)s : "");
	strbuf_addch(&c->strings, '\0');
	return off;
}

const struct store_recipient *store_cursor_next(struct store_cursor *c)
{
	sqlite3_stmt *a;
	size_t n = 0, i, o_email, o_name, o_updated;
	int rc;

	if (c->done)
		return NULL;
	if (c->in_batch == 0) {
		sqlite3_reset(c->stmt);
		sqlite3_bind_int64(c->stmt, 1, c->list_id);
		sqlite3_bind_int64(c->stmt, 2, c->last_id);
		sqlite3_bind_int(c->stmt, 3, BATCH);
		if (c->param)
			store_bind_text(c->stmt, 4, c->param);
	}
	rc = sqlite3_step(c->stmt);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(c->stmt);
		if (c->in_batch < BATCH) {
			c->done = 1;
			return NULL;
		}
		/* A full batch: there may be more. */
		c->in_batch = 0;
		return store_cursor_next(c);
	}
	if (rc != SQLITE_ROW)
		return cursor_fail(c, "cannot read recipients");
	c->in_batch++;
	strbuf_reset(&c->strings);
	c->rec.id = c->last_id = sqlite3_column_int64(c->stmt, 0);
	o_email = add_string(c, sqlite3_column_text(c->stmt, 1));
	o_name = add_string(c, sqlite3_column_text(c->stmt, 2));
	store_status_parse((const char *)sqlite3_column_text(c->stmt, 3), &c->rec.status);
	o_updated = add_string(c, sqlite3_column_text(c->stmt, 4));

	a = store_stmt(c->st, attrs_sql);
	if (!a) {
		c->failed = c->done = 1;
		sqlite3_reset(c->stmt);
		return NULL;
	}
	sqlite3_bind_int64(a, 1, c->rec.id);
	while ((rc = sqlite3_step(a)) == SQLITE_ROW) {
		ALLOC_GROW(c->offsets, 2 * n + 2, c->offsets_alloc);
		c->offsets[2 * n] = add_string(c, sqlite3_column_text(a, 0));
		c->offsets[2 * n + 1] = add_string(c, sqlite3_column_text(a, 1));
		n++;
	}
	sqlite3_reset(a);
	if (rc != SQLITE_DONE)
		return cursor_fail(c, "cannot read attributes");

	/* The buffer is complete: now pointers into it are stable. */
	ALLOC_GROW(c->ptrs, 2 * n + 1, c->ptrs_alloc);
	for (i = 0; i < n; i++) {
		c->ptrs[i] = c->strings.buf + c->offsets[2 * i];
		c->ptrs[n + i] = c->strings.buf + c->offsets[2 * i + 1];
	}
	c->rec.email = c->strings.buf + o_email;
	c->rec.name = c->strings.buf + o_name;
	c->rec.updated = c->strings.buf + o_updated;
	c->rec.nattrs = n;
	c->rec.attr_keys = c->ptrs;
	c->rec.attr_values = c->ptrs + n;
	return &c->rec;
}

int store_cursor_failed(const struct store_cursor *c)
{
	return c->failed;
}

void store_cursor_close(struct store_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->stmt);
	strbuf_release(&c->strings);
	free(c->offsets);
	free(c->ptrs);
	free(c);
}

int store_list_exists(struct store *st, const char *list)
{
	int64_t id = store_list_id(st, list, 0);

	return id < 0 ? -1 : id > 0;
}

static const char count_sql[] =
	"SELECT count(*) FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id"
	" WHERE m.list_id = ?1 AND m.status = 'active'"
	" AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email = s.email)";

long long store_count(struct store *st, const char *list)
{
	return store_count_where(st, list, NULL);
}

long long store_count_where(struct store *st, const char *list, const struct store_filter *f)
{
	int64_t list_id = store_list_id(st, list, 0);
	sqlite3_stmt *s = NULL;
	struct strbuf sql = STRBUF_INIT;
	long long n = -1;

	if (list_id <= 0)
		return list_id;
	if (!store_filter_count(f)) {
		/* The everyday count: the cached statement. */
		s = store_stmt(st, count_sql);
		if (!s)
			return -1;
	} else {
		strbuf_addstr(&sql, count_sql);
		store_filter_sql(f, 2, &sql);
		if (sqlite3_prepare_v2(st->db, sql.buf, -1, &s, NULL) != SQLITE_OK) {
			strbuf_release(&sql);
			return store_sql_error(st, "cannot prepare the count");
		}
		store_filter_bind(f, s, 2);
	}
	sqlite3_bind_int64(s, 1, list_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		store_sql_error(st, "cannot count recipients");
	if (store_filter_count(f))
		sqlite3_finalize(s);
	else
		sqlite3_reset(s);
	strbuf_release(&sql);
	return n;
}

int store_attr_keys(struct store *st, const char *list,
		    void (*fn)(void *data, const char *key), void *data)
{
	int64_t list_id = store_list_id(st, list, 0);
	sqlite3_stmt *s;
	int rc;

	if (list_id <= 0)
		return list_id < 0 ? -1 : 0;
	s = store_stmt(st, "SELECT DISTINCT a.key FROM memberships m"
			   " JOIN attributes a ON a.subscriber_id = m.subscriber_id"
			   " WHERE m.list_id = ?1 AND m.status = 'active' ORDER BY a.key");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, list_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(data, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot read attribute names");
	return 0;
}

int store_each_list(struct store *st,
		    void (*fn)(void *data, const char *list,
			       const long long counts[STORE_STATUS_COUNT]),
		    void *data)
{
	sqlite3_stmt *s;
	struct strbuf cur = STRBUF_INIT;
	long long counts[STORE_STATUS_COUNT] = { 0 };
	int rc, have = 0;

	s = store_stmt(st, "SELECT l.name, m.status, count(m.subscriber_id),"
			   " sum(m.status = 'active' AND EXISTS (SELECT 1 FROM subscribers s"
			   "   JOIN suppressions x ON x.email = s.email WHERE s.id = m.subscriber_id))"
			   " FROM lists l LEFT JOIN memberships m ON m.list_id = l.id"
			   " GROUP BY l.id, m.status ORDER BY l.name");
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		enum store_status status;

		if (have && strcmp(cur.buf, name)) {
			fn(data, cur.buf, counts);
			memset(counts, 0, sizeof(counts));
		}
		strbuf_reset(&cur);
		strbuf_addstr(&cur, name);
		have = 1;
		if (sqlite3_column_type(s, 1) != SQLITE_NULL &&
		    !store_status_parse((const char *)sqlite3_column_text(s, 1), &status)) {
			counts[status] += sqlite3_column_int64(s, 2);
			counts[STORE_NONE] += sqlite3_column_int64(s, 3);
		}
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE && have)
		fn(data, cur.buf, counts);
	strbuf_release(&cur);
	if (rc != SQLITE_DONE)
		return store_sql_error(st, "cannot read the lists");
	return 0;
}

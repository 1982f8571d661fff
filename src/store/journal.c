/*
 * The delivery journal in SQLite (see journal.h for the states and the
 * durability contract, docs/delivery.md for the reasoning).
 *
 * The tables live in the subscriber database; the store's migrations
 * create them (store_schema.c, versions 4, 5 and 8).  journal_open()
 * opens the store (migrating an older database) and runs on the store's
 * connection, shared by the sender's threads behind one mutex.  One
 * connection, not two: in WAL mode a connection throws its page cache
 * away whenever another one has committed, so a second connection for
 * the per-message unsubscribe check would re-read its pages from disk
 * after every outcome the journal commits.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "store/journal.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>

/* An outcome waiting in journal_record for the group commit. */
struct pending_record {
	int64_t id, now;
	const struct journal_outcome *o;
	int result;		/* record_batch's, seen by the leader only */
	int rc;			/* 1 while waiting, then result (under group_lock) */
	struct pending_record *next;
	/* journal_record_check's question, and its answer (set by the leader) */
	const char *check_email, *check_list;
	int check_ok;
};

struct journal {
	struct store *st;	/* its connection and statements are the journal's */
	pthread_mutex_t lock;	/* around every use of st */
	/* group commit of outcomes (journal_record) */
	pthread_mutex_t group_lock;
	pthread_cond_t group_done;
	struct pending_record *queue, **queue_tail;
	int committing;
	int snap_issue;
	char *snap_list;
	char *snap_segment;	/* canonical segment text, "" for the whole list */
	long snap_count;
};

/*
 * By value: a value past the list does not compile, and two states with
 * one value are an initializer overridden (-Wextra), so the values are
 * 0 .. JOURNAL_NSTATES-1 as counts[] and the masks assume.
 */
#define JOURNAL_NAME_(name, value, str) [JOURNAL_##name] = str,
static const char *const state_names[JOURNAL_NSTATES] = { JOURNAL_STATES(JOURNAL_NAME_) };
#undef JOURNAL_NAME_

const char *journal_state_name(enum journal_state s)
{
	return (unsigned)s < JOURNAL_NSTATES ? state_names[s] : "?";
}

/*
 * The statements, each written once.  store_stmt() prepares each on
 * first use and keeps it for the connection's life (keyed by the text's
 * address: these literals).
 */
#define CLAIM_COLUMNS "id, email, name, list, attrs, attempts, ambiguous, first_attempt"

static const char sql_insert[] =
	"INSERT OR IGNORE INTO delivery (issue, email, name, list, attrs, updated) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/*
 * Pending rows and due retries as two ordered index ranges merged (the
 * partial indexes delivery_pending and delivery_retry): written with OR,
 * SQLite collects every matching row of the issue and sorts them on each
 * claim, so time and memory grow with the list.  Each range stops after
 * ?4 rows.
 */
static const char sql_claim[] =
	"SELECT * FROM ("
	" SELECT * FROM (SELECT " CLAIM_COLUMNS " FROM delivery"
	"  WHERE issue = ?1 AND state = " JOURNAL_SQL(PENDING) " AND id > ?2 ORDER BY id LIMIT ?4)"
	" UNION ALL"
	" SELECT * FROM (SELECT " CLAIM_COLUMNS " FROM delivery"
	"  WHERE issue = ?1 AND state = " JOURNAL_SQL(RETRY) " AND id > ?2 AND next_attempt <= ?3"
	"  ORDER BY id LIMIT ?4)"
	") ORDER BY id LIMIT ?4";
static const char sql_mark_sending[] =
	"UPDATE delivery SET state = " JOURNAL_SQL(SENDING) " WHERE id = ?1";
static const char sql_record[] =
	"UPDATE delivery SET state = ?2, attempts = ?3, ambiguous = ?4, last_code = ?5, "
	"last_reply = ?6, message_id = CASE WHEN ?7 = '' THEN message_id ELSE ?7 END, "
	"first_attempt = ?8, next_attempt = ?9, updated = ?10 WHERE id = ?1";
/* A row claimed but not sent: back to retry if it was tried before, else pending. */
#define SQL_UNCLAIM \
	"UPDATE delivery SET state = CASE WHEN attempts > 0 THEN " JOURNAL_SQL(RETRY) \
	" ELSE " JOURNAL_SQL(PENDING) " END WHERE state = " JOURNAL_SQL(SENDING)
static const char sql_release[] = SQL_UNCLAIM " AND id = ?1";
static const char sql_recover[] = SQL_UNCLAIM " AND issue = ?1";
static const char sql_restore[] =
	"UPDATE delivery SET state = CASE WHEN ?2 > 0 THEN " JOURNAL_SQL(RETRY) " ELSE "
	JOURNAL_SQL(PENDING) " END, attempts = ?2, ambiguous = ?3, first_attempt = ?4, "
	"next_attempt = 0, last_reply = ?5, updated = ?6 WHERE id = ?1 AND attempts = ?2 + 1 AND "
	"state IN (" JOURNAL_SQL(RETRY) ", " JOURNAL_SQL(FAILED) ")";
static const char sql_requeue_failed[] =
	"UPDATE delivery SET state = " JOURNAL_SQL(PENDING) ", attempts = 0, "
	"ambiguous = 0, first_attempt = 0, next_attempt = 0, updated = ?2 "
	"WHERE issue = ?1 AND state = " JOURNAL_SQL(FAILED) " AND (?3 OR ambiguous = 0)";
static const char sql_failed_ambiguous[] =
	"SELECT count(*) FROM delivery WHERE issue = ?1 AND state = " JOURNAL_SQL(FAILED)
	" AND ambiguous > 0";
static const char sql_run_list[] = "SELECT list FROM delivery_run WHERE issue = ?1";
static const char sql_run_segment[] = "SELECT segment FROM delivery_run WHERE issue = ?1";
static const char sql_run_insert[] =
	"INSERT INTO delivery_run (issue, list, recipients, created, segment) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";
/*
 * One streaming pass over the issue's rows: GROUP BY state sorted them
 * all in memory (no index is ordered by state since schema 5).  Column s
 * counts state s; the last column, 0, only ends the generated list.
 */
#define JOURNAL_TOTAL_(name, value, str) "total(state = " #value "), "
static const char sql_counts[] =
	"SELECT " JOURNAL_STATES(JOURNAL_TOTAL_) "0 FROM delivery WHERE issue = ?1";
#undef JOURNAL_TOTAL_
static const char sql_next_retry[] =
	"SELECT min(next_attempt) FROM delivery WHERE issue = ?1 AND state = " JOURNAL_SQL(RETRY);
static const char sql_each[] =
	"SELECT email, state, attempts, last_code, last_reply, message_id, updated, next_attempt "
	"FROM delivery WHERE issue = ?1 ORDER BY id";
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";

struct journal *journal_open(const char *path)
{
	struct journal *j = xcalloc(1, sizeof(*j));

	pthread_mutex_init(&j->lock, NULL);
	pthread_mutex_init(&j->group_lock, NULL);
	pthread_cond_init(&j->group_done, NULL);
	j->queue_tail = &j->queue;
	/* The schema, the journal's tables included, is the store's to migrate. */
	j->st = store_open(path);
	if (!j->st)
		goto fail;
	/* Outcomes are committed with synchronous=NORMAL (see journal.h). */
	if (store_exec(j->st, "PRAGMA synchronous=NORMAL") < 0)
		goto fail;
	return j;
fail:
	journal_close(j);
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	store_close(j->st);
	pthread_mutex_destroy(&j->lock);
	pthread_mutex_destroy(&j->group_lock);
	pthread_cond_destroy(&j->group_done);
	free(j->snap_list);
	free(j->snap_segment);
	free(j);
}

int journal_lock_issue(const char *path, int issue)
{
	struct strbuf lp = STRBUF_INIT;
	struct flock fl;
	int fd;

	strbuf_addf(&lp, "%s.lock", path);
	/* Private like the database it sits beside (0600 whatever the umask). */
	fd = open(lp.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		error("cannot open '%s': %s", lp.buf, strerror(errno));
		strbuf_release(&lp);
		return -1;
	}
	/*
	 * An open-file-description lock on one byte per issue: other issues
	 * may be sent at the same time, and the kernel drops the lock when
	 * the process dies, even by kill -9 (no stale lock rows).
	 */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = issue;
	fl.l_len = 1;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		int e = errno;

		close(fd);
		if (e == EAGAIN || e == EACCES) {
			strbuf_release(&lp);
			return -2;
		}
		error("cannot lock '%s': %s", lp.buf, strerror(e));
		strbuf_release(&lp);
		return -1;
	}
	strbuf_release(&lp);
	return fd;
}

void journal_unlock_issue(int fd)
{
	if (fd >= 0)
		close(fd);
}

int journal_has_snapshot(struct journal *j, int issue)
{
	return journal_snapshot_list(j, issue, NULL);
}

/* One text column of the issue's delivery run (sql): 1 found (appended to out if not NULL), 0 none, -1. */
static int run_column(struct journal *j, const char *sql, int issue, struct strbuf *out)
{
	sqlite3_stmt *st;
	int r = -1;

	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql);
	if (st) {
		sqlite3_bind_int(st, 1, issue);
		r = sqlite3_step(st);
		if (r == SQLITE_ROW && out)
			strbuf_addstr(out, (const char *)sqlite3_column_text(st, 0));
		r = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : store_sql_error(j->st, "cannot read the delivery run");
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&j->lock);
	return r;
}

int journal_snapshot_list(struct journal *j, int issue, struct strbuf *list)
{
	return run_column(j, sql_run_list, issue, list);
}

void journal_snapshot_set_segment(struct journal *j, const char *segment)
{
	free(j->snap_segment);
	j->snap_segment = xstrdup(segment);
}

int journal_snapshot_segment(struct journal *j, int issue, struct strbuf *segment)
{
	return run_column(j, sql_run_segment, issue, segment);
}

int journal_snapshot_begin(struct journal *j, int issue, const char *list)
{
	/*
	 * The snapshot must be on disk before the first message leaves:
	 * synchronous=FULL makes COMMIT wait for the WAL fsync.
	 */
	if (store_exec(j->st, "PRAGMA synchronous=FULL; BEGIN IMMEDIATE") < 0)
		return -1;
	j->snap_issue = issue;
	free(j->snap_list);
	j->snap_list = xstrdup(list);
	free(j->snap_segment);
	j->snap_segment = xstrdup("");
	j->snap_count = 0;
	return 0;
}

int journal_snapshot_add(struct journal *j, const char *email, const char *name,
			 const char *list, const char *attrs)
{
	sqlite3_stmt *st = store_stmt(j->st, sql_insert);

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, j->snap_issue);
	store_bind_text(st, 2, email);
	store_bind_text(st, 3, name);
	store_bind_text(st, 4, list);
	store_bind_text(st, 5, attrs);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	if (store_step_done(j->st, st, "cannot add a recipient to the snapshot") < 0)
		return -1;
	j->snap_count += (long)store_changes(j->st);
	return 0;
}

int journal_snapshot_commit(struct journal *j)
{
	sqlite3_stmt *st = store_stmt(j->st, sql_run_insert);

	if (st) {
		sqlite3_bind_int(st, 1, j->snap_issue);
		store_bind_text(st, 2, j->snap_list);
		sqlite3_bind_int64(st, 3, j->snap_count);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
		store_bind_text(st, 5, j->snap_segment ? j->snap_segment : "");
	}
	if (!st || store_step_done(j->st, st, "cannot record the delivery run") < 0 ||
	    store_exec(j->st, "COMMIT") < 0) {
		journal_snapshot_abort(j);
		return -1;
	}
	/* Per-message outcomes: NORMAL (crash-safe; see journal.h). */
	return store_exec(j->st, "PRAGMA synchronous=NORMAL");
}

void journal_snapshot_abort(struct journal *j)
{
	store_abandon_txn(j->st);
	store_exec(j->st, "PRAGMA synchronous=NORMAL");
}

int journal_recover(struct journal *j, int issue)
{
	sqlite3_stmt *st;
	int r = -1;

	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_recover);
	if (st) {
		sqlite3_bind_int(st, 1, issue);
		r = store_step_done(j->st, st, "cannot recover the rows left 'sending'");
	}
	pthread_mutex_unlock(&j->lock);
	return r;
}

long journal_failed_ambiguous(struct journal *j, int issue)
{
	sqlite3_stmt *st;
	long n = -1;

	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_failed_ambiguous);
	if (st) {
		sqlite3_bind_int(st, 1, issue);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
		else
			store_sql_error(j->st, "cannot count the failed rows");
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&j->lock);
	return n;
}

long journal_requeue_failed(struct journal *j, int issue, int64_t now, int ambiguous_too)
{
	sqlite3_stmt *st;
	long n = -1;

	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_requeue_failed);
	if (st) {
		sqlite3_bind_int(st, 1, issue);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int(st, 3, ambiguous_too);
		if (store_step_done(j->st, st, "cannot re-queue the failed rows") == 0)
			n = (long)store_changes(j->st);
	}
	pthread_mutex_unlock(&j->lock);
	return n;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return xstrdup(s ? (const char *)s : "");
}

void journal_row_release(struct journal_row *r)
{
	free(r->email);
	free(r->name);
	free(r->list);
	free(r->attrs);
	memset(r, 0, sizeof(*r));
}

int journal_claim(struct journal *j, int issue, int64_t now, struct journal_row *rows,
		  int n, int64_t *cursor)
{
	sqlite3_stmt *st, *mark;
	int got = 0, rc, i;

	pthread_mutex_lock(&j->lock);
	if (store_exec(j->st, sql_begin) < 0) {
		pthread_mutex_unlock(&j->lock);
		return -1;
	}
	st = store_stmt(j->st, sql_claim);
	if (!st)
		goto fail;
	sqlite3_bind_int(st, 1, issue);
	sqlite3_bind_int64(st, 2, *cursor);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_row *r = &rows[got++];

		r->id = sqlite3_column_int64(st, 0);
		r->email = col_dup(st, 1);
		r->name = col_dup(st, 2);
		r->list = col_dup(st, 3);
		r->attrs = col_dup(st, 4);
		r->attempts = sqlite3_column_int(st, 5);
		r->ambiguous = sqlite3_column_int(st, 6);
		r->first_attempt = sqlite3_column_int64(st, 7);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_sql_error(j->st, "cannot claim rows");
		goto fail;
	}
	for (i = 0; i < got; i++) {
		if (!(mark = store_stmt(j->st, sql_mark_sending)))
			goto fail;
		sqlite3_bind_int64(mark, 1, rows[i].id);
		if (store_step_done(j->st, mark, "cannot mark a claimed row 'sending'") < 0)
			goto fail;
	}
	if (store_exec(j->st, sql_commit) < 0)
		goto fail;
	if (got)
		*cursor = rows[got - 1].id;
	pthread_mutex_unlock(&j->lock);
	return got;
fail:
	store_abandon_txn(j->st);
	for (i = 0; i < got; i++)
		journal_row_release(&rows[i]);
	pthread_mutex_unlock(&j->lock);
	return -1;
}

/* A refusal for good with a 5xx reply: the bounce policy may apply (store_bounce.c). */
static int refused(const struct pending_record *p)
{
	return p->o->state == JOURNAL_FAILED && p->o->code >= 500 && p->o->code <= 599;
}

static int record_one_row(struct journal *j, const struct pending_record *p);

/*
 * One outcome through the prepared UPDATE, and for a 5xx refusal the
 * bounce rule in the same transaction; called with j->lock held.
 */
static int record_one(struct journal *j, const struct pending_record *p)
{
	if (record_one_row(j, p) < 0)
		return -1;
	return refused(p) ? store_bounce_smtp_failure(j->st, p->id, p->o->code, p->o->reply) : 0;
}

static int record_one_row(struct journal *j, const struct pending_record *p)
{
	sqlite3_stmt *st = store_stmt(j->st, sql_record);
	const struct journal_outcome *o = p->o;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_int(st, 2, o->state);
	sqlite3_bind_int(st, 3, o->attempts);
	sqlite3_bind_int(st, 4, o->ambiguous);
	sqlite3_bind_int(st, 5, o->code);
	store_bind_text(st, 6, o->reply);
	store_bind_text(st, 7, o->message_id);
	sqlite3_bind_int64(st, 8, o->first_attempt);
	sqlite3_bind_int64(st, 9, o->next_attempt);
	sqlite3_bind_int64(st, 10, p->now);
	return store_step_done(j->st, st, "cannot record an outcome");
}

/* BEGIN or COMMIT through its cached statement. */
static int step_sql(struct journal *j, const char *sql)
{
	sqlite3_stmt *st = store_stmt(j->st, sql);

	return st ? store_step_done(j->st, st, "cannot record the outcomes") : -1;
}

/*
 * Commit a batch of outcomes, and answer the subscriber checks that ride
 * on them: one row without a check alone in autocommit, else one
 * transaction.  A check inside the write transaction sees every commit
 * made before it (another writer, serve's unsubscribe, waits for it to
 * end), so it is as fresh as a read transaction of its own.  If the
 * transaction fails, each row is tried on its own so that one bad row
 * does not cost the others.
 */
static void record_batch(struct journal *j, struct pending_record *batch)
{
	struct pending_record *p;
	int rc = 0;

	pthread_mutex_lock(&j->lock);
	if (!batch->next && !batch->check_email && !refused(batch)) {
		batch->result = record_one(j, batch);
		pthread_mutex_unlock(&j->lock);
		return;
	}
	if (step_sql(j, sql_begin) < 0)
		rc = -1;
	for (p = batch; !rc && p; p = p->next)
		rc = record_one(j, p);
	for (p = batch; !rc && p; p = p->next)
		if (p->check_email)
			p->check_ok = store_deliverable(j->st, p->check_email, p->check_list);
	if (!rc)
		rc = step_sql(j, sql_commit);
	if (rc) {
		store_abandon_txn(j->st);
		for (p = batch; p; p = p->next) {
			p->result = record_one(j, p);
			if (p->check_email)
				p->check_ok = store_deliverable(j->st, p->check_email, p->check_list);
		}
	} else {
		for (p = batch; p; p = p->next)
			p->result = 0;
	}
	pthread_mutex_unlock(&j->lock);
}

/*
 * Group commit.  Each worker's outcome is committed before journal_record
 * returns, so a worker never starts its next message with an outcome
 * unrecorded: at a crash at most one message per connection is sent but
 * not recorded, exactly as with one commit per outcome.  Outcomes that
 * arrive while a commit is running wait for it, then the first of them
 * commits them all in one transaction.  With 4 connections on 2 cores the
 * workers used to queue on the journal's mutex for most of their commits.
 */
int journal_record(struct journal *j, int64_t id, int64_t now, const struct journal_outcome *o)
{
	return journal_record_check(j, id, now, o, NULL, NULL, NULL);
}

int journal_record_check(struct journal *j, int64_t id, int64_t now, const struct journal_outcome *o,
			 const char *check_email, const char *check_list, int *check_ok)
{
	struct pending_record me = { id, now, o, 0, 1, NULL, check_email, check_list, -1 };

	pthread_mutex_lock(&j->group_lock);
	*j->queue_tail = &me;
	j->queue_tail = &me.next;
	while (me.rc == 1) {
		struct pending_record *batch;

		if (j->committing) {
			pthread_cond_wait(&j->group_done, &j->group_lock);
			continue;
		}
		/* Lead: everything queued so far, this outcome included. */
		batch = j->queue;
		j->queue = NULL;
		j->queue_tail = &j->queue;
		j->committing = 1;
		pthread_mutex_unlock(&j->group_lock);
		record_batch(j, batch);
		pthread_mutex_lock(&j->group_lock);
		/* A waiter returns (and its record goes) once its rc is set. */
		while (batch) {
			struct pending_record *next = batch->next;

			batch->rc = batch->result;
			batch = next;
		}
		j->committing = 0;
		pthread_cond_broadcast(&j->group_done);
	}
	pthread_mutex_unlock(&j->group_lock);
	if (check_ok)
		*check_ok = me.check_ok;
	return me.rc;
}

int journal_release_row(struct journal *j, int64_t id)
{
	sqlite3_stmt *st;
	int r = -1;

	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_release);
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		r = store_step_done(j->st, st, "cannot release a claimed row");
	}
	pthread_mutex_unlock(&j->lock);
	return r;
}

int journal_restore_row(struct journal *j, const struct journal_row *prior, int64_t now,
			const char *reply)
{
	sqlite3_stmt *st;
	int r = -1;

	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_restore);
	if (st) {
		sqlite3_bind_int64(st, 1, prior->id);
		sqlite3_bind_int(st, 2, prior->attempts);
		sqlite3_bind_int(st, 3, prior->ambiguous);
		sqlite3_bind_int64(st, 4, prior->first_attempt);
		store_bind_text(st, 5, reply);
		sqlite3_bind_int64(st, 6, now);
		r = store_step_done(j->st, st, "cannot put a refused row back in the queue");
		if (r == 0)
			r = store_changes(j->st) > 0;
	}
	pthread_mutex_unlock(&j->lock);
	return r;
}

int journal_reply_blames_sender(int code, const char *reply)
{
	return store_bounce_smtp_blames_sender(code, reply);
}

int journal_counts(struct journal *j, int issue, long counts[JOURNAL_NSTATES])
{
	sqlite3_stmt *st;
	int r = -1, s;

	memset(counts, 0, sizeof(long) * JOURNAL_NSTATES);
	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_counts);
	if (st) {
		sqlite3_bind_int(st, 1, issue);
		if (sqlite3_step(st) == SQLITE_ROW) {
			/* Column s counts the rows whose state has value s. */
			for (s = 0; s < JOURNAL_NSTATES; s++)
				counts[s] = (long)sqlite3_column_int64(st, s);
			r = 0;
		} else {
			store_sql_error(j->st, "cannot count the rows");
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&j->lock);
	return r;
}

int journal_next_retry(struct journal *j, int issue, int64_t *when)
{
	sqlite3_stmt *st;
	int r = -1;

	*when = 0;
	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_next_retry);
	if (st) {
		sqlite3_bind_int(st, 1, issue);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*when = sqlite3_column_int64(st, 0);
			r = 0;
		} else {
			store_sql_error(j->st, "cannot read the next retry");
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&j->lock);
	return r;
}

int journal_each(struct journal *j, int issue, unsigned mask,
		 int (*fn)(void *data, const struct journal_entry *e), void *data)
{
	sqlite3_stmt *st;
	int rc = SQLITE_ERROR, r = 0;

	pthread_mutex_lock(&j->lock);
	st = store_stmt(j->st, sql_each);
	if (!st) {
		pthread_mutex_unlock(&j->lock);
		return -1;
	}
	sqlite3_bind_int(st, 1, issue);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_entry e;

		e.state = (enum journal_state)sqlite3_column_int(st, 1);
		if (!(mask & (1u << e.state)))
			continue;
		e.email = (const char *)sqlite3_column_text(st, 0);
		e.attempts = sqlite3_column_int(st, 2);
		e.code = sqlite3_column_int(st, 3);
		e.reply = (const char *)sqlite3_column_text(st, 4);
		e.message_id = (const char *)sqlite3_column_text(st, 5);
		e.updated = sqlite3_column_int64(st, 6);
		e.next_attempt = sqlite3_column_int64(st, 7);
		if ((r = fn(data, &e)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_sql_error(j->st, "cannot read the rows");
	sqlite3_reset(st);
	pthread_mutex_unlock(&j->lock);
	return r;
}

void journal_attrs_encode(struct strbuf *out, size_t n, const char *const *keys,
			  const char *const *values)
{
	size_t i;
	const char *p;

	for (i = 0; i < n; i++) {
		for (p = keys[i]; *p; p++)
			if (*p != '=' && *p != '\n' && *p != '\\')
				strbuf_addch(out, *p);
		strbuf_addch(out, '=');
		for (p = values[i] ? values[i] : ""; *p; p++) {
			if (*p == '\\')
				strbuf_addstr(out, "\\\\");
			else if (*p == '\n')
				strbuf_addstr(out, "\\n");
			else
				strbuf_addch(out, *p);
		}
		strbuf_addch(out, '\n');
	}
}

size_t journal_attrs_decode(const char *s, char ***keys, char ***values)
{
	size_t n = 0, alloc = 0, valloc = 0;
	struct strbuf v = STRBUF_INIT;

	*keys = NULL;
	*values = NULL;
	while (*s) {
		const char *eq = strchr(s, '='), *nl = strchr(s, '\n');

		if (!nl)
			nl = s + strlen(s);
		if (!eq || eq > nl)
			break;
		ALLOC_GROW(*keys, n + 1, alloc);
		ALLOC_GROW(*values, n + 1, valloc);
		(*keys)[n] = xstrndup(s, (size_t)(eq - s));
		strbuf_reset(&v);
		for (s = eq + 1; s < nl; s++) {
			if (*s == '\\' && s + 1 < nl) {
				s++;
				strbuf_addch(&v, *s == 'n' ? '\n' : *s);
			} else {
				strbuf_addch(&v, *s);
			}
		}
		(*values)[n++] = xstrdup(v.buf);
		s = *nl ? nl + 1 : nl;
	}
	strbuf_release(&v);
	return n;
}

void journal_attrs_free(size_t n, char **keys, char **values)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(keys[i]);
		free(values[i]);
	}
	free(keys);
	free(values);
}

int journal_deliverable(struct journal *j, const char *email, const char *list)
{
	int r;

	pthread_mutex_lock(&j->lock);
	r = store_deliverable(j->st, email, list);
	pthread_mutex_unlock(&j->lock);
	return r;
}

/*
 * One issue's delivery: the lock, the snapshot or the resume, and the
 * sender's set-up.  See send_run.h.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/strbuf.h"
#include "core/compose.h"
#include "core/token.h"
#include "store/journal.h"
#include "store/store.h"
#include "store/store_spool.h"
#include "deliver/send_run.h"
#include "deliver/send_source.h"
#include "deliver/sender.h"

/* The largest row id a VERP token of this issue may have to carry (36^6 - 1). */
#define VERP_ROW_MAX 2176782335LL

/* Check a resume against what the first send recorded. */
static int check_resume(struct send_run *r, const char *list, const struct store_filter *where,
			int where_given, const char *segment, const struct strbuf *snap_list)
{
	struct strbuf snap_segment = STRBUF_INIT;
	int ret = 0;

	if (strcmp(snap_list->buf, list) != 0) {
		/* Resuming would silently go on with the other list's recipients. */
		return error("issue %d is being delivered to list '%s' (its recipients were recorded "
			     "at the first send), not '%s': resume with --list %s, or make a new issue "
			     "for '%s'", r->issue, snap_list->buf, list, snap_list->buf, list);
	}
	if (journal_snapshot_segment(r->journal, r->issue, &snap_segment) < 0)
		return -1;
	if (where && strcmp(snap_segment.buf, segment)) {
		struct strbuf then = STRBUF_INIT, now = STRBUF_INIT;

		/* Resuming with other terms would mix two segments in one issue. */
		store_filter_describe(snap_segment.buf, &then);
		store_filter_describe(segment, &now);
		if (where_given)
			ret = error("issue %d is being delivered to %s of list '%s' (recorded at the "
				    "first send), not to %s: resume without --where (or with the same "
				    "terms), or make a new issue for the other members",
				    r->issue, then.buf, list, now.buf);
		else
			warning("the issue's segment: now says %s, but its first send chose %s of "
				"list '%s': the resume keeps to those", now.buf, then.buf, list);
		strbuf_release(&then);
		strbuf_release(&now);
	}
	strbuf_reset(&r->segment);
	strbuf_addbuf(&r->segment, &snap_segment);
	strbuf_release(&snap_segment);
	return ret;
}

/*
 * Unsubscribes serve had to spool while the database was locked
 * (store_spool.h) are applied before anyone is picked: else they would
 * be mailed this issue.  0, or -1 after error(): nothing is sent then.
 */
static int apply_spooled_unsubscribes(const char *database)
{
	struct store *st;
	int n;

	if (!store_spool_pending(database))
		return 0;
	if (!(st = store_open(database)))
		return -1;
	n = store_spool_apply(st);
	store_close(st);
	if (n < 0)
		return error("unsubscribes waiting in the spool beside '%s' could not be applied, "
			     "so nothing was sent: run the send again when the database is free",
			     database);
	if (n > 0)
		printf("applied %d unsubscribe%s that had waited for the database\n", n,
		       n == 1 ? "" : "s");
	return 0;
}

int send_run_open(struct send_run *r, const struct config *cfg, int issue, const char *list,
		  struct send_source *src, const struct store_filter *where, int where_given,
		  const char *segment)
{
	struct strbuf snap_list = STRBUF_INIT;
	int has, ret = -1;

	memset(r, 0, sizeof(*r));
	r->issue = issue;
	strbuf_init(&r->segment, 0);
	strbuf_addstr(&r->segment, segment);
	r->lockfd = journal_lock_issue(cfg->database, issue);
	if (r->lockfd == -2) {
		error("issue %d is already being sent by another 'newsbeat send'; "
		      "let it finish (or stop it) and run 'newsbeat status issue-%d'", issue, issue);
		return -2;
	}
	if (r->lockfd < 0)
		return -1;
	if (apply_spooled_unsubscribes(cfg->database) < 0)
		goto out;
	r->journal = journal_open(cfg->database);
	if (!r->journal)
		goto out;
	has = journal_snapshot_list(r->journal, issue, &snap_list);
	if (has < 0)
		goto out;
	r->resuming = has > 0;
	if (r->resuming ? check_resume(r, list, where, where_given, segment, &snap_list) < 0
			: send_source_where(src, list, where) < 0)
		goto out;
	if (!r->resuming && *segment && send_source_count(src, list) == 0) {
		struct strbuf who = STRBUF_INIT;

		/*
		 * Recorded, an empty segment would make the issue complete for
		 * good: a value mistyped (they compare exactly, case too) would
		 * skip everyone it meant.
		 */
		store_filter_describe(segment, &who);
		error("list '%s' has nobody among %s (values must match exactly, case included; "
		      "see 'newsbeat subscribers list --list %s --where ...'): nothing recorded or sent",
		      list, who.buf, list);
		strbuf_release(&who);
		goto out;
	}
	if (journal_recover(r->journal, issue) < 0 || send_run_counts(r) < 0)
		goto out;
	ret = 0;
out:
	strbuf_release(&snap_list);
	return ret;
}

int send_run_counts(struct send_run *r)
{
	return journal_counts(r->journal, r->issue, r->counts);
}

static int snapshot_one(void *data, const struct compose_recipient *rc)
{
	struct journal *j = data;
	struct strbuf attrs = STRBUF_INIT;
	int ret;

	journal_attrs_encode(&attrs, rc->nattrs, rc->attr_keys, rc->attr_values);
	ret = journal_snapshot_add(j, rc->email, rc->name, rc->list, attrs.buf);
	strbuf_release(&attrs);
	return ret < 0 ? -1 : 0;
}

int send_run_snapshot(struct send_run *r, struct send_source *src, const char *list)
{
	/* One transaction, durable before the first message (journal.h). */
	if (journal_snapshot_begin(r->journal, r->issue, list) < 0)
		return -1;
	journal_snapshot_set_segment(r->journal, r->segment.buf);
	if (send_source_each(src, list, snapshot_one, r->journal) != 0) {
		journal_snapshot_abort(r->journal);
		return -1;
	}
	if (journal_snapshot_commit(r->journal) < 0)
		return -1;
	return send_run_counts(r);
}

long send_run_requeue_failed(struct send_run *r, int ambiguous_too)
{
	long n = journal_requeue_failed(r->journal, r->issue, (int64_t)clock_now(), ambiguous_too);

	if (n < 0 || send_run_counts(r) < 0)
		return -1;
	return n;
}

/* What the sender's callbacks need: the caller's builder, and VERP's key. */
struct run_hooks {
	int (*build)(void *data, const struct journal_row *row, struct strbuf *eml,
		     struct strbuf *msgid);
	void *data;
	const char *envelope_from;
	const char *secret;
	int issue;
};

static int build_hook(void *data, const struct journal_row *row, struct strbuf *eml,
		      struct strbuf *msgid)
{
	const struct run_hooks *h = data;

	return h->build(h->data, row, eml, msgid);
}

/*
 * LOCAL+TOKEN@DOMAIN for the row (token.h), so a bounce names the
 * delivery it is about; send_run_deliver() checked that the envelope
 * sender can carry the tag.
 */
static void envelope_hook(void *data, const struct journal_row *row, struct strbuf *from)
{
	const struct run_hooks *h = data;

	if (token_verp_address(h->secret, h->envelope_from, h->issue, row->id, from) < 0)
		strbuf_addstr(from, h->envelope_from);
}

int send_run_deliver(struct send_run *r, const struct config *cfg, const char *envelope_from,
		     long limit,
		     int (*build)(void *data, const struct journal_row *row, struct strbuf *eml,
				  struct strbuf *msgid),
		     void *data, volatile sig_atomic_t *stop, struct progress *progress,
		     struct sender_result *res)
{
	struct run_hooks h = { build, data, envelope_from, config_secret(cfg), r->issue };
	struct sender_opts so;
	int ret;

	memset(&so, 0, sizeof(so));
	so.cfg = cfg;
	so.journal = r->journal;
	so.issue = r->issue;
	so.envelope_from = envelope_from;
	so.limit = limit;
	so.build = build_hook;
	if (cfg->verp && h.secret) {
		struct strbuf probe = STRBUF_INIT;

		/* The longest token this issue can need: if even that fits, every row's does. */
		if (token_verp_address(h.secret, envelope_from, r->issue, VERP_ROW_MAX, &probe) == 0)
			so.envelope = envelope_hook;
		else
			warning("[bounces] verp: the envelope sender '%s' cannot carry a "
				"'+' tag (quoted, already tagged, or too long): bounces are "
				"matched by address only", envelope_from);
		strbuf_release(&probe);
	}
	so.check_subscribers = 1;
	so.data = &h;
	so.stop = stop;
	so.retry_wait = cfg->retry_wait;
	so.progress = progress;
	ret = sender_run(&so, res);
	if (ret == 0 && send_run_counts(r) < 0)
		ret = -1;
	return ret;
}

void send_run_close(struct send_run *r)
{
	journal_close(r->journal);
	r->journal = NULL;
	journal_unlock_issue(r->lockfd);
	r->lockfd = -1;
	strbuf_release(&r->segment);
}

/*
 * The spool of unsubscribes that could not wait for the database
 * (store_spool.c): what is spooled is applied once, whatever a crash or a
 * failed apply left behind, and a line cut short is not applied.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "store/store.h"
#include "store/store_spool.h"
#include "tap.h"

#include <stdio.h>
#include <unistd.h>

static char dir[] = "/tmp/test_store_spool.XXXXXX";

static void add(struct store *st, const char *email)
{
	struct store_subscriber sub = { email, NULL, 0, NULL, NULL };
	enum store_result res;

	if (store_subscribe(st, &sub, "members", 0, &res, NULL) < 0)
		BUG("cannot subscribe %s", email);
}

static int status(struct store *st, const char *email)
{
	return store_member_status(st, email, "members");
}

int main(void)
{
	struct strbuf db = STRBUF_INIT, spool = STRBUF_INIT, aside = STRBUF_INIT;
	struct store *st;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	strbuf_addf(&db, "%s/newsbeat.db", dir);
	st = store_open(db.buf);
	if (!st)
		return 1;
	add(st, "a@example.org");
	add(st, "b@example.org");
	add(st, "c@example.org");
	store_spool_path(&spool, db.buf);
	strbuf_addf(&aside, "%s.applying", spool.buf);

	ok(!store_spool_pending(db.buf), "no spool: nothing pending");
	is_int(store_spool_apply(st), 0, "no spool: nothing applied");
	ok(store_spool_unsubscribe(db.buf, "a@example.org", "members", "list-unsubscribe-post",
				   1800000000) == 0, "an unsubscribe is spooled");
	ok(store_spool_pending(db.buf), "  and pending");
	ok(access(spool.buf, R_OK) == 0 && (f = fopen(spool.buf, "r")) && fclose(f) == 0,
	   "  in the spool file beside the database");
	is_int(status(st, "a@example.org"), STORE_ACTIVE, "  not applied yet");
	is_int(store_spool_apply(st), 1, "applying it: one applied");
	is_int(status(st, "a@example.org"), STORE_UNSUBSCRIBED, "  a is unsubscribed");
	ok(!store_spool_pending(db.buf) && access(aside.buf, F_OK) != 0, "  the spool is gone");
	is_int(store_spool_apply(st), 0, "applying again: nothing");

	/* What a crash during an apply leaves, and a line cut short by one during a write. */
	f = fopen(aside.buf, "w");
	fputs("b@example.org\tmembers\tlist-unsubscribe-post\t1800000000\n", f);
	fclose(f);
	f = fopen(spool.buf, "w");
	fputs("a@example.org\tmembers\tlist-unsubscribe-post\t1800000001\n", f);
	fputs("not a line\n", f);
	fputs("c@example.org\tmembers\tlist-unsub", f);
	fclose(f);
	ok(store_spool_pending(db.buf), "a leftover and a new spool: pending");
	is_int(store_spool_apply(st), 2, "both applied (the line cut short is not)");
	is_int(status(st, "b@example.org"), STORE_UNSUBSCRIBED, "  b, from the leftover");
	is_int(status(st, "c@example.org"), STORE_ACTIVE, "  c, cut short, stays active");
	ok(!store_spool_pending(db.buf), "  nothing left");

	ok(store_spool_unsubscribe(db.buf, "x\t@example.org", "members", "r", 1) < 0,
	   "a control character is refused, not written");
	ok(!store_spool_pending(db.buf), "  nothing spooled");

	store_close(st);
	remove_tree(dir);
	strbuf_release(&db);
	strbuf_release(&spool);
	strbuf_release(&aside);
	return tap_done();
}

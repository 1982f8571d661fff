/* The subscriber store: statuses that stick, cursors, migrations from an
 * older schema, and a writer in a second process while this one reads. */
#include "base/common.h"
#include "store/store.h"
#include "base/strbuf.h"
#include "tap.h"
#include <sys/stat.h>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/test_store.XXXXXX";

static void db_path(struct strbuf *sb, const char *name)
{
	strbuf_reset(sb);
	strbuf_addf(sb, "%s/%s", dir, name);
}

static int subscribe(struct store *st, const char *email, const char *name, const char *list,
		     unsigned flags, enum store_result *res)
{
	struct store_subscriber sub = { email, name, 0, NULL, NULL };

	return store_subscribe(st, &sub, list, flags, res, NULL);
}

static long long count_cursor(struct store_cursor *c)
{
	long long n = 0;

	while (store_cursor_next(c))
		n++;
	if (store_cursor_failed(c))
		n = -1;
	store_cursor_close(c);
	return n;
}

static void test_basics(void)
{
	struct strbuf path = STRBUF_INIT;
	struct store *st;
	enum store_result res;
	enum store_status why;
	const char *keys[] = { "country", "member_type" };
	const char *vals[] = { "DE", "full" };
	const char *vals2[] = { "DE", "" };
	struct store_subscriber zoe = { "zoe@example.org", "Zoë Müller", 2, keys, vals };
	struct store_cursor *c;
	const struct store_recipient *r;

	db_path(&path, "basics.db");
	st = store_open(path.buf);
	ok(st != NULL, "store_open creates a database");
	if (!st)
		return;
	is_int(store_subscribe(st, &zoe, "members", 0, &res, NULL), 0, "subscribe zoe");
	is_int(res, STORE_ADDED, "zoe added");
	is_int(store_subscribe(st, &zoe, "members", 0, &res, NULL), 0, "subscribe zoe again");
	is_int(res, STORE_UNCHANGED, "zoe unchanged");
	zoe.attr_values = vals2;
	store_subscribe(st, &zoe, "members", 0, &res, NULL);
	is_int(res, STORE_UPDATED, "removing an attribute is an update");
	zoe.attr_values = vals;
	store_subscribe(st, &zoe, "members", 0, &res, NULL);
	is_int(res, STORE_UPDATED, "adding it back is an update");
	zoe.name = NULL;
	store_subscribe(st, &zoe, "members", 0, &res, NULL);
	is_int(res, STORE_UNCHANGED, "NULL name keeps the name");

	subscribe(st, "jose@example.com", "José Núñez", "members", 0, &res);
	is_int(res, STORE_ADDED, "jose added");
	subscribe(st, "li@example.com", "李明", "members", 0, &res);
	subscribe(st, "li@example.com", "李明", "board", 0, &res);
	is_int(res, STORE_ADDED, "li added to a second list");
	is_int(store_count(st, "members"), 3, "3 recipients on members");
	is_int(store_count(st, "board"), 1, "1 recipient on board");
	is_int(store_count(st, "nosuchlist"), 0, "0 on a list that does not exist");

	c = store_recipients_open(st, "members");
	r = store_cursor_next(c);
	ok(r && !strcmp(r->email, "zoe@example.org") && !strcmp(r->name, "Zoë Müller"), "first recipient zoe");
	ok(r && r->nattrs == 2 && !strcmp(r->attr_keys[0], "country") && !strcmp(r->attr_values[0], "DE") &&
	   !strcmp(r->attr_keys[1], "member_type") && !strcmp(r->attr_values[1], "full"),
	   "zoe's attributes sorted by key");
	r = store_cursor_next(c);
	ok(r && !strcmp(r->email, "jose@example.com") && r->nattrs == 0, "second recipient jose");
	store_cursor_close(c);

	/* Unsubscribes stick. */
	is_int(store_unsubscribe(st, "jose@example.com", "members", "test"), STORE_ACTIVE, "unsubscribe jose (was active)");
	is_int(store_member_status(st, "jose@example.com", "members"), STORE_UNSUBSCRIBED, "jose is unsubscribed");
	is_int(store_unsubscribe(st, "nobody@example.com", "members", "test"), STORE_NONE, "unsubscribe a non-member");
	is_int(store_member_status(st, "nobody@example.com", "members"), STORE_NONE, "non-member status none");
	why = STORE_ACTIVE;
	{
		struct store_subscriber jose = { "jose@example.com", "José", 0, NULL, NULL };

		is_int(store_subscribe(st, &jose, "members", 0, &res, &why), 0, "re-add jose");
		is_int(res, STORE_SKIPPED, "re-adding an unsubscribed member is skipped");
		is_int(why, STORE_UNSUBSCRIBED, "skip reason: unsubscribed");
		is_int(store_subscribe(st, &jose, "members", STORE_RESUBSCRIBE, &res, &why), 0, "resubscribe jose");
		is_int(res, STORE_UPDATED, "--resubscribe re-activates");
	}
	is_int(store_member_status(st, "jose@example.com", "members"), STORE_ACTIVE, "jose active again");

	/* Bounces and complaints stick too; suppressions hide recipients. */
	is_int(store_set_status(st, "li@example.com", NULL, STORE_BOUNCED, "550 no such user"), 2,
	       "bounce li on all lists");
	subscribe(st, "li@example.com", "李明", "members", 0, &res);
	is_int(res, STORE_SKIPPED, "bounced li is skipped");
	is_int(store_suppress(st, "zoe@example.org", "complaint"), 0, "suppress zoe");
	is_int(store_is_suppressed(st, "zoe@example.org"), 1, "zoe suppressed");
	is_int(store_is_suppressed(st, "jose@example.com"), 0, "jose not suppressed");
	is_int(store_count(st, "members"), 1, "suppressed and bounced are not recipients");
	is_int(store_deliverable(st, "jose@example.com", "members"), 1, "deliverable: active jose");
	is_int(store_deliverable(st, "JOSE@example.com", "members"), 1, "deliverable: a case variant is the same mailbox");
	is_int(store_deliverable(st, "li@example.com", "members"), 0, "not deliverable: bounced li");
	is_int(store_deliverable(st, "zoe@example.org", "members"), 0, "not deliverable: suppressed zoe, still an active member");
	is_int(store_deliverable(st, "nobody@example.com", "members"), 0, "not deliverable: not a member");
	is_int(store_deliverable(st, "jose@example.com", "no-such-list"), 0, "not deliverable: no such list");
	is_int(count_cursor(store_recipients_open(st, "members")), 1, "cursor agrees");
	is_int(count_cursor(store_members_open(st, "members", STORE_NONE)), 3, "members cursor sees all 3");
	is_int(count_cursor(store_members_open(st, "members", STORE_BOUNCED)), 1, "1 bounced member");
	subscribe(st, "zoe@example.org", NULL, "board", 0, &res);
	is_int(res, STORE_SKIPPED, "a suppressed address is skipped on any list");
	/* A suppressed address never subscribed: skipped, then added with --resubscribe. */
	store_suppress(st, "never@example.org", "manual");
	subscribe(st, "never@example.org", NULL, "board", 0, &res);
	is_int(res, STORE_SKIPPED, "a suppressed new address is skipped");
	is_int(store_member_status(st, "never@example.org", "board"), STORE_NONE, "  and not added");
	{
		struct store_subscriber never = { "never@example.org", "Never", 0, NULL, NULL };

		is_int(store_subscribe(st, &never, "board", STORE_RESUBSCRIBE, &res, NULL), 0,
		       "--resubscribe a suppressed new address");
	}
	is_int(res, STORE_ADDED, "  added");
	is_int(store_is_suppressed(st, "never@example.org"), 0, "  and no longer suppressed");
	is_int(store_deliverable(st, "never@example.org", "board"), 1, "  deliverable");

	/* Double opt-in. */
	is_int(store_subscribe_request(st, "new@example.net", "New", "members", 1000, 3600), 1,
	       "a request: mail a confirmation");
	is_int(store_member_status(st, "new@example.net", "members"), STORE_PENDING, "  pending");
	is_int(store_count(st, "members"), 1, "pending is not a recipient");
	is_int(store_subscribe_request(st, "jose@example.com", NULL, "members", 1000, 3600), 1,
	       "a request for an active member: mail");
	is_int(store_member_status(st, "jose@example.com", "members"), STORE_ACTIVE, "  and it stays active");
	is_int(store_subscribe_request(st, "zoe@example.org", NULL, "news", 1000, 3600), 0,
	       "a request for a suppressed address: no mail");
	is_int(store_member_status(st, "zoe@example.org", "news"), STORE_NONE, "  nothing recorded");
	is_int(store_confirm(st, "new@example.net", "members"), STORE_ACTIVE, "confirm");
	is_int(store_confirm(st, "new@example.net", "members"), STORE_ACTIVE, "confirm twice");
	is_int(store_confirm(st, "li@example.com", "members"), STORE_BOUNCED, "confirm leaves bounced alone");
	is_int(store_count(st, "members"), 2, "confirmed is a recipient");

	/* Transactions: rollback undoes. */
	is_int(store_begin(st), 0, "begin");
	subscribe(st, "temp@example.org", NULL, "temp-list", 0, &res);
	is_int(store_count(st, "temp-list"), 1, "visible inside the transaction");
	is_int(store_rollback(st), 0, "rollback");
	is_int(store_count(st, "temp-list"), 0, "gone after rollback");
	subscribe(st, "temp@example.org", NULL, "temp-list", 0, &res);
	is_int(store_count(st, "temp-list"), 1, "list re-created after rollback");

	ok(store_attr_key_valid("member_type") && store_attr_key_valid("x1") &&
	   !store_attr_key_valid("Member") && !store_attr_key_valid("a-b") &&
	   !store_attr_key_valid("") && !store_attr_key_valid("a b"), "attribute keys [a-z0-9_]+");
	store_close(st);

	/* Reopen: data persists, no migration runs twice. */
	st = store_open(path.buf);
	ok(st && store_count(st, "members") == 2, "reopened database keeps its data");
	store_close(st);
	strbuf_release(&path);
}

static int many_lists_fn_calls;
static void list_fn(void *data, const char *list, const long long counts[STORE_STATUS_COUNT])
{
	struct strbuf *sb = data;

	many_lists_fn_calls++;
	strbuf_addf(sb, "%s:%lld/%lld/%lld/%lld/%lld/%lld;", list, counts[STORE_ACTIVE],
		    counts[STORE_PENDING], counts[STORE_UNSUBSCRIBED], counts[STORE_BOUNCED],
		    counts[STORE_COMPLAINED], counts[STORE_NONE]);
}

/* A new subscriber's attributes go in four per statement: more, empty and repeated keys. */
static void test_new_attrs(void)
{
	struct strbuf path = STRBUF_INIT;
	struct store *st;
	enum store_result res;
	const char *keys[] = { "a", "b", "c", "d", "e", "c", "f" };
	const char *vals[] = { "1", "", "3", "4", "5", "3bis", "6" };
	struct store_subscriber ann = { "ann@example.org", "Ann", 7, keys, vals };
	struct store_cursor *c;
	const struct store_recipient *r;
	struct strbuf got = STRBUF_INIT;
	size_t i;

	db_path(&path, "attrs.db");
	st = store_open(path.buf);
	ok(st && store_subscribe(st, &ann, "members", 0, &res, NULL) == 0 && res == STORE_ADDED,
	   "a new subscriber with seven attribute cells");
	c = st ? store_recipients_open(st, "members") : NULL;
	r = c ? store_cursor_next(c) : NULL;
	for (i = 0; r && i < r->nattrs; i++)
		strbuf_addf(&got, "%s=%s;", r->attr_keys[i], r->attr_values[i]);
	is_str(got.buf, "a=1;c=3bis;d=4;e=5;f=6;", "empty cells are no attribute; a repeated key keeps its last value");
	store_cursor_close(c);
	ann.nattrs = 5;		/* a .. e: no repeated key */
	ok(st && store_subscribe(st, &ann, "members", 0, &res, NULL) == 0 && res == STORE_UPDATED,
	   "c back to 3 is an update");
	ok(st && store_subscribe(st, &ann, "members", 0, &res, NULL) == 0 && res == STORE_UNCHANGED,
	   "the same row again changes nothing");
	store_close(st);
	strbuf_release(&got);
	strbuf_release(&path);
}

/* Segments: the one filter behind send --where and subscribers --where. */
static void test_filter(void)
{
	struct strbuf path = STRBUF_INIT, canon = STRBUF_INIT, got = STRBUF_INIT;
	struct store *st;
	enum store_result res;
	const char *k[] = { "country", "type" };
	const char *ann_v[] = { "Italy", "full" }, *bob_v[] = { "France", "student" };
	const char *cy_v[] = { "Italy", "student" };
	struct store_subscriber ann = { "ann@example.org", "", 2, k, ann_v };
	struct store_subscriber bob = { "bob@example.org", "", 2, k, bob_v };
	struct store_subscriber cy = { "cy@example.org", "", 2, k, cy_v };
	struct store_subscriber di = { "di@example.org", "", 1, k + 1, ann_v + 1 };
	const char *t1[] = { "type=student", "country!=France", "type=student" };
	const char *t2[] = { "country=" }, *t3[] = { "country!=" }, *t4[] = { "nosuch=1" };
	const char *bad[] = { "=x" }, *bad2[] = { "Country=Italy" }, *bad3[] = { "!=x" };
	struct store_filter *f;
	struct store_cursor *c;
	const struct store_recipient *r;

	db_path(&path, "filter.db");
	st = store_open(path.buf);
	ok(st && !store_subscribe(st, &ann, "members", 0, &res, NULL) &&
	   !store_subscribe(st, &bob, "members", 0, &res, NULL) &&
	   !store_subscribe(st, &cy, "members", 0, &res, NULL) &&
	   !store_subscribe(st, &di, "members", 0, &res, NULL), "four members");
	f = store_filter_parse(t1, 3, "--where");
	store_filter_canonical(f, &canon);
	is_str(canon.buf, "country!=France\ntype=student", "terms sorted, duplicates dropped");
	ok(st && store_count_where(st, "members", f) == 1, "type=student AND country!=France: 1");
	c = st ? store_recipients_where(st, "members", f) : NULL;
	while (c && (r = store_cursor_next(c)))
		strbuf_addf(&got, "%s;", r->email);
	store_cursor_close(c);
	is_str(got.buf, "cy@example.org;", "  the cursor gives the same one");
	ok(st && store_filter_check(st, "members", f) == 0, "  its keys are known");
	store_filter_free(f);
	f = store_filter_parse(t2, 1, "--where");
	ok(st && store_count_where(st, "members", f) == 1, "country= : those without one");
	store_filter_free(f);
	f = store_filter_parse(t3, 1, "--where");
	ok(st && store_count_where(st, "members", f) == 3, "country!= : those with one");
	store_filter_free(f);
	f = store_filter_parse(t4, 1, "--where");
	ok(f && st && store_filter_check(st, "members", f) < 0, "an unknown key fails the check");
	store_filter_free(f);
	ok(!store_filter_parse(bad, 1, "--where") && !store_filter_parse(bad2, 1, "--where") &&
	   !store_filter_parse(bad3, 1, "--where"), "malformed terms are refused");
	ok(st && store_count_where(st, "members", NULL) == 4, "no filter: the whole list");
	store_close(st);
	strbuf_release(&canon);
	strbuf_release(&got);
	strbuf_release(&path);
}

static void test_lists(void)
{
	struct strbuf path = STRBUF_INIT, out = STRBUF_INIT;
	struct store *st;
	enum store_result res;

	db_path(&path, "lists.db");
	st = store_open(path.buf);
	subscribe(st, "a@example.org", NULL, "members", 0, &res);
	subscribe(st, "b@example.org", NULL, "members", 0, &res);
	subscribe(st, "c@example.org", NULL, "members", 0, &res);
	subscribe(st, "d@example.org", NULL, "members", 0, &res);
	store_unsubscribe(st, "b@example.org", "members", NULL);
	store_set_status(st, "c@example.org", "members", STORE_COMPLAINED, "fbl");
	store_suppress(st, "d@example.org", "manual");
	store_subscribe_request(st, "e@example.org", NULL, "members", 1000, 3600);
	subscribe(st, "a@example.org", NULL, "board", 0, &res);
	is_int(store_each_list(st, list_fn, &out), 0, "store_each_list");
	is_str(out.buf, "board:1/0/0/0/0/0;members:2/1/1/0/1/1;", "counts by status, suppressed active counted");
	store_close(st);
	strbuf_release(&out);
	strbuf_release(&path);
}

/* The name of a subscriber, as `subscribers list` shows it (cursor over any status). */
static void name_of(struct store *st, const char *list, const char *email, struct strbuf *out)
{
	struct store_cursor *c = store_members_open(st, list, STORE_NONE);
	const struct store_recipient *r;

	strbuf_reset(out);
	strbuf_addstr(out, "(none)");
	while ((r = store_cursor_next(c)))
		if (!strcmp(r->email, email)) {
			strbuf_reset(out);
			strbuf_addstr(out, r->name);
		}
	store_cursor_close(c);
}

/*
 * Web subscription requests: at most one confirmation e-mail per address
 * per interval, remembered across connections; the submitted name is held
 * until the confirmation; confirming never undoes an unsubscribe, bounce,
 * complaint or suppression.
 */
static void test_requests(void)
{
	struct strbuf path = STRBUF_INIT, name = STRBUF_INIT;
	struct store *st;
	enum store_result res;
	int i, mails = 0;

	db_path(&path, "requests.db");
	st = store_open(path.buf);
	for (i = 0; i < 8; i++)
		mails += store_subscribe_request(st, "bomb@example.org", "Spam Text", "members",
						 5000 + i, 3600) == 1;
	is_int(mails, 1, "8 requests for one address within the interval: one e-mail");
	store_close(st);
	st = store_open(path.buf);
	is_int(store_subscribe_request(st, "bomb@example.org", NULL, "members", 5000 + 3599, 3600), 0,
	       "  still none after reopening the database");
	is_int(store_subscribe_request(st, "bomb@example.org", NULL, "members", 5000 + 3600, 3600), 1,
	       "  one again after the interval");
	is_int(store_subscribe_request(st, "bomb@example.org", NULL, "board", 5000 + 3601, 3600), 1,
	       "  the interval is per list");
	is_int(store_subscribe_request(st, "bomb@example.org", NULL, "members", 1000, 3600), 1,
	       "  a clock set back does not silence the address");
	is_int(store_subscribe_request(st, "free@example.org", NULL, "members", 1, 0), 1, "interval 0: no limit");
	is_int(store_subscribe_request(st, "free@example.org", NULL, "members", 1, 0), 1, "  again");

	/* The name is held, never on the subscriber before the confirmation. */
	is_int(store_subscribe_request(st, "dana@example.org", "Dana Doe", "members", 100, 3600), 1,
	       "a request with a name");
	name_of(st, "members", "dana@example.org", &name);
	is_str(name.buf, "", "  the name is not the subscriber's yet");
	is_int(store_confirm(st, "dana@example.org", "members"), STORE_ACTIVE, "  confirmed");
	name_of(st, "members", "dana@example.org", &name);
	is_str(name.buf, "Dana Doe", "  now it is");
	is_int(store_subscribe_request(st, "dana@example.org", "Mallory", "members", 200, 3600), 0,
	       "a second request within the interval: no e-mail");
	is_int(store_confirm(st, "dana@example.org", "members"), STORE_ACTIVE, "  confirming again");
	name_of(st, "members", "dana@example.org", &name);
	is_str(name.buf, "Dana Doe", "  keeps the name: a request that sent no e-mail holds none");

	/* Unsubscribes stick, whatever link is confirmed afterwards. */
	is_int(store_unsubscribe(st, "dana@example.org", "members", "cli"), STORE_ACTIVE, "unsubscribed");
	is_int(store_subscribe_request(st, "dana@example.org", NULL, "members", 9000, 3600), 0,
	       "  a request for an unsubscribed address: no e-mail");
	is_int(store_confirm(st, "dana@example.org", "members"), STORE_UNSUBSCRIBED,
	       "  confirming does not re-activate");
	is_int(store_member_status(st, "dana@example.org", "members"), STORE_UNSUBSCRIBED, "  still unsubscribed");
	is_int(store_subscribe_request(st, "pend@example.org", NULL, "members", 100, 3600), 1, "pending");
	store_set_status(st, "pend@example.org", "members", STORE_BOUNCED, "dsn");
	is_int(store_confirm(st, "pend@example.org", "members"), STORE_BOUNCED, "  bounced: confirm refused");
	is_int(store_subscribe_request(st, "sup@example.org", NULL, "members", 100, 3600), 1, "pending");
	store_suppress(st, "sup@example.org", "manual");
	is_int(store_confirm(st, "sup@example.org", "members"), STORE_NONE, "  suppressed: confirm refused");
	is_int(store_member_status(st, "sup@example.org", "members"), STORE_PENDING, "  and left pending");
	is_int(store_confirm(st, "nobody@example.org", "members"), STORE_NONE, "not a member: refused");
	subscribe(st, "dana@example.org", NULL, "members", STORE_RESUBSCRIBE, &res);
	is_int(store_member_status(st, "dana@example.org", "members"), STORE_ACTIVE,
	       "the editors can still resubscribe");
	store_close(st);
	strbuf_release(&path);
	strbuf_release(&name);
}

/* A database as newsbeat's schema version 1 made it, by raw SQL. */
static const char v1_sql[] =
	"CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL DEFAULT '', created TEXT NOT NULL);"
	"CREATE TABLE lists (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);"
	"CREATE TABLE memberships (list_id INTEGER NOT NULL REFERENCES lists(id),"
	"  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced', 'complained')),"
	"  updated TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (list_id, subscriber_id)) WITHOUT ROWID;"
	"CREATE TABLE suppressions (email TEXT PRIMARY KEY, reason TEXT NOT NULL DEFAULT '',"
	"  created TEXT NOT NULL) WITHOUT ROWID;"
	"INSERT INTO lists VALUES (1, 'members', '2025-01-01T00:00:00Z');"
	"INSERT INTO subscribers VALUES (1, 'soren@example.org', 'Søren Kierkegaard-Olsen', '2025-01-02T00:00:00Z');"
	"INSERT INTO subscribers VALUES (2, 'lukasz@example.org', 'Łukasz Wiśniewski', '2025-01-03T00:00:00Z');"
	"INSERT INTO memberships VALUES (1, 1, 'active', '2025-01-02T00:00:00Z', '');"
	"INSERT INTO memberships VALUES (1, 2, 'unsubscribed', '2025-06-01T00:00:00Z', 'web');"
	"PRAGMA user_version = 1;";

/*
 * One mailbox, whatever the case of its local part: sticky statuses,
 * suppressions, removal and subscription requests all apply to the
 * variants, and no variant becomes a second subscriber.
 */
static void test_case_variants(void)
{
	struct strbuf path = STRBUF_INIT;
	enum store_result res;
	enum store_status why = STORE_ACTIVE;
	struct store_subscriber erin = { "Erin@example.org", "Erin", 0, NULL, NULL };
	struct store_cursor *c;
	const struct store_recipient *r;
	struct store *st;

	db_path(&path, "case.db");
	st = store_open(path.buf);
	ok(st != NULL, "a store for case variants");
	if (!st)
		return;
	subscribe(st, "erin@example.org", NULL, "members", 0, &res);
	is_int(store_unsubscribe(st, "erin@example.org", "members", "cli"), STORE_ACTIVE, "erin unsubscribes");
	is_int(store_subscribe(st, &erin, "members", 0, &res, &why), 0, "add Erin@example.org");
	is_int(res, STORE_SKIPPED, "  a case variant of the unsubscribed address is skipped");
	is_int(why, STORE_UNSUBSCRIBED, "  because it is unsubscribed");
	subscribe(st, "ERIN@example.org", "E2", "members", 0, &res);
	is_int(res, STORE_SKIPPED, "  ERIN@example.org too");
	is_int(store_count(st, "members"), 0, "  nobody to mail");
	is_int(count_cursor(store_members_open(st, "members", STORE_NONE)), 1, "  one member row");
	is_int(store_member_status(st, "eRiN@example.org", "members"), STORE_UNSUBSCRIBED,
	       "the status of any variant is the mailbox's");

	subscribe(st, "Amy@example.org", "Amy", "members", 0, &res);
	is_int(res, STORE_ADDED, "Amy added");
	subscribe(st, "amy@example.org", "Amy", "members", 0, &res);
	is_int(res, STORE_UNCHANGED, "  amy@ is her, unchanged");
	subscribe(st, "AMY@example.org", "Amy B.", "members", 0, &res);
	is_int(res, STORE_UPDATED, "  AMY@ with another name updates her");
	c = store_recipients_open(st, "members");
	r = store_cursor_next(c);
	ok(r && !strcmp(r->email, "Amy@example.org") && !strcmp(r->name, "Amy B."),
	   "  one recipient, sent to as first written");
	ok(!store_cursor_next(c), "  and no other");
	store_cursor_close(c);
	is_int(store_unsubscribe(st, "aMY@example.org", "members", "cli"), STORE_ACTIVE,
	       "removing a variant unsubscribes her");
	is_int(store_count(st, "members"), 0, "  no recipient left");

	subscribe(st, "bob@example.org", NULL, "members", 0, &res);
	is_int(store_set_status(st, "BOB@example.org", NULL, STORE_BOUNCED, "550"), 1,
	       "a bounce for a variant bounces the subscriber");
	is_int(store_suppress(st, "sup@example.org", "hard"), 0, "suppress sup@");
	is_int(store_is_suppressed(st, "SUP@example.org"), 1, "  SUP@ is suppressed");
	is_int(store_suppress(st, "Sup@example.org", "again"), 0, "  suppressing Sup@ is the same");
	subscribe(st, "sUp@example.org", NULL, "members", 0, &res);
	is_int(res, STORE_SKIPPED, "  a variant of a suppressed address is skipped");
	is_int(store_unsuppress(st, "SUP@example.org"), 1, "  unsuppress by a variant");
	is_int(store_is_suppressed(st, "sup@example.org"), 0, "  and it is gone");

	/* The web form: one e-mail per mailbox per interval, whatever the case. */
	is_int(store_subscribe_request(st, "victim@example.org", NULL, "members", 1000, 3600), 1,
	       "a request for victim@: an e-mail");
	is_int(store_subscribe_request(st, "Victim@example.org", NULL, "members", 1001, 3600), 0,
	       "  Victim@ a second later: none");
	is_int(store_subscribe_request(st, "vIctim@example.org", "V", "members", 1002, 3600), 0,
	       "  vIctim@: none");
	is_int(store_confirm(st, "VICTIM@example.org", "members"), STORE_ACTIVE, "  confirm by a variant");
	is_int(store_member_status(st, "victim@example.org", "members"), STORE_ACTIVE, "  victim@ is active");
	is_int(count_cursor(store_members_open(st, "members", STORE_NONE)), 4, "four people, four rows");
	store_close(st);
	strbuf_release(&path);
}

/*
 * A database of schema version 8 that holds case variants (as the old
 * exact comparison let in): it opens, each mailbox becomes one
 * subscriber, a sticky status of any variant wins, and a send under way
 * mails the mailbox once.
 */
static const char v8_variants_sql[] =
	"PRAGMA foreign_keys = OFF;"
	"DROP TABLE subscribers; DROP TABLE suppressions;"
	"CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, updated TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE suppressions (email TEXT PRIMARY KEY, reason TEXT NOT NULL DEFAULT '',"
	"  created TEXT NOT NULL) WITHOUT ROWID;"
	"INSERT INTO lists VALUES (1, 'members', '2025-01-01T00:00:00Z'), (2, 'board', '2025-01-01T00:00:00Z');"
	"INSERT INTO subscribers VALUES (1, 'erin@example.org', '', 'c', 'c'), (2, 'Erin@example.org', 'Erin', 'c', 'c'),"
	"  (3, 'ERIN@example.org', 'E2', 'c', 'c'), (4, 'bo@example.org', 'Bo', 'c', 'c'),"
	"  (5, 'Bo@example.org', 'Bo', 'c', 'c'), (6, 'pat@example.org', '', 'c', 'c'),"
	"  (7, 'PAT@example.org', 'Pat', 'c', 'c'), (8, 'kim@example.org', 'Kim', 'c', 'c'),"
	"  (9, 'Kim@example.org', 'Kim', 'c', 'c');"
	"INSERT INTO memberships VALUES (1, 1, 'unsubscribed', 'u', 'web'), (1, 2, 'active', 'u', ''),"
	"  (1, 3, 'active', 'u', ''), (2, 3, 'active', 'u', ''), (1, 4, 'active', 'u', ''),"
	"  (1, 5, 'active', 'u', ''), (1, 6, 'pending', 'u', ''), (1, 7, 'active', 'u', ''),"
	"  (1, 8, 'active', 'u', ''), (1, 9, 'complained', 'u', 'arf');"
	"INSERT INTO attributes VALUES (2, 'country', 'IE'), (1, 'city', 'Cork'), (2, 'city', 'Dublin');"
	"INSERT INTO confirmations VALUES (1, 6, '', 100), (1, 7, 'Pat', 200);"
	"INSERT INTO suppressions VALUES ('x@example.org', 'hard', '2025-01-01T00:00:00Z'),"
	"  ('X@example.org', 'complaint', '2025-02-01T00:00:00Z');"
	"INSERT INTO delivery_run (issue, list, recipients, created) VALUES (5, 'members', 5, 0);"
	"INSERT INTO delivery (id, issue, email, list, state) VALUES (1, 5, 'bo@example.org', 'members', 2),"
	"  (2, 5, 'Bo@example.org', 'members', 0), (3, 5, 'pat@example.org', 'members', 0),"
	"  (4, 5, 'PAT@example.org', 'members', 3), (5, 5, 'kim@example.org', 'members', 0),"
	"  (6, 4, 'x@example.org', 'members', 2), (7, 4, 'X@example.org', 'members', 2);"
	"PRAGMA user_version = 8;";

static int sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void test_fold_migration(void)
{
	struct strbuf path = STRBUF_INIT, v = STRBUF_INIT;
	struct store_cursor *c;
	const struct store_recipient *r;
	enum store_result res;
	struct store *st;
	sqlite3 *db;
	size_t i;

	db_path(&path, "v8-variants.db");
	st = store_open(path.buf);
	store_close(st);
	ok(sqlite3_open(path.buf, &db) == SQLITE_OK &&
	   sqlite3_exec(db, v8_variants_sql, NULL, NULL, NULL) == SQLITE_OK,
	   "made a v8 database with case variants by raw SQL");
	sqlite3_close(db);

	st = store_open(path.buf);
	ok(st != NULL, "store_open migrates it");
	if (!st)
		return;
	is_int(store_member_status(st, "Erin@example.org", "members"), STORE_UNSUBSCRIBED,
	       "erin: the unsubscribe of one variant wins over two active ones");
	is_int(store_member_status(st, "kim@example.org", "members"), STORE_COMPLAINED,
	       "kim: the complaint of the later variant wins");
	is_int(store_member_status(st, "erin@example.org", "board"), STORE_ACTIVE,
	       "  a variant's other list is kept");
	is_int(store_member_status(st, "pat@example.org", "members"), STORE_ACTIVE, "pat: active beats pending");
	c = store_recipients_open(st, "members");
	r = store_cursor_next(c);
	ok(r && !strcmp(r->email, "bo@example.org"), "recipients: bo as first written");
	r = store_cursor_next(c);
	ok(r && !strcmp(r->email, "pat@example.org") && !strcmp(r->name, "Pat"),
	   "  pat, with the variant's name where hers was empty");
	ok(!store_cursor_next(c), "  and nobody else");
	store_cursor_close(c);
	c = store_member_open(st, "members", "erin@example.org");
	r = c ? store_cursor_next(c) : NULL;
	strbuf_reset(&v);
	for (i = 0; r && i < r->nattrs; i++)
		strbuf_addf(&v, "%s=%s;", r->attr_keys[i], r->attr_values[i]);
	ok(r && !strcmp(v.buf, "city=Cork;country=IE;"), "erin's attributes: hers, then the variants' (%s)", v.buf);
	store_cursor_close(c);
	is_int(store_subscribe_request(st, "Pat@example.org", NULL, "members", 250, 3600), 0,
	       "the latest confirmation time of the variants still limits the e-mails");
	subscribe(st, "ERIN@EXAMPLE.ORG", NULL, "members", 0, &res);
	is_int(res, STORE_SKIPPED, "a variant of erin is still skipped");
	is_int(store_is_suppressed(st, "X@example.org"), 1, "the suppression is kept");
	store_close(st);

	sqlite3_open(path.buf, &db);
	is_int(sql_int(db, "PRAGMA user_version"), 9, "at schema version 9");
	is_int(sql_int(db, "SELECT count(*) FROM subscribers"), 4, "four subscribers, one per mailbox");
	is_int(sql_int(db, "SELECT count(*) FROM memberships"), 5, "five memberships");
	is_int(sql_int(db, "SELECT count(*) FROM suppressions"), 1, "one suppression");
	is_int(sql_int(db, "SELECT count(*) FROM suppressions WHERE email = 'x@example.org' AND reason = 'hard'"), 1,
	       "  the first recorded");
	is_int(sql_int(db, "SELECT sent FROM confirmations WHERE subscriber_id = 6"), 200, "  pat's request kept, latest");
	is_int(sql_int(db, "SELECT count(*) FROM confirmations"), 1, "  one request");
	is_int(sql_int(db, "SELECT state FROM delivery WHERE id = 2"), 5,
	       "the send under way: the variant of bo, already sent to, is cancelled");
	is_int(sql_int(db, "SELECT state FROM delivery WHERE id = 3"), 0, "  the first row of pat is kept");
	is_int(sql_int(db, "SELECT state FROM delivery WHERE id = 4"), 5, "  the other cancelled");
	is_int(sql_int(db, "SELECT count(*) FROM delivery WHERE state = 5"), 2, "  nothing else");
	is_int(sql_int(db, "SELECT count(*) FROM delivery WHERE issue = 4 AND state = 2"), 2,
	       "  a finished send is left as it was");
	is_int(sql_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0, "no row points at nothing");
	sqlite3_close(db);
	strbuf_release(&v);
	strbuf_release(&path);
}

/* store_backup: a complete, standalone copy, 0600, while the store is open. */
static void test_backup(void)
{
	struct strbuf path = STRBUF_INIT, bak = STRBUF_INIT;
	struct store_subscriber ann = { "ann@example.org", "Ann", 0, NULL, NULL };
	enum store_result res;
	struct store *st, *copy;
	struct stat sb;

	db_path(&path, "live.db");
	db_path(&bak, "live-copy.db");
	st = store_open(path.buf);
	ok(st && store_subscribe(st, &ann, "members", 0, &res, NULL) == 0, "a live store with a member");
	if (!st)
		return;
	umask(0);
	is_int(store_backup(st, bak.buf), 0, "store_backup while it is open");
	umask(022);
	ok(stat(bak.buf, &sb) == 0 && (sb.st_mode & 0777) == 0600, "  the copy is 0600 even under umask 0");
	copy = store_open(bak.buf);
	ok(copy && store_count(copy, "members") == 1, "  and holds the member");
	store_close(copy);
	is_int(store_backup(st, "/nonexistent-dir/x.db"), -1, "a backup into a missing directory fails");
	store_close(st);
	strbuf_release(&path);
	strbuf_release(&bak);
}

static void test_migration(void)
{
	struct strbuf path = STRBUF_INIT;
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *s;
	struct store_cursor *c;
	const struct store_recipient *r;
	enum store_result res;
	const char *keys[] = { "country" };
	const char *vals[] = { "DK" };
	struct store_subscriber soren = { "soren@example.org", NULL, 1, keys, vals };
	int version = -1;

	db_path(&path, "v1.db");
	ok(sqlite3_open(path.buf, &db) == SQLITE_OK &&
	   sqlite3_exec(db, v1_sql, NULL, NULL, NULL) == SQLITE_OK, "made a v1 database by raw SQL");
	sqlite3_close(db);

	st = store_open(path.buf);
	ok(st != NULL, "store_open migrates a v1 database");
	if (!st)
		return;
	is_int(store_count(st, "members"), 1, "v1 data kept: one active");
	is_int(store_member_status(st, "lukasz@example.org", "members"), STORE_UNSUBSCRIBED,
	       "v1 unsubscribe kept");
	is_int(store_subscribe(st, &soren, "members", 0, &res, NULL), 0, "attributes work after migration");
	is_int(res, STORE_UPDATED, "adding an attribute is an update");
	c = store_recipients_open(st, "members");
	r = store_cursor_next(c);
	ok(r && !strcmp(r->name, "Søren Kierkegaard-Olsen") && r->nattrs == 1 &&
	   !strcmp(r->attr_values[0], "DK"), "recipient with name and attribute");
	store_cursor_close(c);
	store_close(st);

	sqlite3_open(path.buf, &db);
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	ok(version >= 2, "user_version advanced to %d", version);
	version = -1;
	sqlite3_prepare_v2(db, "SELECT updated FROM subscribers WHERE id = 2", -1, &s, NULL);
	ok(sqlite3_step(s) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0), "2025-01-03T00:00:00Z"),
	   "migration filled 'updated' from 'created'");
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
	ok(sqlite3_step(s) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0), "wal"),
	   "database is in WAL mode");
	sqlite3_finalize(s);
	ok(sqlite3_exec(db, "UPDATE memberships SET status = 'bogus' WHERE subscriber_id = 1",
			NULL, NULL, NULL) == SQLITE_CONSTRAINT_CHECK || sqlite3_errcode(db) == SQLITE_CONSTRAINT,
	   "the rebuilt memberships table still checks the status");
	sqlite3_prepare_v2(db, "SELECT count(*) FROM memberships", -1, &s, NULL);
	ok(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 2, "both v1 memberships survived the rebuild");
	sqlite3_finalize(s);
	{
		/* The old file was copied, as it was, before the upgrade. */
		struct strbuf bak = STRBUF_INIT;
		sqlite3 *old;
		int oldv = -1;

		strbuf_addf(&bak, "%s.schema-v1.bak", path.buf);
		ok(sqlite3_open_v2(bak.buf, &old, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
		   "the v1 file was kept as %s", bak.buf);
		sqlite3_prepare_v2(old, "PRAGMA user_version", -1, &s, NULL);
		if (sqlite3_step(s) == SQLITE_ROW)
			oldv = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
		is_int(oldv, 1, "  still at schema version 1");
		sqlite3_prepare_v2(old, "SELECT count(*) FROM memberships", -1, &s, NULL);
		ok(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 2, "  with its data");
		sqlite3_finalize(s);
		sqlite3_close(old);
		strbuf_release(&bak);
	}
	/* A database from the future is refused. */
	sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
	sqlite3_close(db);
	st = store_open(path.buf);
	ok(st == NULL, "a database with a newer schema is refused");
	store_close(st);
	strbuf_release(&path);
}

/*
 * A child process subscribes and unsubscribes (one commit each) while the
 * parent reads through cursors and writes too; neither sees "database is
 * locked".
 */
static void test_concurrency(void)
{
	struct strbuf path = STRBUF_INIT, email = STRBUF_INIT;
	struct store *st;
	enum store_result res;
	pid_t pid;
	int status, i, errors = 0, rounds = 0;

	db_path(&path, "concurrent.db");
	st = store_open(path.buf);
	for (i = 0; i < 2000; i++) {
		strbuf_reset(&email);
		strbuf_addf(&email, "seed%d@example.org", i);
		if (i == 0)
			store_begin(st);
		subscribe(st, email.buf, "Seed", "members", 0, &res);
	}
	store_commit(st);
	store_close(st);

	pid = fork();
	if (pid == 0) {
		struct store *w = store_open(path.buf);
		int bad = !w;

		for (i = 0; w && i < 300; i++) {
			strbuf_reset(&email);
			strbuf_addf(&email, "child%d@example.org", i);
			if (subscribe(w, email.buf, "Child", "members", 0, &res) < 0)
				bad++;
			strbuf_reset(&email);
			strbuf_addf(&email, "seed%d@example.org", i);
			if (store_unsubscribe(w, email.buf, "members", "child") < 0)
				bad++;
		}
		store_close(w);
		_exit(bad ? 1 : 0);
	}
	st = store_open(path.buf);
	ok(st != NULL, "parent opens while the child writes");
	for (i = 0; st && (rounds < 5 || waitpid(pid, &status, WNOHANG) == 0); i++) {
		struct store_cursor *c = store_recipients_open(st, "members");

		if (!c || count_cursor(c) < 0)
			errors++;
		strbuf_reset(&email);
		strbuf_addf(&email, "parent%d@example.org", i);
		if (subscribe(st, email.buf, "Parent", "members", 0, &res) < 0)
			errors++;
		rounds++;
		if (rounds > 100000)
			break;
	}
	if (rounds <= 5)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writing child had no error");
	is_int(errors, 0, "the reading parent had no error in %d rounds", rounds);
	is_int(store_member_status(st, "child299@example.org", "members"), STORE_ACTIVE, "child's last write visible");
	is_int(store_member_status(st, "seed299@example.org", "members"), STORE_UNSUBSCRIBED, "child's unsubscribe visible");
	is_int(store_count(st, "members"), 2000 - 300 + 300 + rounds, "counts add up");
	store_close(st);
	strbuf_release(&email);
	strbuf_release(&path);
}

/* Memory stays flat while a cursor walks a long list (batches). */
static void test_cursor_batches(void)
{
	struct strbuf path = STRBUF_INIT, email = STRBUF_INIT;
	struct store *st;
	enum store_result res;
	struct store_cursor *c;
	const struct store_recipient *r;
	int i, n = 0, ordered = 1, unsubscribed_seen = 0;
	int64_t last = 0;

	db_path(&path, "batches.db");
	st = store_open(path.buf);
	store_begin(st);
	for (i = 0; i < 1500; i++) {
		strbuf_reset(&email);
		strbuf_addf(&email, "m%d@example.org", i);
		subscribe(st, email.buf, NULL, "members", 0, &res);
	}
	store_commit(st);
	c = store_recipients_open(st, "members");
	while ((r = store_cursor_next(c))) {
		if (r->id <= last)
			ordered = 0;
		last = r->id;
		if (!strcmp(r->email, "m1400@example.org"))
			unsubscribed_seen = 1;
		if (n == 10)	/* unsubscribed during the walk: later batches skip it */
			store_unsubscribe(st, "m1400@example.org", "members", "web");
		n++;
	}
	ok(!store_cursor_failed(c), "cursor did not fail");
	store_cursor_close(c);
	is_int(n, 1499, "1500 members less one unsubscribed during the walk");
	ok(ordered, "ids strictly increasing");
	ok(!unsubscribed_seen, "an unsubscribe during the walk takes effect");
	store_close(st);
	strbuf_release(&email);
	strbuf_release(&path);
}

/* An import's batch: rolled back leaves nothing; committed, the store works as before. */
static void test_batch(void)
{
	struct strbuf path = STRBUF_INIT, email = STRBUF_INIT;
	struct store *st;
	enum store_result res;
	struct store_cursor *c;
	int i, n = 0, bad = 0;

	db_path(&path, "batch.db");
	st = store_open(path.buf);
	ok(st && store_begin_batch(st) == 0, "batch begins");
	for (i = 0; i < 100; i++) {
		strbuf_reset(&email);
		strbuf_addf(&email, "b%d@example.org", i);
		bad += subscribe(st, email.buf, "B", "batch", 0, &res) < 0;
	}
	ok(store_rollback(st) == 0, "batch rolled back (--dry-run)");
	is_int(store_count(st, "batch"), 0, "nothing left after the rollback");
	ok(store_begin_batch(st) == 0, "batch begins again");
	for (i = 0; i < 100; i++) {
		strbuf_reset(&email);
		strbuf_addf(&email, "b%d@example.org", i);
		bad += subscribe(st, email.buf, "B", "batch", 0, &res) < 0;
	}
	ok(store_commit(st) == 0, "batch committed");
	is_int(bad, 0, "every subscribe in the batches worked");
	is_int(store_count(st, "batch"), 100, "100 members after the commit");
	c = store_recipients_open(st, "batch");
	while (c && store_cursor_next(c)) {
		if (n++ == 5)
			store_unsubscribe(st, "b50@example.org", "batch", "web");
	}
	ok(c && !store_cursor_failed(c), "a cursor survives a write after a batch");
	store_cursor_close(c);
	is_int(n, 99, "and sees the unsubscribe");
	store_close(st);
	strbuf_release(&email);
	strbuf_release(&path);
}

int main(void)
{
	struct strbuf cmd = STRBUF_INIT;

	if (!mkdtemp(dir))
		skip_all("cannot make a temporary directory");
	unsetenv("NEWSBEAT_NOW");
	test_basics();
	test_new_attrs();
	test_lists();
	test_filter();
	test_requests();
	test_migration();
	test_case_variants();
	test_fold_migration();
	test_backup();
	test_cursor_batches();
	test_batch();
	test_concurrency();
	strbuf_addf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd.buf) != 0)
		diag("could not remove %s", dir);
	strbuf_release(&cmd);
	return tap_done();
}

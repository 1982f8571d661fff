/*
 * The bounce policy (store/store_bounce.c) and the attribution in front
 * of it (bounce/bounce_apply.c), driven by hand-built classified
 * messages over a real database whose deliveries the journal recorded:
 * every row of the policy table, the soft window and its reset, sender
 * blamed rejections, never back to active, duplicates, reports about
 * addresses never sent to, a report naming the address in another case,
 * and a 5xx refusal at send time.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "core/token.h"
#include "store/journal.h"
#include "store/store.h"
#include "store/store_bounce.h"
#include "bounce/bounce_apply.h"
#include "tap.h"

#include <unistd.h>

static const char secret[] = "policy test secret";
static struct strbuf dbpath = STRBUF_INIT;
static struct store *st;
static const struct bounce_apply_opts opts = { secret, { 3, 5 }, 0 };

static void subscribe(const char *email, const char *list)
{
	struct store_subscriber s = { email, "", 0, NULL, NULL };
	enum store_result r;

	if (store_subscribe(st, &s, list, 0, &r, NULL) < 0)
		BUG("subscribe");
}

/*
 * Send `issue` to the active members of `list`, each outcome per the
 * journal; `fail` (may be NULL) is refused with `reply`.  Returns nothing:
 * the row ids are found with store_delivery_by_issue.
 */
static void send_issue(int issue, const char *list, const char *fail, int code, const char *reply)
{
	struct journal *j = journal_open(dbpath.buf);
	struct store_cursor *c = store_recipients_open(st, list);
	const struct store_recipient *r;
	struct journal_row rows[64];
	int64_t cursor = 0;
	int n, i;

	if (!j || !c)
		BUG("journal");
	journal_snapshot_begin(j, issue, list);
	while ((r = store_cursor_next(c)))
		journal_snapshot_add(j, r->email, r->name, list, "");
	store_cursor_close(c);
	journal_snapshot_commit(j);
	while ((n = journal_claim(j, issue, 0, rows, 64, &cursor)) > 0) {
		for (i = 0; i < n; i++) {
			struct journal_outcome o;
			struct strbuf mid = STRBUF_INIT;

			memset(&o, 0, sizeof(o));
			o.attempts = 1;
			token_message_id(secret, issue, rows[i].email, &mid);
			strbuf_addstr(&mid, "@example.org");
			if (fail && !strcmp(rows[i].email, fail)) {
				o.state = JOURNAL_FAILED;
				o.code = code;
				o.reply = reply;
			} else {
				o.state = JOURNAL_SENT;
				o.code = 250;
				o.reply = "250 OK";
				o.message_id = mid.buf;
			}
			journal_record(j, rows[i].id, 1, &o);
			strbuf_release(&mid);
			journal_row_release(&rows[i]);
		}
	}
	journal_close(j);
}

static int64_t row_of(int issue, const char *email)
{
	struct store_delivery d;
	int64_t id = 0;

	if (store_delivery_by_issue(st, issue, email, &d) == 1) {
		id = d.row;
		store_delivery_release(&d);
	}
	return id;
}

/* The VERP address the report came back to. */
static char *verp(int issue, const char *email)
{
	struct strbuf a = STRBUF_INIT;

	if (token_verp_address(secret, "bounces@example.org", issue, row_of(issue, email), &a) < 0)
		BUG("verp");
	return strbuf_detach(&a, NULL);
}

/* A one-recipient report of `kind`; free with release(). */
static void report(struct bounce_message *m, enum bounce_kind kind, const char *to,
		   const char *rcpt, const char *status, int blames_sender)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	if (to) {
		m->to = xcalloc(1, sizeof(char *));
		m->to[0] = xstrdup(to);
		m->nto = 1;
	}
	if (rcpt) {
		m->rcpt = xcalloc(1, sizeof(*m->rcpt));
		m->nrcpt = 1;
		m->rcpt[0].address = xstrdup(rcpt);
		m->rcpt[0].kind = kind;
		snprintf(m->rcpt[0].status, sizeof(m->rcpt[0].status), "%s", status ? status : "");
		m->rcpt[0].blames_sender = blames_sender;
		m->rcpt[0].diagnostic = xstrdup("smtp; 550 the words of the server");
	}
}

static void release(struct bounce_message *m)
{
	size_t i;

	for (i = 0; i < m->nto; i++)
		free(m->to[i]);
	free(m->to);
	for (i = 0; i < m->nrcpt; i++) {
		free(m->rcpt[i].address);
		free(m->rcpt[i].diagnostic);
	}
	free(m->rcpt);
	free(m->orig_message_id);
	free(m->orig_list_unsubscribe);
	free(m->orig_to);
	free(m->unsubscribe_token);
	free(m->feedback_type);
}

/* Apply m; the first action's result, or -1 when none. */
static int apply(struct bounce_message *m, struct bounce_outcome *out)
{
	int r;

	if (bounce_apply(st, m, &opts, out) < 0)
		BUG("bounce_apply");
	r = out->nact ? (int)out->act[0].result : -1;
	release(m);
	return r;
}

static int apply_free(struct bounce_message *m)
{
	struct bounce_outcome out;
	int r = apply(m, &out);

	bounce_outcome_release(&out);
	return r;
}

static int status_of(const char *email, const char *list)
{
	return store_member_status(st, email, list);
}

static void test_hard(void)
{
	struct bounce_message m;
	char *to;

	subscribe("hard@example.org", "members");
	subscribe("hard@example.org", "board");
	subscribe("keep@example.org", "members");
	send_issue(1, "members", NULL, 0, NULL);
	to = verp(1, "hard@example.org");
	report(&m, BOUNCE_HARD, to, "hard@example.org", "5.1.1", 0);
	is_int(apply_free(&m), STORE_BOUNCE_BOUNCED, "hard bounce by VERP: bounced");
	is_int(status_of("hard@example.org", "members"), STORE_BOUNCED, "bounced on the list sent to");
	is_int(status_of("hard@example.org", "board"), STORE_BOUNCED, "and on every other list");
	is_int(store_is_suppressed(st, "hard@example.org"), 1, "and suppressed");
	is_int(status_of("keep@example.org", "members"), STORE_ACTIVE, "the other recipient is untouched");
	report(&m, BOUNCE_HARD, to, "hard@example.org", "5.1.1", 0);
	is_int(apply_free(&m), STORE_BOUNCE_DUPLICATE, "the same hard bounce again changes nothing");
	free(to);
}

static void test_soft(void)
{
	struct bounce_message m;
	int i;
	char *to;

	subscribe("full@example.org", "news");
	subscribe("flaky@example.org", "news");
	for (i = 11; i <= 14; i++)
		send_issue(i, "news", NULL, 0, NULL);
	/* full: soft on 14, 13 then 12 (any order) -> bounced at the third */
	to = verp(14, "full@example.org");
	report(&m, BOUNCE_SOFT, to, "full@example.org", "4.2.2", 0);
	is_int(apply_free(&m), STORE_BOUNCE_COUNTED, "soft bounce 1 of 3: counted");
	report(&m, BOUNCE_SOFT, to, "full@example.org", "4.2.2", 0);
	is_int(apply_free(&m), STORE_BOUNCE_DUPLICATE, "a second soft report for the same issue counts once");
	free(to);
	to = verp(12, "full@example.org");
	report(&m, BOUNCE_SOFT, to, "full@example.org", "4.2.2", 0);
	is_int(apply_free(&m), STORE_BOUNCE_COUNTED, "soft bounce for issue 12 (13 delivered since): counted");
	free(to);
	is_int(status_of("full@example.org", "news"), STORE_ACTIVE, "two soft bounces: still active");
	to = verp(13, "full@example.org");
	report(&m, BOUNCE_SOFT, to, "full@example.org", "5.2.2", 0);
	is_int(apply_free(&m), STORE_BOUNCE_BOUNCED, "the third soft bounce in the window: bounced");
	free(to);
	is_int(status_of("full@example.org", "news"), STORE_BOUNCED, "full@ is bounced");

	/* flaky: soft on 11, 12 and 14; 13 was delivered without a bounce: reset */
	for (i = 11; i <= 14; i++) {
		if (i == 13)
			continue;
		to = verp(i, "flaky@example.org");
		report(&m, BOUNCE_SOFT, to, "flaky@example.org", "4.4.7", 0);
		is_int(apply_free(&m), STORE_BOUNCE_COUNTED, "flaky@ soft bounce for issue %d counted", i);
		free(to);
	}
	is_int(status_of("flaky@example.org", "news"), STORE_ACTIVE,
	       "an issue delivered without a bounce in between resets the count: still active");
}

static void test_window(void)
{
	struct bounce_message m;
	int i;
	char *to;

	/* soft_limit 3 of soft_window 5: bounces older than the window are not counted */
	subscribe("old@example.org", "win");
	for (i = 21; i <= 26; i++)
		send_issue(i, "win", NULL, 0, NULL);
	for (i = 21; i <= 26; i++) {
		to = verp(i, "old@example.org");
		report(&m, BOUNCE_SOFT, to, "old@example.org", "4.2.2", 0);
		apply_free(&m);
		free(to);
		if (i == 22)
			is_int(status_of("old@example.org", "win"), STORE_ACTIVE,
			       "two soft bounces, four issues sent since: still active");
	}
	is_int(status_of("old@example.org", "win"), STORE_BOUNCED, "soft bounces on every issue: bounced");
}

static void test_sender_blamed(void)
{
	struct bounce_message m;
	struct bounce_outcome out;
	char *to;

	subscribe("blocked@example.org", "s");
	send_issue(31, "s", NULL, 0, NULL);
	to = verp(31, "blocked@example.org");
	report(&m, BOUNCE_HARD, to, "blocked@example.org", "5.7.1", 1);
	is_int(apply(&m, &out), STORE_BOUNCE_COUNTED, "a rejection that blames the sender is recorded");
	ok(out.blames_sender == 1 && out.act[0].kind == STORE_BOUNCE_SENDER, "as a sender problem");
	bounce_outcome_release(&out);
	is_int(status_of("blocked@example.org", "s"), STORE_ACTIVE, "and never counts against the subscriber");
	is_int(store_is_suppressed(st, "blocked@example.org"), 0, "not suppressed");
	free(to);
}

static void test_complaint_and_unsubscribe(void)
{
	struct bounce_message m;
	struct bounce_outcome out;
	struct strbuf tok = STRBUF_INIT, mid = STRBUF_INIT;

	subscribe("angry@example.org", "c");
	subscribe("angry@example.org", "d");
	subscribe("leave@example.org", "c");
	subscribe("leave@example.org", "d");
	subscribe("optout@example.org", "c");
	subscribe("optout@example.org", "d");
	send_issue(41, "c", NULL, 0, NULL);

	/* ARF abuse, attributed by the returned Message-ID */
	report(&m, BOUNCE_COMPLAINT, NULL, NULL, NULL, 0);
	token_message_id(secret, 41, "angry@example.org", &mid);
	strbuf_addstr(&mid, "@example.org");
	m.orig_message_id = strbuf_detach(&mid, NULL);
	m.feedback_type = xstrdup("abuse");
	is_int(apply_free(&m), STORE_BOUNCE_COMPLAINED, "a complaint (by Message-ID): complained");
	ok(status_of("angry@example.org", "c") == STORE_COMPLAINED &&
	   status_of("angry@example.org", "d") == STORE_COMPLAINED, "on every list, at once");
	is_int(store_is_suppressed(st, "angry@example.org"), 1, "and suppressed");

	/* ARF opt-out, attributed by the returned List-Unsubscribe token */
	report(&m, BOUNCE_UNSUBSCRIBE, NULL, NULL, NULL, 0);
	token_make(secret, TOKEN_UNSUBSCRIBE, "optout@example.org", "c", &tok);
	m.orig_list_unsubscribe = xstrdup("<https://news.example.org/unsubscribe?t=");
	{
		struct strbuf h = STRBUF_INIT;

		strbuf_addf(&h, "<https://news.example.org/unsubscribe?t=%s>, "
			    "<mailto:news@example.org?subject=unsubscribe%%20%s>", tok.buf, tok.buf);
		free(m.orig_list_unsubscribe);
		m.orig_list_unsubscribe = strbuf_detach(&h, NULL);
	}
	m.feedback_type = xstrdup("opt-out");
	is_int(apply_free(&m), STORE_BOUNCE_UNSUBSCRIBED, "ARF opt-out (by List-Unsubscribe): unsubscribed");
	ok(status_of("optout@example.org", "c") == STORE_UNSUBSCRIBED &&
	   status_of("optout@example.org", "d") == STORE_ACTIVE, "from that list only");

	/* mailto unsubscribe: valid token, then forged, then missing */
	strbuf_reset(&tok);
	token_make(secret, TOKEN_UNSUBSCRIBE, "leave@example.org", "c", &tok);
	report(&m, BOUNCE_UNSUBSCRIBE, NULL, NULL, NULL, 0);
	m.unsubscribe_token = xstrdup(tok.buf);
	is_int(apply_free(&m), STORE_BOUNCE_UNSUBSCRIBED, "mailto unsubscribe with a valid token");
	ok(status_of("leave@example.org", "c") == STORE_UNSUBSCRIBED &&
	   status_of("leave@example.org", "d") == STORE_ACTIVE, "unsubscribed from the token's list only");

	strbuf_reset(&tok);
	token_make("not the secret", TOKEN_UNSUBSCRIBE, "leave@example.org", "d", &tok);
	report(&m, BOUNCE_UNSUBSCRIBE, NULL, NULL, NULL, 0);
	m.unsubscribe_token = xstrdup(tok.buf);
	is_int(apply(&m, &out), -1, "a forged token changes nothing");
	ok(out.note && strstr(out.note, "does not verify"), "and says so: %s", out.note ? out.note : "(none)");
	bounce_outcome_release(&out);
	is_int(status_of("leave@example.org", "d"), STORE_ACTIVE, "leave@ is still on d");
	report(&m, BOUNCE_UNSUBSCRIBE, NULL, NULL, NULL, 0);
	is_int(apply(&m, &out), -1, "a request without a token changes nothing");
	ok(out.note != NULL, "and says so");
	bounce_outcome_release(&out);
	strbuf_release(&tok);
}

static void test_nothing_changes(void)
{
	static const enum bounce_kind kinds[] = {
		BOUNCE_AUTOREPLY, BOUNCE_DELAYED, BOUNCE_DELIVERED, BOUNCE_REPORT, BOUNCE_UNKNOWN,
	};
	struct bounce_message m;
	struct bounce_outcome out;
	size_t i;
	char *to;

	subscribe("away@example.org", "n");
	send_issue(51, "n", NULL, 0, NULL);
	to = verp(51, "away@example.org");
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		report(&m, kinds[i], to, "away@example.org", "4.4.7", 0);
		is_int(apply_free(&m), -1, "message kind %d changes nothing", (int)kinds[i]);
	}
	is_int(status_of("away@example.org", "n"), STORE_ACTIVE, "away@ still active");
	free(to);

	/* Final-Recipient of an address never sent to */
	report(&m, BOUNCE_HARD, NULL, "stranger@example.org", "5.1.1", 0);
	is_int(apply(&m, &out), -1, "a hard bounce for an address never sent to changes nothing");
	ok(out.note && strstr(out.note, "stranger@example.org"), "and is reported: %s", out.note ? out.note : "");
	bounce_outcome_release(&out);
	/* a subscriber that was never sent this list's issues, only a stranger's VERP */
	subscribe("unsent@example.org", "other");
	report(&m, BOUNCE_HARD, NULL, "unsent@example.org", "5.1.1", 0);
	is_int(apply_free(&m), -1, "a member never sent anything is not bounced by a report naming them");
	is_int(status_of("unsent@example.org", "other"), STORE_ACTIVE, "unsent@ still active");
	/* a forged VERP token: falls back to the recipient, which was never sent */
	report(&m, BOUNCE_HARD, "bounces+1-2-aaaaaaaaaaaaaaaa@example.org", "unsent@example.org", "5.1.1", 0);
	is_int(apply_free(&m), -1, "a forged VERP token attributes nothing");
}

static void test_final_recipient(void)
{
	struct bounce_message m;
	struct bounce_outcome out;

	subscribe("plain@example.org", "fr");
	send_issue(61, "fr", NULL, 0, NULL);
	report(&m, BOUNCE_HARD, "bounces@example.org", "plain@EXAMPLE.org", "5.1.1", 0);
	is_int(apply(&m, &out), STORE_BOUNCE_BOUNCED, "no VERP: attributed by Final-Recipient (domain case folded)");
	ok(out.nact == 1 && !strcmp(out.act[0].how, "recipient") && out.act[0].issue == 61,
	   "to the latest issue sent to it");
	bounce_outcome_release(&out);

	/* The local part in another case than it was sent to: the same mailbox. */
	subscribe("Case.Sent@example.org", "fr2");
	send_issue(62, "fr2", NULL, 0, NULL);
	report(&m, BOUNCE_HARD, "bounces@example.org", "case.sent@example.org", "5.1.1", 0);
	is_int(apply(&m, &out), STORE_BOUNCE_BOUNCED, "Final-Recipient in another case: attributed");
	ok(out.nact == 1 && out.act[0].issue == 62, "  to the issue sent to Case.Sent@");
	bounce_outcome_release(&out);
	is_int(status_of("Case.Sent@example.org", "fr2"), STORE_BOUNCED, "  which is bounced");
	is_int(store_is_suppressed(st, "CASE.SENT@example.org"), 1, "  and suppressed");
}

static void test_never_back_to_active(void)
{
	struct bounce_message m;
	enum store_result r;
	struct store_subscriber s = { "was@example.org", "", 0, NULL, NULL };
	char *to;

	subscribe("was@example.org", "nb");
	subscribe("was@example.org", "nb2");
	send_issue(71, "nb", NULL, 0, NULL);
	store_unsubscribe(st, "was@example.org", "nb2", "web");
	to = verp(71, "was@example.org");
	report(&m, BOUNCE_HARD, to, "was@example.org", "5.1.1", 0);
	apply_free(&m);
	is_int(status_of("was@example.org", "nb2"), STORE_UNSUBSCRIBED, "an unsubscribed membership stays unsubscribed");
	report(&m, BOUNCE_COMPLAINT, to, NULL, NULL, 0);
	m.feedback_type = xstrdup("abuse");
	apply_free(&m);
	is_int(status_of("was@example.org", "nb"), STORE_BOUNCED, "a later complaint leaves bounced as it is");
	is_int(status_of("was@example.org", "nb2"), STORE_COMPLAINED, "and turns unsubscribed into complained");
	report(&m, BOUNCE_DELIVERED, to, "was@example.org", "2.0.0", 0);
	apply_free(&m);
	store_subscribe(st, &s, "nb", 0, &r, NULL);
	is_int(r, STORE_SKIPPED, "subscribing again (without resubscribe) is refused");
	is_int(status_of("was@example.org", "nb"), STORE_BOUNCED, "nothing made it active again");
	free(to);
}

static void test_smtp_time(void)
{
	subscribe("gone@example.org", "t");
	subscribe("spamtrap@example.org", "t");
	send_issue(81, "t", "gone@example.org", 550, "550 5.1.1 <gone@example.org>: user unknown");
	is_int(status_of("gone@example.org", "t"), STORE_BOUNCED, "5xx for the address at send time: bounced");
	is_int(store_is_suppressed(st, "gone@example.org"), 1, "and suppressed");
	send_issue(82, "t", "spamtrap@example.org", 554, "554 5.7.1 message rejected as spam");
	is_int(status_of("spamtrap@example.org", "t"), STORE_ACTIVE, "a 5xx that blames the sender: still active");
	send_issue(83, "t", "spamtrap@example.org", 552, "552 5.2.2 mailbox full");
	is_int(status_of("spamtrap@example.org", "t"), STORE_ACTIVE, "a full mailbox at send time: still active");
}

static void test_seen(void)
{
	char d[65];

	token_digest("a raw message", 13, d);
	is_int(store_bounce_seen(st, d), 0, "a new message has not been seen");
	ok(store_begin(st) == 0 && store_bounce_mark_seen(st, d, "hard", "x") == 0 &&
	   store_rollback(st) == 0, "marked inside a transaction that is rolled back (--dry-run)");
	is_int(store_bounce_seen(st, d), 0, "a rolled-back mark leaves no trace");
	store_bounce_mark_seen(st, d, "hard", "x");
	is_int(store_bounce_seen(st, d), 1, "a committed mark is seen");
	is_int(store_bounce_mark_seen(st, d, "hard", "x"), 0, "marking twice is harmless");
}

static int diag_entry(void *data, const struct store_bounce_entry *e)
{
	strbuf_addstr(data, e->diagnostic);
	return 0;
}

/* A remote server's words reach `status` as one printable line. */
static void test_diagnostic_cleaned(void)
{
	struct bounce_message m;
	struct bounce_outcome out;
	struct strbuf got = STRBUF_INIT;
	char *to;

	subscribe("esc@example.org", "e");
	send_issue(91, "e", NULL, 0, NULL);
	to = verp(91, "esc@example.org");
	report(&m, BOUNCE_HARD, to, "esc@example.org", "5.1.1", 0);
	free(m.rcpt[0].diagnostic);
	m.rcpt[0].diagnostic = xstrdup("550 \x1b[31mred\x1b[0m\rx\xff caf\xc3\xa9");
	apply(&m, &out);
	is_str(out.nact ? out.act[0].diagnostic : "", "550  [31mred [0m x? caf\xc3\xa9",
	       "the action's diagnostic: controls as spaces, a stray byte as '?', UTF-8 kept");
	bounce_outcome_release(&out);
	store_bounce_each(st, 91, diag_entry, &got);
	is_str(got.buf, "550  [31mred [0m x? caf\xc3\xa9", "and the same on the journal row");
	strbuf_release(&got);
	free(to);
}

static int count_entry(void *data, const struct store_bounce_entry *e)
{
	(void)e;
	(*(int *)data)++;
	return 0;
}

int main(void)
{
	char tmpl[] = "/tmp/nb-bpolicy.XXXXXX";
	int n = 0;

	if (!mkdtemp(tmpl))
		skip_all("no temporary directory");
	path_join(&dbpath, tmpl, "newsbeat.db");
	setenv("NEWSBEAT_NOW", "2026-12-01T10:00:00Z", 1);
	st = store_open(dbpath.buf);
	if (!st)
		skip_all("cannot open a store");
	test_hard();
	test_soft();
	test_window();
	test_sender_blamed();
	test_complaint_and_unsubscribe();
	test_nothing_changes();
	test_final_recipient();
	test_never_back_to_active();
	test_smtp_time();
	test_seen();
	test_diagnostic_cleaned();
	ok(store_bounce_each(st, 14, count_entry, &n) == 0 && n == 2,
	   "issue 14's journal rows record its two soft bounces (%d)", n);
	store_close(st);
	remove_tree(tmpl);
	strbuf_release(&dbpath);
	return tap_done();
}

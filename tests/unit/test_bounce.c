/*
 * The bounce parser on the fixtures in tests/fixtures/bounces (written for
 * this test: DSNs as Postfix, Exim, qmail, Office 365 and Gmail write them,
 * a delayed and a success DSN, ARF reports, an RFC 3834 vacation notice, a
 * mailto unsubscribe, a plain reply), and mbox splitting.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "bounce/bounce.h"
#include "bounce/mbox.h"
#include "tap.h"

#define FIXTURES "tests/fixtures/bounces"

static int parse_file(const char *name, struct strbuf *raw, struct bounce_message *m)
{
	struct strbuf path = STRBUF_INIT;
	int r;

	strbuf_addf(&path, FIXTURES "/messages/%s", name);
	strbuf_reset(raw);
	r = strbuf_read_file(raw, path.buf);
	strbuf_release(&path);
	if (r < 0)
		return -1;
	return bounce_parse(raw->buf, raw->len, m);
}

/* One row of expected.tsv: file kind address status reason blames_sender extra. */
static void check_row(char **f)
{
	struct strbuf raw = STRBUF_INIT;
	struct bounce_message m;
	const struct bounce_recipient *r;
	const char *extra = f[6];

	if (parse_file(f[0], &raw, &m) < 0) {
		ok(0, "%s: parsed", f[0]);
		strbuf_release(&raw);
		return;
	}
	is_str(bounce_kind_name(m.kind), f[1], "%s: kind", f[0]);
	if (*f[2]) {
		ok(m.nrcpt >= 1, "%s: a recipient", f[0]);
		r = m.nrcpt ? &m.rcpt[0] : NULL;
		is_str(r ? r->address : NULL, f[2], "%s: address", f[0]);
		is_str(r ? r->status : NULL, f[3], "%s: status", f[0]);
		is_str(r ? r->reason : NULL, f[4], "%s: reason", f[0]);
		is_int(r ? r->blames_sender : -1, atoi(f[5]), "%s: blames the sender", f[0]);
	}
	if (*extra) {
		if (m.feedback_type)
			is_str(m.feedback_type, extra, "%s: feedback type", f[0]);
		else if (m.unsubscribe_token)
			is_str(m.unsubscribe_token, extra, "%s: unsubscribe token", f[0]);
		else
			is_str(m.orig_message_id, extra, "%s: the returned message's Message-ID", f[0]);
	}
	bounce_message_release(&m);
	strbuf_release(&raw);
}

static void test_expected(void)
{
	struct strbuf tsv = STRBUF_INIT;
	char *line, *save = NULL;
	int rows = 0;

	if (strbuf_read_file(&tsv, FIXTURES "/expected.tsv") < 0) {
		ok(0, "read " FIXTURES "/expected.tsv");
		return;
	}
	for (line = strtok_r(tsv.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { 0 }, *p = line;
		int n = 0;

		if (!strncmp(line, "file\t", 5))
			continue;
		while (n < 7) {
			f[n++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		while (n < 7)
			f[n++] = (char *)"";
		check_row(f);
		rows++;
	}
	ok(rows >= 14, "expected.tsv has a row per fixture (%d)", rows);
	strbuf_release(&tsv);
}

static void test_details(void)
{
	struct strbuf raw = STRBUF_INIT, crlf = STRBUF_INIT;
	struct bounce_message m, c;

	if (parse_file("postfix-userunknown.eml", &raw, &m) < 0) {
		ok(0, "postfix fixture");
		return;
	}
	ok(m.nto >= 1 && !strcmp(m.to[0], "news+k7f3q2a9@news.example.org"), "X-Original-To is first in to[]");
	is_str(m.from, "MAILER-DAEMON@mail.example.org", "the report's From");
	is_str(m.orig_to, "nobody.here@example.net", "the returned message's To");
	ok(m.orig_list_unsubscribe && !strchr(m.orig_list_unsubscribe, '\n') &&
	   strstr(m.orig_list_unsubscribe, "mailto:news+unsubscribe"), "List-Unsubscribe, unfolded");
	ok(m.rcpt[0].diagnostic && strstr(m.rcpt[0].diagnostic, "Recipient address rejected: User unknown"),
	   "the folded Diagnostic-Code is one line");
	is_int(m.rcpt[0].reply_code, 550, "the reply code");
	is_str(m.rcpt[0].remote_mta, "mx.example.net", "Remote-MTA without its type");
	is_str(m.rcpt[0].original, "nobody.here@example.net", "Original-Recipient");

	/* The same message with CRLF line ends says the same. */
	for (size_t i = 0; i < raw.len; i++) {
		if (raw.buf[i] == '\n')
			strbuf_addch(&crlf, '\r');
		strbuf_addch(&crlf, raw.buf[i]);
	}
	bounce_parse(crlf.buf, crlf.len, &c);
	is_str(bounce_kind_name(c.kind), "hard", "CRLF: hard");
	ok(c.nrcpt == 1 && !strcmp(c.rcpt[0].status, "5.1.1"), "CRLF: 5.1.1");
	is_str(c.orig_message_id, m.orig_message_id, "CRLF: same returned Message-ID");
	bounce_message_release(&c);

	/* Every prefix of the message parses (the sanitizer build checks the memory). */
	for (size_t n = 0; n < raw.len; n += 37) {
		bounce_parse(raw.buf, n, &c);
		bounce_message_release(&c);
	}
	ok(1, "every prefix parses");
	bounce_message_release(&m);

	is_int(bounce_parse("", 0, &c), -1, "empty input is not a message");
	bounce_message_release(&c);
	is_int(bounce_parse("no header here\n", 15, &c), -1, "text without a header is not a message");
	bounce_message_release(&c);

	/* A folded, encoded Subject. */
	{
		static const char msg[] = "From: a@example.org\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n =?UTF-8?Q?_aus_K=C3=B6ln?=\n\nhi\n";

		bounce_parse(msg, sizeof(msg) - 1, &c);
		is_str(c.subject, "Grüße aus Köln", "Subject decoded and unfolded");
		is_str(bounce_kind_name(c.kind), "unknown", "an ordinary message is unknown");
		bounce_message_release(&c);
	}
	/* Postfix's own DSN carries Auto-Submitted: auto-replied yet is a bounce. */
	ok(strstr(raw.buf, "Auto-Submitted: auto-replied") != NULL, "the Postfix fixture has Auto-Submitted");
	/* "unsubscribe" with two words is not a request. */
	{
		static const char msg[] = "From: a@example.org\nSubject: unsubscribe me please\n\nx\n";

		bounce_parse(msg, sizeof(msg) - 1, &c);
		ok(!c.unsubscribe_token && c.kind != BOUNCE_UNSUBSCRIBE, "'unsubscribe me please' is no token");
		bounce_message_release(&c);
	}
	strbuf_release(&raw);
	strbuf_release(&crlf);
}

/* A one-recipient DSN with the given Status and Diagnostic-Code. */
static void dsn(struct bounce_message *m, const char *status, const char *diag)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n"
		    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
		    "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
		    "Final-Recipient: rfc822; ann@example.net\nAction: failed\n");
	if (status)
		strbuf_addf(&sb, "Status: %s\n", status);
	if (diag)
		strbuf_addf(&sb, "Diagnostic-Code: smtp; %s\n", diag);
	strbuf_addstr(&sb, "\n--b--\n");
	bounce_parse(sb.buf, sb.len, m);
	strbuf_release(&sb);
}

/* The rules that keep a reachable address from being called hard. */
static void test_hard_rule(void)
{
	static const struct {
		const char *status, *diag, *kind, *reason;
		int blames;
	} cases[] = {
		{ "5.1.1", "550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown", "hard", "userunknown", 0 },
		{ "5.0.0", "550 5.1.2 Host or domain name not found", "hard", "hostunknown", 0 },
		{ "5.1.6", "551 5.1.6 user has moved", "hard", "hasmoved", 0 },
		/* Temporary: never hard, whatever the words. */
		{ "4.1.1", "450 4.1.1 <ann@example.net>: Recipient address rejected: User unknown", "soft", "userunknown", 0 },
		/* The mailbox's state outweighs vague words. */
		{ "5.2.1", "550 5.2.1 <ann@example.net>... User Unknown", "soft", "suspend", 0 },
		{ "5.2.2", "552 5.2.2 Mailbox full", "soft", "mailboxfull", 0 },
		/* Words alone, no code and no address: what filters say. */
		{ NULL, "550 Unknown user", "soft", "userunknown", 0 },
		{ "5.0.0", "550 : User unknown", "soft", "userunknown", 0 },
		/* After DATA the message was refused, not the address. */
		{ "5.0.0", "550 <ann@example.net>... User unknown (in reply to end of DATA command)", "soft", "filtered", 0 },
		/* The sender's address, the sending set-up. */
		{ "5.1.8", "553 5.1.8 Domain of sender address does not exist", "soft", "rejected", 0 },
		{ "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", "soft", "blocked", 1 },
		{ "5.7.26", "550 5.7.26 This message does not have authentication information (DMARC)", "soft", "authfailure", 1 },
		{ "5.7.1", "554 5.7.1 <ann@example.net>: Relay access denied", "soft", "norelaying", 1 },
		{ "5.1.1", "550 5.1.1 <ann@example.net> - 192.0.2.1 has sent to too many recipients this hour", "soft", "speeding", 1 },
		{ "5.7.25", "550 5.7.25 The IP address sending this message does not have a PTR record", "soft", "requireptr", 1 },
		/* notaccept is hard only with a 5xx. */
		{ "5.1.10", "556 5.1.10 Recipient address has null MX", "hard", "notaccept", 0 },
		/* Exchange Online's directory-based edge blocking names a missing recipient. */
		{ "5.4.1", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", "hard", "userunknown", 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bounce_message m;

		dsn(&m, cases[i].status, cases[i].diag);
		ok(m.nrcpt == 1 && !strcmp(bounce_kind_name(m.rcpt[0].kind), cases[i].kind) &&
		   !strcmp(m.rcpt[0].reason, cases[i].reason) && m.rcpt[0].blames_sender == cases[i].blames,
		   "'%s' is %s %s%s (got %s %s)", cases[i].diag, cases[i].kind, cases[i].reason,
		   cases[i].blames ? ", blaming the sender" : "",
		   m.nrcpt ? bounce_kind_name(m.rcpt[0].kind) : "-", m.nrcpt ? m.rcpt[0].reason : "-");
		bounce_message_release(&m);
	}
}

struct split {
	struct strbuf all;
	size_t n, offsets[8];
};

static int split_cb(void *ctx, const char *msg, size_t len, size_t offset)
{
	struct split *s = ctx;

	if (s->n < 8)
		s->offsets[s->n] = offset;
	s->n++;
	strbuf_addf(&s->all, "[%.*s]", (int)len, msg);
	return 0;
}

static int stop_cb(void *ctx, const char *msg, size_t len, size_t offset)
{
	(void)msg, (void)len, (void)offset;
	(*(int *)ctx)++;
	return 7;
}

static void test_mbox(void)
{
	static const char mbox[] =
		"From a@example.org Fri Nov 27 09:00:00 2026\n"
		"Subject: one\n\n>From here on\n>>From kept once\nFrom inside a line is fine\n\n"
		"From b@example.org Fri Nov 27 09:01:00 2026\n"
		"Subject: two\n\nbody\n";
	struct split s = { STRBUF_INIT, 0, { 0 } };
	int calls = 0;

	is_int(mbox_split(mbox, sizeof(mbox) - 1, split_cb, &s), 0, "mbox_split returns 0");
	is_int((long long)s.n, 2, "two messages");
	is_str(s.all.buf, "[Subject: one\n\nFrom here on\n>From kept once\nFrom inside a line is fine\n]"
			  "[Subject: two\n\nbody\n]", "separators removed, quoting undone");
	is_int((long long)s.offsets[1], (long long)(strstr(mbox, "From b@") - mbox), "offset of the second separator");
	strbuf_reset(&s.all);
	s.n = 0;
	mbox_split("Subject: x\n\nbody\n", 17, split_cb, &s);
	is_int((long long)s.n, 1, "data without a separator is one message");
	is_str(s.all.buf, "[Subject: x\n\nbody\n]", "passed as it is");
	is_int(mbox_split(mbox, sizeof(mbox) - 1, stop_cb, &calls), 7, "a non-zero callback result stops");
	is_int(calls, 1, "after one call");
	strbuf_release(&s.all);
}

int main(void)
{
	test_expected();
	test_details();
	test_hard_rule();
	test_mbox();
	return tap_done();
}

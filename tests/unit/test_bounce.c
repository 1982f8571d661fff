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
	test_mbox();
	return tap_done();
}

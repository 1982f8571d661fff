/*
 * Bounces without a delivery-status part: qmail, older Exim and Sendmail,
 * Exchange / Office 365 text, Gmail, Yahoo, Amazon SES.  They agree on a
 * layout more than on words: the failed address on a line of its own (or
 * "<addr>:" first on a line), the server's words on the lines after it,
 * and a copy of the original message below a marker line.  Only the text
 * above that marker is read.
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>

/* Recipients read from one text bounce at most: bounded work. */
#define TEXT_MAX_RECIPIENTS 100
/* Lines of server words kept after an address line. */
#define DIAG_MAX_LINES 12

/* Where the copy of the original message starts: nothing below is the report. */
static const char *const original_markers[] = {
	"--- below this line is a copy of the message",
	"------ this is a copy of the message",
	"------ this is a copy of your message",
	"----- original message -----",
	"-----original message-----",
	"----- unsent message follows -----",
	"------ original message ------",
	"--- the header of the original message",
	"original message headers:",
	"------- returned message --------",
	"----- message header follows",
	"----- original message headers -----",
	"the original message was received at",
	"------ the original message headers",
	"--- original message follows",
	"content-type: message/rfc822",
	"\nreceived: from ",
	"\nreturn-path: ",
};

static const char *const mailer_locals[] = {
	"mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon",
	"mdaemon", "post_master", "bounce", "bounces", "mail.delivery", "mail-delivery", "no-reply-bounce",
	"double-bounce",
};

static const char *const bounce_subjects[] = {
	"undeliver", "undelivered", "delivery status notification", "delivery failure",
	"delivery failed", "failure notice", "mail delivery failed", "returned mail",
	"mail system error", "delivery notification", "non remis", "nondeliverable",
	"non-deliverable", "could not send message", "message not delivered", "delivery problem",
	"returned to sender", "delivery has failed", "unable to deliver", "failed delivery",
	"message delivery has failed", "mail could not be delivered", "warning: could not send",
	"delayed mail", "delivery delayed", "notificacion", "unzustellbar", "no entregado",
	"error sending message", "mail returned", "rejected:", "permanent error",
};

static int subject_is_bounce(const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(bounce_subjects); i++)
		if (bounce_memcasemem(s, strlen(s), bounce_subjects[i]))
			return 1;
	return 0;
}

int bounce_from_mailer(const struct bounce_doc *d)
{
	const char *from = bounce_fields_get(&d->hdr, "From");
	const char *rp = bounce_fields_get(&d->hdr, "Return-Path");

	if (from) {
		for (size_t i = 0; i < ARRAY_SIZE(mailer_locals); i++)
			if (bounce_memcasemem(from, strlen(from), mailer_locals[i]))
				return 1;
		if (bounce_memcasemem(from, strlen(from), "mail delivery"))
			return 1;
	}
	if (subject_is_bounce(bounce_fields_get(&d->hdr, "Subject")) && (!rp || strstr(rp, "<>")))
		return 1;
	return 0;
}

/* The length of the report's own text: up to the copy of the original. */
static size_t report_length(const char *t, size_t n)
{
	size_t end = n;

	for (size_t i = 0; i < ARRAY_SIZE(original_markers); i++) {
		const char *p = bounce_memcasemem(t, end, original_markers[i]);

		if (p && p > t)
			end = (size_t)(p - t);
	}
	return end;
}

static int ignored_address(const char *a, const struct bounce_message *m)
{
	const char *at = strchr(a, '@');
	size_t local = at ? (size_t)(at - a) : strlen(a);

	for (size_t i = 0; i < ARRAY_SIZE(mailer_locals); i++)
		if (strlen(mailer_locals[i]) == local && !strncasecmp(a, mailer_locals[i], local))
			return 1;
	if (m->from && !strcasecmp(a, m->from))
		return 1;
	for (size_t i = 0; i < m->nto; i++)
		if (!strcasecmp(a, m->to[i]))
			return 1;
	return 0;
}

/*
 * An address line: the line (after blanks, quotes, "<", a list bullet or
 * a label such as "Original-Recipient:") starts with the address.
 * Returns the address, or NULL.
 */
static char *address_line(const char *l, size_t n)
{
	static const char *const labels[] = {
		"rcpt to:", "to:", "recipient:", "recipient address:", "address:", "failed recipient:", "your message to", "delivery to", "delivery to the following recipient failed permanently:",
	};
	size_t i = 0;
	const char *at;

	while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '*' || l[i] == '-' || l[i] == '>'))
		i++;
	/* Sendmail's transcript: "554 <a@b>... 550 Host unknown". */
	if (n - i > 4 && (l[i] == '4' || l[i] == '5') && l[i + 1] >= '0' && l[i + 1] <= '9' &&
	    l[i + 2] >= '0' && l[i + 2] <= '9' && l[i + 3] == ' ')
		i += 4;
	for (size_t k = 0; k < ARRAY_SIZE(labels); k++) {
		size_t ln = strlen(labels[k]);

		if (n - i >= ln && !strncasecmp(l + i, labels[k], ln)) {
			i += ln;
			while (i < n && (l[i] == ' ' || l[i] == '\t'))
				i++;
			break;
		}
	}
	if (n - i >= 7 && !strncasecmp(l + i, "rfc822;", 7))
		i += 7;
	while (i < n && (l[i] == ' ' || l[i] == '<' || l[i] == '"' || l[i] == '\''))
		i++;
	at = memchr(l + i, '@', n - i);
	if (!at)
		return NULL;
	for (const char *c = l + i; c < at; c++)
		if (*c == ' ' || *c == '\t' || *c == '<' || *c == '(' || *c == ':')
			return NULL;
	return bounce_address(l + i, n - i);
}

/* What the text says about all its recipients: failed (BOUNCE_SOFT), delayed, or not said. */
static enum bounce_kind text_says(const char *t, size_t n)
{
	static const char *const delayed[] = {
		"has not yet been delivered", "not been delivered yet", "will continue trying",
		"still trying", "delivery attempts will continue", "will be retried", "delayed",
		"will try again", "will keep trying", "warning: message",
	};

	for (size_t i = 0; i < ARRAY_SIZE(delayed); i++)
		if (bounce_memcasemem(t, n, delayed[i]) && !bounce_memcasemem(t, n, "permanent") &&
		    !bounce_memcasemem(t, n, "giving up") && !bounce_memcasemem(t, n, "gave up"))
			return BOUNCE_DELAYED;
	return BOUNCE_SOFT;
}

static int has_code(const char *s, size_t n)
{
	char st[16];

	return bounce_find_status(s, n, st) || bounce_find_reply_code(s, n);
}

/*
 * The first line of t[0..n) holding a status or reply code becomes r's
 * diagnostic, after any words r already has.  1 if there was one.
 */
static int code_line(const char *t, size_t n, struct bounce_recipient *r)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n;

		if (has_code(t + i, e - i)) {
			struct strbuf sb = STRBUF_INIT;

			if (r->diagnostic) {
				strbuf_addstr(&sb, r->diagnostic);
				strbuf_addch(&sb, ' ');
			}
			strbuf_add(&sb, t + i, e - i);
			free(r->diagnostic);
			r->diagnostic = bounce_one_line(sb.buf, sb.len);
			strbuf_release(&sb);
			return 1;
		}
		i = nl ? e + 1 : n;
	}
	return 0;
}

/* The words gathered for r become its diagnostic (unless it has one). */
static void finish(struct bounce_recipient *r, struct strbuf *diag)
{
	if (r && !r->diagnostic)
		r->diagnostic = bounce_one_line(diag->buf, diag->len);
	strbuf_reset(diag);
}

int bounce_heuristics(const struct bounce_doc *d, struct bounce_message *m)
{
	const char *t = d->text.buf;
	size_t n = report_length(t, d->text.len), i = 0;
	enum bounce_kind said;
	size_t first = m->nrcpt;
	struct bounce_recipient *cur = NULL;
	struct strbuf diag = STRBUF_INIT, before = STRBUF_INIT, cur_before = STRBUF_INIT;
	int lines = 0;

	if (!bounce_from_mailer(d))
		return 0;
	said = text_says(t, n);
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n, ln = e - i;
		const char *l = t + i;
		char *a;
		int blank = 1;

		for (size_t k = 0; k < ln; k++)
			if (l[k] != ' ' && l[k] != '\t' && l[k] != '\r')
				blank = 0;
		a = blank ? NULL : address_line(l, ln);
		if (a && (ignored_address(a, m) || m->nrcpt - first >= TEXT_MAX_RECIPIENTS)) {
			free(a);
			a = NULL;
		}
		if (a) {
			size_t k;

			/* The same address twice (Exchange writes "a@b (a@b)"): one recipient. */
			for (k = first; k < m->nrcpt; k++)
				if (!strcasecmp(m->rcpt[k].address, a))
					break;
			if (k < m->nrcpt) {
				/* Exim repeats the address inside the server's words: keep reading them. */
				if (cur != &m->rcpt[k]) {
					finish(cur, &diag);
					cur = &m->rcpt[k];
				}
				free(a);
				if (!cur->diagnostic) {
					strbuf_addch(&diag, ' ');
					strbuf_add(&diag, l, ln);
					lines++;
				}
				i = nl ? e + 1 : n;
				continue;
			} else {
				finish(cur, &diag);
				if (cur && !cur->diagnostic && cur_before.len)
					cur->diagnostic = bounce_one_line(cur_before.buf, cur_before.len);
				strbuf_reset(&cur_before);
				strbuf_addbuf(&cur_before, &before);
				cur = bounce_add_recipient(m);
				cur->address = a;
				cur->kind = said;
			}
			/* The rest of the address line often holds the words ("<a@b>: 550 ..."). */
			{
				const char *at = memchr(l, '@', ln);
				const char *rest = at ? memchr(at, ' ', ln - (size_t)(at - l)) : NULL;
				const char *colon = at ? memchr(at, ':', ln - (size_t)(at - l)) : NULL;

				if (colon && (!rest || colon < rest + 2))
					rest = colon + 1;
				if (rest)
					strbuf_add(&diag, rest, ln - (size_t)(rest - l));
			}
			lines = 0;
		} else if (!cur && !blank) {
			/* Lotus Notes writes the reason above the address: keep the last line. */
			strbuf_reset(&before);
			strbuf_add(&before, l, ln);
		} else if (cur && !cur->diagnostic) {
			/*
			 * A blank line ends the words once they hold a code;
			 * Gmail and Exchange put an explanation first and the
			 * server's reply one paragraph further down.
			 */
			if (blank && diag.len && lines > 0 && has_code(diag.buf, diag.len)) {
				finish(cur, &diag);
			} else if (!blank && lines < DIAG_MAX_LINES) {
				strbuf_addch(&diag, ' ');
				strbuf_add(&diag, l, ln);
				lines++;
			}
		}
		i = nl ? e + 1 : n;
	}
	finish(cur, &diag);
	if (cur && !cur->diagnostic && cur_before.len)
		cur->diagnostic = bounce_one_line(cur_before.buf, cur_before.len);
	strbuf_release(&diag);
	strbuf_release(&before);
	strbuf_release(&cur_before);
	/*
	 * No address line: one recipient, the returned message's To, with the
	 * report's words (the first lines that carry a code or a reason).
	 */
	if (m->nrcpt == first) {
		struct bounce_recipient *r = bounce_add_recipient(m);

		r->address = m->orig_to ? xstrdup(m->orig_to) : NULL;
		r->kind = said;
		if (!code_line(t, n, r))
			r->diagnostic = bounce_one_line(t, n < 400 ? n : 400);
	}
	/*
	 * One recipient whose words carry no code (Lotus Notes, Verizon put
	 * the words above the address): the report's first line with one.
	 */
	if (m->nrcpt == first + 1 && !(m->rcpt[first].diagnostic &&
				       has_code(m->rcpt[first].diagnostic, strlen(m->rcpt[first].diagnostic))))
		code_line(t, n, &m->rcpt[first]);
	for (size_t k = first; k < m->nrcpt; k++)
		bounce_reason_classify(&m->rcpt[k], m->nrcpt == first + 1 ? t : NULL, n);
	return 1;
}

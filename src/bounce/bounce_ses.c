/*
 * Amazon SES notifications (bounce, complaint, delivery) sent by mail
 * through SNS: a JSON document in the body, sometimes itself a string
 * inside an SNS envelope (so its quotes arrive escaped).  Only the few
 * keys needed are read, by a tolerant scan, not a JSON parser: the text
 * is outside input and the scan is linear and bounded.
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>

#define SES_MAX_RECIPIENTS 100

/*
 * The string value of the next "key" in t[from..n) into out; returns the
 * offset after it, or 0 if there is none.  Escaped quotes (\") around
 * keys and values are taken as quotes.
 */
static size_t json_value(const char *t, size_t n, size_t from, const char *key, struct strbuf *out)
{
	size_t kl = strlen(key), i;
	const char *p;

	while (from < n && (p = memmem(t + from, n - from, key, kl))) {
		i = (size_t)(p - t) + kl;
		from = i;
		/* After the key: the closing quote (maybe escaped), blanks, a colon, blanks, an opening quote. */
		while (i < n && (t[i] == '\\' || t[i] == '"'))
			i++;
		while (i < n && t[i] == ' ')
			i++;
		if (i >= n || t[i] != ':')
			continue;
		i++;
		while (i < n && t[i] == ' ')
			i++;
		if (i < n && t[i] == '[')
			i++;
		while (i < n && (t[i] == '\\' || t[i] == '"'))
			i++;
		strbuf_reset(out);
		while (i < n && t[i] != '"' && t[i] != '\\' && out->len < 1024)
			strbuf_addch(out, t[i++]);
		return i;
	}
	return 0;
}

/* The end of the array that follows key (its "]"), or 0. */
static size_t array_end(const char *t, size_t n, size_t start)
{
	const char *p = memchr(t + start, ']', n - start);

	return p ? (size_t)(p - t) : n;
}

static void recipients(const char *t, size_t n, const char *array_key, enum bounce_kind said,
		       struct bounce_message *m)
{
	const char *p = memmem(t, n, array_key, strlen(array_key));
	struct strbuf v = STRBUF_INIT;
	size_t i, end;

	if (!p)
		return;
	i = (size_t)(p - t);
	end = array_end(t, n, i);
	while (m->nrcpt < SES_MAX_RECIPIENTS) {
		size_t next = json_value(t, end, i, "emailAddress", &v), stop, k;
		struct bounce_recipient *r;

		if (!next)
			break;
		r = bounce_add_recipient(m);
		r->address = bounce_address(v.buf, v.len);
		r->kind = said;
		/* This recipient's other keys come before the next one's address. */
		p = memmem(t + next, end - next, "emailAddress", 12);
		stop = p ? (size_t)(p - t) : end;
		if ((k = json_value(t, stop, next, "status", &v)) && v.len < sizeof(r->status))
			bounce_find_status(v.buf, v.len, r->status);
		if ((k = json_value(t, stop, next, "diagnosticCode", &v)) && v.len) {
			const char *semi = memchr(v.buf, ';', v.len);
			const char *s = semi && semi - v.buf < 16 ? semi + 1 : v.buf;

			r->diagnostic = bounce_one_line(s, v.len - (size_t)(s - v.buf));
		}
		i = stop;
	}
	strbuf_release(&v);
}

int bounce_ses(const struct bounce_doc *d, struct bounce_message *m)
{
	const char *t = d->text.buf;
	size_t n = d->text.len;
	struct strbuf v = STRBUF_INIT;
	size_t first = m->nrcpt;
	int transient = 0;

	if (!json_value(t, n, 0, "notificationType", &v)) {
		strbuf_release(&v);
		return 0;
	}
	if (!strcasecmp(v.buf, "Bounce")) {
		if (json_value(t, n, 0, "bounceType", &v))
			transient = strcasecmp(v.buf, "Permanent") != 0;
		recipients(t, n, "bouncedRecipients", BOUNCE_SOFT, m);
	} else if (!strcasecmp(v.buf, "Complaint")) {
		struct bounce_recipient *r;

		recipients(t, n, "complainedRecipients", BOUNCE_COMPLAINT, m);
		if (json_value(t, n, 0, "complaintFeedbackType", &v) && v.len) {
			m->feedback_type = xstrdup(v.buf);
			for (char *c = m->feedback_type; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		}
		for (size_t k = first; k < m->nrcpt; k++) {
			r = &m->rcpt[k];
			r->reason = "feedback";
			r->kind = m->feedback_type && !strcmp(m->feedback_type, "not-spam") ? BOUNCE_REPORT : BOUNCE_COMPLAINT;
		}
		strbuf_release(&v);
		return 1;
	} else if (!strcasecmp(v.buf, "Delivery")) {
		struct strbuf resp = STRBUF_INIT;
		size_t at = 0;
		const char *del = memmem(t, n, "delivery", 8);

		json_value(t, n, 0, "smtpResponse", &resp);
		/* The recipients of the delivery object (after "delivery"), not the mail's destination. */
		while (del && m->nrcpt - first < SES_MAX_RECIPIENTS) {
			size_t from = (size_t)(del - t);

			if ((at = json_value(t, n, from, "recipients", &v)))
				break;
			del = memmem(t + from + 8, n - from - 8, "delivery", 8);
		}
		if (at) {
			struct bounce_recipient *r = bounce_add_recipient(m);

			r->address = bounce_address(v.buf, v.len);
			r->kind = BOUNCE_DELIVERED;
			if (resp.len) {
				r->diagnostic = bounce_one_line(resp.buf, resp.len);
				bounce_find_status(resp.buf, resp.len, r->status);
			}
		}
		strbuf_release(&resp);
	} else {
		strbuf_release(&v);
		return 0;
	}
	for (size_t k = first; k < m->nrcpt; k++) {
		bounce_reason_classify(&m->rcpt[k], NULL, 0);
		/* SES says the failure is not for good: never hard. */
		if (transient && m->rcpt[k].kind == BOUNCE_HARD)
			m->rcpt[k].kind = BOUNCE_SOFT;
	}
	strbuf_release(&v);
	return 1;
}

/*
 * Attribution of a classified message to a delivery, and the policy
 * applied to it (see bounce_apply.h for the order).
 */
#include "base/common.h"

#include <stdarg.h>
#include "base/strbuf.h"
#include "base/utf8.h"
#include "core/address.h"
#include "core/token.h"
#include "bounce/bounce_apply.h"

void bounce_outcome_release(struct bounce_outcome *o)
{
	size_t i;

	for (i = 0; i < o->nact; i++) {
		free(o->act[i].email);
		free(o->act[i].diagnostic);
	}
	free(o->act);
	free(o->note);
	memset(o, 0, sizeof(*o));
}

static void add_action(struct bounce_outcome *out, const char *email, int issue,
		       enum store_bounce_kind k, enum store_bounce_result r, const char *how,
		       const char *diagnostic)
{
	struct bounce_action *a;

	out->act = xrealloc(out->act, (out->nact + 1) * sizeof(*out->act));
	a = &out->act[out->nact++];
	a->email = xstrdup(email);
	a->issue = issue;
	a->kind = k;
	a->result = r;
	a->how = how;
	a->diagnostic = NULL;
	if (diagnostic) {
		struct strbuf sb = STRBUF_INIT;

		utf8_add_printable(&sb, diagnostic, strnlen(diagnostic, 1000));
		a->diagnostic = strbuf_detach(&sb, NULL);
	}
}

static void set_note(struct bounce_outcome *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_note(struct bounce_outcome *out, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (out->note)
		return;		/* the first reason is the one that matters */
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	out->note = strbuf_detach(&sb, NULL);
}

/* The address normalized as the store keeps it, or -1. */
static int normalize(const char *addr, struct strbuf *out)
{
	strbuf_reset(out);
	return addr && *addr ? address_validate(addr, out, NULL) : -1;
}

static int token_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

int bounce_apply_unsubscribe_token(const char *secret, const char *header,
				   char **email, char **list)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	int r = -1;

	*email = *list = NULL;
	if (!secret || !header)
		return -1;
	/*
	 * Every run of token characters is a candidate, "%20" (the mailto
	 * subject's space) counting as a separator; only one that verifies
	 * is taken, so the rest of the header cannot pass for a token.
	 */
	for (p = header; r < 0; p++) {
		if (*p && token_char((unsigned char)*p) && strncmp(p, "%20", 3)) {
			strbuf_addch(&sb, *p);
			continue;
		}
		if (sb.len)
			r = token_verify(secret, TOKEN_UNSUBSCRIBE, sb.buf, email, list);
		strbuf_reset(&sb);
		if (!*p)
			break;
		if (!strncmp(p, "%20", 3))
			p += 2;
	}
	strbuf_release(&sb);
	return r;
}

static enum store_bounce_kind event_for(const struct bounce_recipient *rc, enum bounce_kind kind)
{
	if (rc && rc->blames_sender && (kind == BOUNCE_HARD || kind == BOUNCE_SOFT))
		return STORE_BOUNCE_SENDER;
	switch (kind) {
	case BOUNCE_HARD: return STORE_BOUNCE_HARD;
	case BOUNCE_SOFT: return STORE_BOUNCE_SOFT;
	case BOUNCE_COMPLAINT: return STORE_BOUNCE_COMPLAINT;
	case BOUNCE_UNSUBSCRIBE: return STORE_BOUNCE_UNSUBSCRIBE;
	default: return STORE_BOUNCE_NONE;
	}
}

static int apply_one(struct store *st, const struct bounce_apply_opts *o, struct bounce_outcome *out,
		     const struct store_delivery *d, const struct bounce_recipient *rc,
		     enum bounce_kind kind, const char *how)
{
	enum store_bounce_kind k = event_for(rc, kind);
	enum store_bounce_result res;

	if (k == STORE_BOUNCE_NONE)
		return 0;
	if (k == STORE_BOUNCE_SENDER)
		out->blames_sender = 1;
	if (store_bounce_record(st, d, k, rc && rc->status[0] ? rc->status : NULL,
				rc ? rc->diagnostic : NULL, &o->policy, &res) < 0)
		return -1;
	add_action(out, d->email, d->issue, k, res, how, rc ? rc->diagnostic : NULL);
	return 0;
}

/* The returned message's own references: its Message-ID, then its List-Unsubscribe token. */
static int find_by_returned(struct store *st, const struct bounce_apply_opts *o,
			    const struct bounce_message *m, const char *hint,
			    struct store_delivery *d, const char **how)
{
	char *email = NULL, *list = NULL;
	int r = store_delivery_by_message_id(st, m->orig_message_id, hint, d);

	*how = "message-id";
	if (r != 0)
		return r;
	if (bounce_apply_unsubscribe_token(o->secret, m->orig_list_unsubscribe, &email, &list) < 0)
		return 0;
	*how = "list-unsubscribe";
	if (!hint || address_same(hint, email))
		r = store_delivery_latest(st, email, d);
	free(email);
	free(list);
	return r;
}

/* A VERP token in any address the report was delivered to: 1 and *d, 0, -1. */
static int find_by_verp(struct store *st, const struct bounce_apply_opts *o,
			const struct bounce_message *m, struct store_delivery *d)
{
	size_t i;

	if (!o->secret)
		return 0;
	for (i = 0; i < m->nto; i++) {
		long long row;
		int issue, r;

		if (token_verp_find(o->secret, m->to[i], &issue, &row) < 0)
			continue;
		r = store_delivery_by_row(st, row, d);
		if (r < 0)
			return -1;
		if (r && d->issue == issue)
			return 1;
		if (r)
			store_delivery_release(d);
	}
	return 0;
}

#define UNATTRIBUTED "a report about %s with no VERP tag, Message-ID or token of newsbeat's: " \
	"with VERP on, an address alone (which anyone can write) changes nothing"

/* Hard, soft, complaint, ARF opt-out: about deliveries. */
static int apply_report(struct store *st, const struct bounce_message *m,
			const struct bounce_apply_opts *o, struct bounce_outcome *out)
{
	struct strbuf addr = STRBUF_INIT;
	struct store_delivery d;
	const char *how;
	size_t i;
	int r, ret = -1;

	r = find_by_verp(st, o, m, &d);
	if (r < 0)
		goto out;
	if (r) {
		/* One recipient per message: the report's line for it, else its strongest. */
		const struct bounce_recipient *rc = NULL;

		for (i = 0; i < m->nrcpt && !rc; i++)
			if (normalize(m->rcpt[i].address, &addr) == 0 && address_same(addr.buf, d.email))
				rc = &m->rcpt[i];
		for (i = 0; i < m->nrcpt && !rc; i++)
			if (m->rcpt[i].kind == m->kind)
				rc = &m->rcpt[i];
		r = apply_one(st, o, out, &d, rc, rc ? rc->kind : m->kind, "verp");
		store_delivery_release(&d);
		ret = r;
		goto out;
	}
	if (!m->nrcpt) {
		/* ARF and the like: one report about the returned message. */
		const char *hint = normalize(m->orig_to, &addr) == 0 ? addr.buf : NULL;

		r = find_by_returned(st, o, m, hint, &d, &how);
		if (r == 0 && hint && o->verp) {
			set_note(out, UNATTRIBUTED, hint);
			ret = 0;
			goto out;
		}
		if (r == 0 && hint) {
			r = store_delivery_latest(st, hint, &d);
			how = "recipient";
		}
		if (r < 0)
			goto out;
		if (r) {
			r = apply_one(st, o, out, &d, NULL, m->kind, how);
			store_delivery_release(&d);
			if (r < 0)
				goto out;
		} else {
			set_note(out, "not about a message newsbeat sent%s", m->orig_to ? " (returned To: not in the journal)" : "");
		}
		ret = 0;
		goto out;
	}
	for (i = 0; i < m->nrcpt; i++) {
		const struct bounce_recipient *rc = &m->rcpt[i];
		const char *hint;

		if (event_for(rc, rc->kind) == STORE_BOUNCE_NONE)
			continue;
		if (normalize(rc->address, &addr) < 0 && normalize(rc->original, &addr) < 0)
			strbuf_reset(&addr);
		hint = addr.len ? addr.buf : NULL;
		r = find_by_returned(st, o, m, hint, &d, &how);
		if (r == 0 && hint && o->verp) {
			set_note(out, UNATTRIBUTED, hint);
			continue;
		}
		if (r == 0 && hint) {
			r = store_delivery_latest(st, hint, &d);
			how = "recipient";
		}
		if (r < 0)
			goto out;
		if (!r) {
			set_note(out, "%s was never sent anything by newsbeat: nothing changed",
				 hint ? hint : "a recipient without an address");
			continue;
		}
		r = apply_one(st, o, out, &d, rc, rc->kind, how);
		store_delivery_release(&d);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	strbuf_release(&addr);
	return ret;
}

/* A mailto unsubscribe: the token names the address and the list. */
static int apply_mailto(struct store *st, const struct bounce_message *m,
			const struct bounce_apply_opts *o, struct bounce_outcome *out)
{
	char *email = NULL, *list = NULL;
	int r;

	if (!m->unsubscribe_token || !*m->unsubscribe_token) {
		set_note(out, "unsubscribe request without a token: nothing changed");
		return 0;
	}
	if (!o->secret || token_verify(o->secret, TOKEN_UNSUBSCRIBE, m->unsubscribe_token,
				       &email, &list) < 0) {
		set_note(out, "unsubscribe request with a token that does not verify (forged, "
			 "truncated, or signed with another secret): nothing changed");
		return 0;
	}
	r = store_bounce_unsubscribe(st, email, list, "mailto");
	if (r >= 0)
		add_action(out, email, 0, STORE_BOUNCE_UNSUBSCRIBE,
			   r ? STORE_BOUNCE_UNSUBSCRIBED : STORE_BOUNCE_DUPLICATE, "token", NULL);
	free(email);
	free(list);
	return r < 0 ? -1 : 0;
}

int bounce_apply(struct store *st, const struct bounce_message *m,
		 const struct bounce_apply_opts *o, struct bounce_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = m->kind;
	switch (m->kind) {
	case BOUNCE_UNSUBSCRIBE:
		/* ARF opt-out names the returned message; a mailto request carries a token. */
		if (m->feedback_type)
			return apply_report(st, m, o, out);
		return apply_mailto(st, m, o, out);
	case BOUNCE_HARD:
	case BOUNCE_SOFT:
	case BOUNCE_COMPLAINT:
		return apply_report(st, m, o, out);
	case BOUNCE_REPORT:
		set_note(out, "a report about the sending set-up (%s): nothing changed",
			 m->feedback_type ? m->feedback_type : "no feedback type");
		return 0;
	case BOUNCE_UNKNOWN:
		set_note(out, "not recognised: kept for a person to read");
		return 0;
	case BOUNCE_DELIVERED:
	case BOUNCE_DELAYED:
	case BOUNCE_AUTOREPLY:
	case BOUNCE_NKINDS:
		break;
	}
	return 0;
}

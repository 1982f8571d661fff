/*
 * bounce_parse: read the MIME structure, then classify by structure first
 * (feedback-report, delivery-status), then mailto unsubscribe, auto-reply
 * and the non-standard bounce formats.  A message's kind is the strongest
 * of its recipients' (enum bounce_kind is ordered weakest first).
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>
#include <libetpan/libetpan.h>

static const char *const kind_names[BOUNCE_NKINDS] = {
	"unknown", "delivered", "delayed", "autoreply", "report",
	"unsubscribe", "soft", "complaint", "hard",
};

const char *bounce_kind_name(enum bounce_kind k)
{
	return (unsigned)k < BOUNCE_NKINDS ? kind_names[k] : "unknown";
}

struct bounce_recipient *bounce_add_recipient(struct bounce_message *m)
{
	struct bounce_recipient *r;

	/* Capacity is the next power of two: grow when nrcpt reaches one. */
	if (!(m->nrcpt & (m->nrcpt - 1)))
		m->rcpt = xrealloc(m->rcpt, (m->nrcpt ? 2 * m->nrcpt : 1) * sizeof(*m->rcpt));
	r = &m->rcpt[m->nrcpt++];
	memset(r, 0, sizeof(*r));
	r->reason = "undefined";
	return r;
}

const char *bounce_memcasemem(const char *h, size_t hn, const char *needle)
{
	size_t nn = strlen(needle);
	const char *end, *pl, *pu;
	char lo, up;

	if (!nn)
		return h;
	if (nn > hn)
		return NULL;
	/*
	 * memchr for the first byte in either case, then compare the rest:
	 * this runs over every report's text for each marker and pattern.
	 */
	lo = needle[0] >= 'A' && needle[0] <= 'Z' ? (char)(needle[0] - 'A' + 'a') : needle[0];
	up = lo >= 'a' && lo <= 'z' ? (char)(lo - 'a' + 'A') : lo;
	end = h + (hn - nn + 1);
	pl = memchr(h, lo, (size_t)(end - h));
	pu = up != lo ? memchr(h, up, (size_t)(end - h)) : NULL;
	while (pl || pu) {
		const char *p = (!pu || (pl && pl < pu)) ? pl : pu;

		if (!strncasecmp(p + 1, needle + 1, nn - 1))
			return p;
		if (p == pl)
			pl = memchr(p + 1, lo, (size_t)(end - (p + 1)));
		else
			pu = memchr(p + 1, up, (size_t)(end - (p + 1)));
	}
	return NULL;
}

void bounce_lower(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_reset(sb);
	strbuf_grow(sb, n);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		sb->buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	strbuf_setlen(sb, n);
}

char *bounce_one_line(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	int space = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = sb.len > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (space)
			strbuf_addch(&sb, ' ');
		space = 0;
		strbuf_addch(&sb, (char)c);
	}
	if (!sb.len) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static int addr_char(int c)
{
	return c > 0x20 && c < 0x7f && !strchr("<>()[],;:\"'\\", c);
}

char *bounce_address(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t a, b;
	char *out;

	if (!at)
		return NULL;
	a = b = (size_t)(at - s);
	while (a > 0 && addr_char((unsigned char)s[a - 1]))
		a--;
	b++;
	while (b < n && addr_char((unsigned char)s[b]))
		b++;
	while (b > a && (s[b - 1] == '.' || s[b - 1] == '@'))
		b--;
	if ((size_t)(at - s) == a || b <= (size_t)(at - s) + 1)
		return NULL;
	out = xstrndup(s + a, b - a);
	/* The domain is case-insensitive; the local part is left as written. */
	for (char *c = strchr(out, '@'); c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return out;
}

/* The addr-spec of a mailbox list value ("Name <a@b>, ...") via libetpan, else the first a@b. */
static char *first_address(const char *v)
{
	struct mailimf_mailbox_list *ml = NULL;
	size_t idx = 0;
	char *out = NULL;

	if (!v)
		return NULL;
	if (mailimf_mailbox_list_parse(v, strlen(v), &idx, &ml) == MAILIMF_NO_ERROR && ml) {
		clistiter *it = clist_begin(ml->mb_list);

		if (it) {
			struct mailimf_mailbox *mb = clist_content(it);

			if (mb && mb->mb_addr_spec)
				out = bounce_address(mb->mb_addr_spec, strlen(mb->mb_addr_spec));
		}
		mailimf_mailbox_list_free(ml);
	}
	return out ? out : bounce_address(v, strlen(v));
}

static char *msg_id(const char *v)
{
	char *id = NULL, *out;
	size_t idx = 0;

	if (!v)
		return NULL;
	if (mailimf_msg_id_parse(v, strlen(v), &idx, &id) == MAILIMF_NO_ERROR && id) {
		out = xstrdup(id);
		mailimf_msg_id_free(id);
		return out;
	}
	return bounce_one_line(v, strlen(v));
}

/* Subject with RFC 2047 encoded words decoded to UTF-8. */
static char *decoded_subject(const char *v)
{
	char *dec = NULL, *out;
	size_t idx = 0;

	if (!v)
		return NULL;
	if (mailmime_encoded_phrase_parse("utf-8", v, strlen(v), &idx, "utf-8", &dec) == MAILIMF_NO_ERROR && dec) {
		out = bounce_one_line(dec, strlen(dec));
		free(dec);
		return out;
	}
	return bounce_one_line(v, strlen(v));
}

static void add_to(struct bounce_message *m, const char *v)
{
	char *a = first_address(v);

	if (!a)
		return;
	for (size_t i = 0; i < m->nto; i++)
		if (!strcasecmp(m->to[i], a)) {
			free(a);
			return;
		}
	m->to = xrealloc(m->to, (m->nto + 1) * sizeof(*m->to));
	m->to[m->nto++] = a;
}

static void envelope(const struct bounce_doc *d, struct bounce_message *m)
{
	static const char *const to_fields[] = { "X-Original-To", "Delivered-To", "Envelope-To", "To" };

	for (size_t k = 0; k < ARRAY_SIZE(to_fields); k++)
		for (size_t i = 0; i < d->hdr.n; i++)
			if (!strcasecmp(d->hdr.v[i].name, to_fields[k]))
				add_to(m, d->hdr.v[i].value);
	m->from = first_address(bounce_fields_get(&d->hdr, "From"));
	m->subject = decoded_subject(bounce_fields_get(&d->hdr, "Subject"));
	m->message_id = msg_id(bounce_fields_get(&d->hdr, "Message-ID"));
	if (d->has_orig) {
		const char *lu = bounce_fields_get(&d->orig, "List-Unsubscribe");

		m->orig_message_id = msg_id(bounce_fields_get(&d->orig, "Message-ID"));
		m->orig_list_unsubscribe = lu ? bounce_one_line(lu, strlen(lu)) : NULL;
		m->orig_to = first_address(bounce_fields_get(&d->orig, "To"));
	}
}

/* Diagnostics missing from a delivery-status part are often in the human text. */
static void fill_from_text(const struct bounce_doc *d, struct bounce_message *m)
{
	struct bounce_message t;

	if (!d->text.len)
		return;
	for (size_t i = 0; i < m->nrcpt; i++)
		if (!m->rcpt[i].diagnostic)
			break;
		else if (i + 1 == m->nrcpt)
			return;
	memset(&t, 0, sizeof(t));
	bounce_heuristics(d, &t);
	for (size_t i = 0; i < m->nrcpt; i++) {
		struct bounce_recipient *r = &m->rcpt[i];

		if (r->diagnostic)
			continue;
		for (size_t j = 0; j < t.nrcpt; j++) {
			if (!t.rcpt[j].diagnostic || (r->address && t.rcpt[j].address &&
						      strcasecmp(r->address, t.rcpt[j].address)))
				continue;
			r->diagnostic = t.rcpt[j].diagnostic;
			t.rcpt[j].diagnostic = NULL;
			break;
		}
	}
	bounce_message_release(&t);
}

/*
 * A delivery-status block in the text: a report whose MIME structure is
 * broken or missing (no Content-Type, two of them), or a bounce forwarded
 * by a person with "> " quoting.  Read from its first block on.
 */
static int dsn_in_text(const struct bounce_doc *d, struct bounce_message *m)
{
	const char *t = d->text.buf, *p, *q;
	size_t n = d->text.len, i;
	struct strbuf sb = STRBUF_INIT;

	p = bounce_memcasemem(t, n, "final-recipient:");
	if (!p || !bounce_memcasemem(p, n - (size_t)(p - t), "action:"))
		return 0;
	q = bounce_memcasemem(t, (size_t)(p - t), "reporting-mta:");
	if (q)
		p = q;
	while (p > t && p[-1] != '\n')
		p--;
	for (i = (size_t)(p - t); i < n;) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) + 1 : n, s0 = i;

		if (t[s0] == '>') {
			s0++;
			if (s0 < e && t[s0] == ' ')
				s0++;
		}
		strbuf_add(&sb, t + s0, e - s0);
		i = e;
	}
	bounce_dsn_parse(sb.buf, sb.len, m);
	strbuf_release(&sb);
	return m->nrcpt > 0;
}

int bounce_parse(const char *raw, size_t len, struct bounce_message *out)
{
	struct bounce_doc d;

	memset(out, 0, sizeof(*out));
	if (bounce_mime_read(raw, len, &d) < 0) {
		bounce_doc_release(&d);
		return -1;
	}
	envelope(&d, out);
	if (d.has_feedback || !strcmp(d.report_type, "feedback-report")) {
		bounce_arf_parse(d.feedback.buf, d.feedback.len, out);
	} else if (d.has_status || dsn_in_text(&d, out)) {
		if (d.has_status)
			bounce_dsn_parse(d.status.buf, d.status.len, out);
		fill_from_text(&d, out);
		for (size_t i = 0; i < out->nrcpt; i++) {
			struct bounce_recipient *rc = &out->rcpt[i];

			/* The report's text speaks of this recipient only when it is the only one. */
			if (out->nrcpt == 1)
				bounce_reason_classify(rc, d.text.buf, d.text.len);
			else
				bounce_reason_classify(rc, NULL, 0);
		}
		if (!out->nrcpt && bounce_heuristics(&d, out) == 0)
			out->kind = BOUNCE_UNKNOWN;
	} else if (bounce_ses(&d, out)) {
		/* classified there */
	} else if ((out->unsubscribe_token = bounce_unsubscribe_token(out->subject))) {
		out->kind = BOUNCE_UNSUBSCRIBE;
	} else if (!bounce_from_mailer(&d) && bounce_autoreply(&d)) {
		out->kind = BOUNCE_AUTOREPLY;
	} else if (!bounce_heuristics(&d, out) && bounce_autoreply(&d)) {
		out->kind = BOUNCE_AUTOREPLY;
	}
	for (size_t i = 0; i < out->nrcpt; i++)
		if (out->rcpt[i].kind > out->kind)
			out->kind = out->rcpt[i].kind;
	bounce_doc_release(&d);
	return 0;
}

void bounce_message_release(struct bounce_message *m)
{
	for (size_t i = 0; i < m->nrcpt; i++) {
		free(m->rcpt[i].address);
		free(m->rcpt[i].original);
		free(m->rcpt[i].diagnostic);
		free(m->rcpt[i].remote_mta);
	}
	free(m->rcpt);
	for (size_t i = 0; i < m->nto; i++)
		free(m->to[i]);
	free(m->to);
	free(m->from);
	free(m->subject);
	free(m->message_id);
	free(m->orig_message_id);
	free(m->orig_list_unsubscribe);
	free(m->orig_to);
	free(m->unsubscribe_token);
	free(m->feedback_type);
	memset(m, 0, sizeof(*m));
}

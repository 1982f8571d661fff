/*
 * RFC 3464 delivery-status: a per-message block, then one block per
 * recipient, blocks separated by blank lines, each block a header (read
 * with bounce_fields_parse).
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>

/* More recipients than this in one report are not read: bounded work. */
#define DSN_MAX_RECIPIENTS 1000

/* "smtp; 550 5.1.1 ..." -> "550 5.1.1 ..." (RFC 3464 section 2.3.6: diagnostic-type ";" text). */
static char *diagnostic_text(const char *v)
{
	const char *semi = strchr(v, ';');

	if (semi && (size_t)(semi - v) < 16)
		v = semi + 1;
	return bounce_one_line(v, strlen(v));
}

static char *after_type(const char *v)
{
	const char *semi = strchr(v, ';');

	if (semi && (size_t)(semi - v) < 16)
		v = semi + 1;
	return bounce_one_line(v, strlen(v));
}

static void recipient(const struct bounce_fields *f, struct bounce_message *m)
{
	const char *final = bounce_fields_get(f, "Final-Recipient");
	const char *orig = bounce_fields_get(f, "Original-Recipient");
	const char *action = bounce_fields_get(f, "Action");
	const char *status = bounce_fields_get(f, "Status");
	const char *diag = bounce_fields_get(f, "Diagnostic-Code");
	const char *mta = bounce_fields_get(f, "Remote-MTA");
	struct bounce_recipient *r;

	if (!final && !orig && !action)
		return;
	if (m->nrcpt >= DSN_MAX_RECIPIENTS)
		return;
	r = bounce_add_recipient(m);
	if (final)
		r->address = bounce_address(final, strlen(final));
	if (orig)
		r->original = bounce_address(orig, strlen(orig));
	if (!r->address && r->original)
		r->address = xstrdup(r->original);
	if (status)
		bounce_find_status(status, strlen(status), r->status);
	if (diag)
		r->diagnostic = diagnostic_text(diag);
	if (mta)
		r->remote_mta = after_type(mta);
	r->kind = BOUNCE_UNKNOWN;
	if (action) {
		while (*action == ' ')
			action++;
		if (!strncasecmp(action, "failed", 6))
			r->kind = BOUNCE_SOFT;
		else if (!strncasecmp(action, "delayed", 7))
			r->kind = BOUNCE_DELAYED;
		else if (!strncasecmp(action, "delivered", 9) || !strncasecmp(action, "relayed", 7) ||
			 !strncasecmp(action, "expanded", 8))
			r->kind = BOUNCE_DELIVERED;
	}
}

/*
 * A block normally holds one recipient, but some servers run several
 * together without the blank line: a second Final-Recipient (or an
 * second Original-Recipient) starts the next one.
 */
static void recipient_block(const struct bounce_fields *f, struct bounce_message *m)
{
	struct bounce_fields one = { 0 };
	int has_final = 0, has_orig = 0;

	for (size_t i = 0; i < f->n; i++) {
		int is_final = !strcasecmp(f->v[i].name, "Final-Recipient");
		int is_orig = !strcasecmp(f->v[i].name, "Original-Recipient");

		if ((is_final && has_final) || (is_orig && has_orig)) {
			recipient(&one, m);
			one.n = 0;
			has_final = has_orig = 0;
		}
		has_final |= is_final;
		has_orig |= is_orig;
		ALLOC_GROW(one.v, one.n + 1, one.alloc);
		one.v[one.n++] = f->v[i];
	}
	recipient(&one, m);
	/* The fields are borrowed from f. */
	free(one.v);
}

static int blank_line(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

void bounce_dsn_parse(const char *body, size_t len, struct bounce_message *m)
{
	size_t i = 0;

	while (i < len) {
		struct bounce_fields f = { 0 };
		size_t start, end;

		/* Skip blank lines, then the block runs to the next blank line. */
		while (i < len) {
			const char *nl = memchr(body + i, '\n', len - i);
			size_t e = nl ? (size_t)(nl - body) : len;

			if (!blank_line(body + i, e - i))
				break;
			i = nl ? e + 1 : len;
		}
		start = end = i;
		while (end < len) {
			const char *nl = memchr(body + end, '\n', len - end);
			size_t e = nl ? (size_t)(nl - body) : len;

			if (blank_line(body + end, e - end))
				break;
			end = nl ? e + 1 : len;
		}
		if (end == start)
			break;
		bounce_fields_parse(body + start, end - start, &f);
		recipient_block(&f, m);
		bounce_fields_release(&f);
		i = end;
	}
}

/*
 * The MIME walk: libetpan's mailmime_parse builds the tree; this file
 * picks out what the classifiers need (the report's header, the human
 * text, the delivery-status and feedback-report parts, the returned
 * message's header) and decodes each part's transfer encoding with
 * mailmime_part_parse.  message/delivery-status and
 * message/feedback-report reach us as single parts, not as messages.
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>
#include <libetpan/libetpan.h>

/* Deeper than any real bounce nests; the walk stops there. */
#define MIME_MAX_DEPTH 16

static const char *type_name(const struct mailmime_type *t)
{
	if (!t)
		return "text";
	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE && t->tp_data.tp_discrete_type) {
		switch (t->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: return "text";
		case MAILMIME_DISCRETE_TYPE_IMAGE: return "image";
		case MAILMIME_DISCRETE_TYPE_AUDIO: return "audio";
		case MAILMIME_DISCRETE_TYPE_VIDEO: return "video";
		case MAILMIME_DISCRETE_TYPE_APPLICATION: return "application";
		case MAILMIME_DISCRETE_TYPE_EXTENSION:
			return t->tp_data.tp_discrete_type->dt_extension ? t->tp_data.tp_discrete_type->dt_extension : "x";
		}
	} else if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE && t->tp_data.tp_composite_type) {
		switch (t->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE: return "message";
		case MAILMIME_COMPOSITE_TYPE_MULTIPART: return "multipart";
		case MAILMIME_COMPOSITE_TYPE_EXTENSION:
			return t->tp_data.tp_composite_type->ct_token ? t->tp_data.tp_composite_type->ct_token : "x";
		}
	}
	return "x";
}

/* "type/subtype" lowercased into out. */
static void content_type(const struct mailmime_content *c, char *out, size_t n)
{
	size_t i;

	if (!c)
		snprintf(out, n, "text/plain");
	else
		snprintf(out, n, "%s/%s", type_name(c->ct_type), c->ct_subtype ? c->ct_subtype : "");
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
}

/* The part's body with its transfer encoding undone, appended to sb (at most max bytes in all). */
static void decode_into(const struct mailmime_data *b, struct strbuf *sb, size_t max)
{
	const char *p;
	size_t n, idx = 0, outlen = 0;
	char *out = NULL;

	if (!b || b->dt_type != MAILMIME_DATA_TEXT || !b->dt_data.dt_text.dt_data)
		return;
	p = b->dt_data.dt_text.dt_data;
	n = b->dt_data.dt_text.dt_length;
	if (sb->len >= max)
		return;
	if (b->dt_encoded && mailmime_part_parse(p, n, &idx, b->dt_encoding, &out, &outlen) == MAILIMF_NO_ERROR) {
		p = out;
		n = outlen;
	}
	if (n > max - sb->len)
		n = max - sb->len;
	strbuf_add(sb, p, n);
	if (out)
		mailmime_decoded_part_free(out);
}

/* Text of an HTML part, tags dropped and entities left: enough for the heuristics. */
static void add_html_text(struct strbuf *text, const char *p, size_t n)
{
	int in_tag = 0;

	for (size_t i = 0; i < n && text->len < BOUNCE_TEXT_MAX; i++) {
		if (p[i] == '<') {
			in_tag = 1;
			/* Line breaks keep the address-per-line layouts intact. */
			if (i + 3 < n && (!strncasecmp(p + i, "<br", 3) || !strncasecmp(p + i, "<p", 2) ||
					  !strncasecmp(p + i, "<tr", 3) || !strncasecmp(p + i, "<div", 4)))
				strbuf_addch(text, '\n');
		} else if (p[i] == '>' && in_tag) {
			in_tag = 0;
			strbuf_addch(text, ' ');
		} else if (!in_tag) {
			strbuf_addch(text, p[i]);
		}
	}
}

static void walk(struct mailmime *mm, struct bounce_doc *d, int depth, struct strbuf *html)
{
	char ct[64];

	if (!mm || depth > MIME_MAX_DEPTH)
		return;
	content_type(mm->mm_content_type, ct, sizeof(ct));
	switch (mm->mm_type) {
	case MAILMIME_MULTIPLE:
		for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
			walk(clist_content(it), d, depth + 1, html);
		return;
	case MAILMIME_MESSAGE:
		/* The returned message: only its header matters, and only the first one. */
		if (!d->has_orig && mm->mm_body && mm->mm_body->dt_data.dt_text.dt_data) {
			bounce_fields_parse(mm->mm_body->dt_data.dt_text.dt_data,
					    mm->mm_body->dt_data.dt_text.dt_length, &d->orig);
			d->has_orig = 1;
		}
		return;
	case MAILMIME_SINGLE:
		break;
	default:
		return;
	}
	if (!strcmp(ct, "message/delivery-status") || !strcmp(ct, "message/global-delivery-status")) {
		if (!d->has_status) {
			decode_into(mm->mm_body, &d->status, 4 * BOUNCE_TEXT_MAX);
			d->has_status = 1;
		}
	} else if (!strcmp(ct, "message/feedback-report")) {
		if (!d->has_feedback) {
			decode_into(mm->mm_body, &d->feedback, BOUNCE_TEXT_MAX);
			d->has_feedback = 1;
		}
	} else if (!strcmp(ct, "text/rfc822-headers") || !strcmp(ct, "message/global-headers") ||
		   !strcmp(ct, "message/rfc822-headers")) {
		if (!d->has_orig) {
			struct strbuf h = STRBUF_INIT;

			decode_into(mm->mm_body, &h, BOUNCE_TEXT_MAX);
			bounce_fields_parse(h.buf, h.len, &d->orig);
			d->has_orig = 1;
			strbuf_release(&h);
		}
	} else if (!strcmp(ct, "text/plain") || !strncmp(ct, "text/x", 6)) {
		if (d->text.len)
			strbuf_addch(&d->text, '\n');
		decode_into(mm->mm_body, &d->text, BOUNCE_TEXT_MAX);
	} else if (!strcmp(ct, "text/html")) {
		decode_into(mm->mm_body, html, BOUNCE_TEXT_MAX);
	}
}

/* Where the header ends (the blank line), or len when there is none. */
static size_t header_end(const char *raw, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (i + 1 < len && raw[i + 1] == '\n')
			return i + 1;
		if (i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

int bounce_mime_read(const char *raw, size_t len, struct bounce_doc *d)
{
	struct mailmime *mm = NULL;
	struct strbuf html = STRBUF_INIT;
	size_t idx = 0, hend;

	memset(d, 0, sizeof(*d));
	strbuf_init(&d->text, 0);
	strbuf_init(&d->status, 0);
	strbuf_init(&d->feedback, 0);
	d->raw = raw;
	d->len = len;
	snprintf(d->ctype, sizeof(d->ctype), "text/plain");
	if (!len)
		return -1;
	bounce_fields_parse(raw, len, &d->hdr);
	if (!d->hdr.n)
		return -1;
	hend = header_end(raw, len);
	if (mailmime_parse(raw, len, &idx, &mm) == MAILIMF_NO_ERROR && mm) {
		struct mailmime *top = mm;
		char *rt;

		if (mm->mm_type == MAILMIME_MESSAGE && mm->mm_data.mm_message.mm_msg_mime)
			top = mm->mm_data.mm_message.mm_msg_mime;
		content_type(top->mm_content_type, d->ctype, sizeof(d->ctype));
		if (top->mm_content_type && (rt = mailmime_content_param_get(top->mm_content_type, (char *)"report-type"))) {
			snprintf(d->report_type, sizeof(d->report_type), "%s", rt);
			for (char *c = d->report_type; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		}
		walk(top, d, 0, &html);
		/*
		 * A multipart whose boundary is not in the body (a broken
		 * or edited report): read the whole body as text.
		 */
		if (top->mm_type == MAILMIME_MULTIPLE && clist_count(top->mm_data.mm_multipart.mm_mp_list) < 2 &&
		    !d->has_status && !d->has_feedback && hend < len) {
			size_t n = len - hend;

			strbuf_reset(&d->text);
			strbuf_add(&d->text, raw + hend, n < BOUNCE_TEXT_MAX ? n : BOUNCE_TEXT_MAX);
		}
		mailmime_free(mm);
	} else if (hend < len) {
		size_t n = len - hend;

		strbuf_add(&d->text, raw + hend, n < BOUNCE_TEXT_MAX ? n : BOUNCE_TEXT_MAX);
	}
	/* HTML-only bounces (some Exchange / Office 365 set-ups): read the HTML's text. */
	if (!d->text.len && html.len)
		add_html_text(&d->text, html.buf, html.len);
	strbuf_release(&html);
	return 0;
}

void bounce_doc_release(struct bounce_doc *d)
{
	bounce_fields_release(&d->hdr);
	bounce_fields_release(&d->orig);
	strbuf_release(&d->text);
	strbuf_release(&d->status);
	strbuf_release(&d->feedback);
}

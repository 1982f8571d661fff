/*
 * Header blocks: the report's header, the returned message's header and
 * each block of a delivery-status or feedback-report body.  libetpan's
 * mailimf_optional_fields_parse reads name and raw value of every field;
 * the value is unfolded here (RFC 5322 section 2.2.3: CRLF followed by
 * WSP is folding, so the CRLF goes and the WSP stays).
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>
#include <libetpan/libetpan.h>

static void add_field(struct bounce_fields *f, const char *name, const char *value)
{
	struct strbuf v = STRBUF_INIT;
	const char *s;

	for (s = value; *s; s++)
		if (*s != '\r' && *s != '\n')
			strbuf_addch(&v, *s == '\t' ? ' ' : *s);
	strbuf_rtrim(&v);
	s = v.buf;
	while (*s == ' ')
		s++;
	ALLOC_GROW(f->v, f->n + 1, f->alloc);
	f->v[f->n].name = xstrdup(name);
	f->v[f->n].value = xstrdup(s);
	f->n++;
	strbuf_release(&v);
}

/* Where the line after p[i] starts (len if none). */
static size_t next_line(const char *p, size_t len, size_t i)
{
	const char *nl = memchr(p + i, '\n', len - i);

	return nl ? (size_t)(nl - p) + 1 : len;
}

void bounce_fields_parse(const char *p, size_t len, struct bounce_fields *f)
{
	size_t i = 0;

	while (i < len && f->n < BOUNCE_MAX_FIELDS) {
		struct mailimf_fields *fields = NULL;
		size_t start = i;
		clistiter *it;

		/* A blank line ends the block. */
		if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
			break;
		if (mailimf_optional_fields_parse(p, len, &i, &fields) == MAILIMF_NO_ERROR && fields) {
			for (it = clist_begin(fields->fld_list); it; it = clist_next(it)) {
				struct mailimf_field *fld = clist_content(it);

				if (fld->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD &&
				    fld->fld_data.fld_optional_field && f->n < BOUNCE_MAX_FIELDS)
					add_field(f, fld->fld_data.fld_optional_field->fld_name,
						  fld->fld_data.fld_optional_field->fld_value);
			}
			mailimf_fields_free(fields);
		}
		/*
		 * The parser stops at a line that is not a field (no colon, a
		 * stray continuation): skip that line and go on, so one bad
		 * line does not hide the rest.  Each round moves forward.
		 */
		if (i <= start)
			i = next_line(p, len, start);
		else if (i < len && p[i] != '\r' && p[i] != '\n')
			i = next_line(p, len, i);
	}
}

const char *bounce_fields_get(const struct bounce_fields *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcasecmp(f->v[i].name, name))
			return f->v[i].value;
	return NULL;
}

void bounce_fields_release(struct bounce_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->alloc = 0;
}

/*
 * CSV through libcsv (see csvio.h).  libcsv is a push parser: we feed it
 * the file one line at a time (a line ends at LF; one that a read block
 * cuts comes in two pieces), which costs nothing extra and lets us know
 * the physical line where every record starts — a record may span lines
 * when a quoted field holds a line break.
 */
#include "base/common.h"
#include "core/csvio.h"
#include "base/utf8.h"
#include "base/strbuf.h"

#include <csv.h>

#define BLOCK (64 * 1024)

struct reader {
	const char *name;
	int (*fn)(void *, const struct csvio_row *);
	void *data;
	struct strbuf text;		/* the record's fields, NUL-separated */
	size_t *offsets, offsets_alloc;
	size_t *lens, lens_alloc;
	const char **fields;
	size_t fields_alloc;
	size_t nfields;
	unsigned long line, record_line;
	long records;
	int stop;
	char delim;
	enum { AT_FIELD, IN_UNQUOTED, IN_QUOTED, QUOTE_IN_QUOTED, AFTER_CLOSE } qstate;
					/* across calls, for fix_quotes */
	struct strbuf field;		/* the unquoted field in IN_UNQUOTED, so far */
	struct strbuf fixed;		/* the piece as libcsv gets it */
};

/*
 * Whether a spreadsheet would take a cell s[0..len) for a formula, once
 * the apostrophes the writer adds are counted out: it starts with = + -
 * or @ (or a tab or CR, which some skip before them), after any number of
 * apostrophes.  The writer puts one more apostrophe before such a field
 * (OWASP's advice against CSV injection: a name typed into the web form
 * as =HYPERLINK(...) must not become a live link in the operator's
 * export), and the reader takes one off: an export reads back unchanged
 * and the mapping is one to one — '=x is written ''=x.
 */
static int formula_like(const char *s, size_t len)
{
	size_t k = 0;

	while (k < len && s[k] == '\'')
		k++;
	return k < len && memchr("=+-@\t\r", s[k], 6) != NULL;
}

static void on_field(void *s, size_t len, void *data)
{
	struct reader *r = data;

	if (r->stop)
		return;
	if (len && *(char *)s == '\'' && formula_like(s, len)) {
		s = (char *)s + 1;	/* the writer's apostrophe */
		len--;
	}
	ALLOC_GROW(r->offsets, r->nfields + 1, r->offsets_alloc);
	ALLOC_GROW(r->lens, r->nfields + 1, r->lens_alloc);
	r->offsets[r->nfields] = r->text.len;
	r->lens[r->nfields] = len;
	if (len)
		strbuf_add(&r->text, s, len);
	strbuf_addch(&r->text, '\0');
	r->nfields++;
}

static void on_record(int c, void *data)
{
	struct reader *r = data;
	struct csvio_row row;
	size_t i;

	(void)c;
	if (r->stop) {
		r->nfields = 0;
		strbuf_reset(&r->text);
		return;
	}
	/* The text is complete: pointers into it are stable now. */
	ALLOC_GROW(r->fields, r->nfields + 1, r->fields_alloc);
	for (i = 0; i < r->nfields; i++)
		r->fields[i] = r->text.buf + r->offsets[i];
	row.line = r->record_line;
	row.nfields = r->nfields;
	row.fields = r->fields;
	row.lens = r->lens;
	r->records++;
	if (r->fn(r->data, &row) < 0)
		r->stop = 1;
	r->nfields = 0;
	strbuf_reset(&r->text);
}

static int parse_error(struct reader *r, struct csv_parser *p)
{
	if (csv_error(p) == CSV_EPARSE)
		return error("%s:%lu: malformed CSV: a quote inside an unquoted field or text after a "
			     "closing quote (quote the whole field and double quotes inside it: \"say \"\"hi\"\"\")",
			     r->name, r->line);
	return error("%s:%lu: cannot parse CSV: %s", r->name, r->line, csv_strerror(csv_error(p)));
}

/*
 * The delimiter of a file whose first line is line[0..len): the most
 * frequent of ',' ';' and tab outside quotes (Excel in much of Europe
 * writes ';'), ',' when none appears.
 */
static char detect_delim(const char *line, size_t len)
{
	static const char cand[] = { ',', ';', '\t' };
	size_t n[3] = { 0 }, i, k, best = 0;
	int quoted = 0;

	for (i = 0; i < len && (quoted || line[i] != '\n'); i++) {
		if (line[i] == '"')
			quoted = !quoted;
		else if (!quoted)
			for (k = 0; k < 3; k++)
				n[k] += line[i] == cand[k];
	}
	for (k = 1; k < 3; k++)
		if (n[k] > n[best])
			best = k;
	return cand[best];
}

/*
 * A quote inside an unquoted field (Bob "B" Smith) is data to LibreOffice
 * and Python's csv module, so it is here too: such a field is handed to
 * libcsv quoted, with a warning naming the line.  Everything else stays
 * strict (text after a closing quote, an unterminated quoted field).
 * The input comes in pieces (lines, cut again at the 64 KiB read blocks),
 * so the state carries over from one call to the next: a quoted field may
 * be open, or end in a quote that the next piece may double, and an
 * unquoted field is held in r->field until its end shows whether it holds
 * a quote — cut at a block and passed on as complete, its rest would reach
 * libcsv unfixed and refuse a valid file.  Holding it costs no more than
 * libcsv's own buffer of the field; fix_quotes_end() ends it at EOF.
 */
static void end_unquoted(struct reader *r)
{
	const char *f = r->field.buf;
	size_t len = r->field.len, k;

	r->qstate = AFTER_CLOSE;	/* the field is complete */
	if (!memchr(f, '"', len)) {
		strbuf_add(&r->fixed, f, len);
		strbuf_reset(&r->field);
		return;
	}
	while (len && (f[len - 1] == ' ' || f[len - 1] == '\t'))
		len--;
	warning("%s:%lu: a quote inside an unquoted field is read as written; "
		"quote the field to say so (\"Bob \"\"B\"\" Smith\")", r->name, r->line);
	strbuf_addch(&r->fixed, '"');
	for (k = 0; k < len; k++) {
		if (f[k] == '"')
			strbuf_addch(&r->fixed, '"');
		strbuf_addch(&r->fixed, f[k]);
	}
	strbuf_addch(&r->fixed, '"');
	strbuf_reset(&r->field);
}

static void fix_quotes(struct reader *r, const char *in, size_t len)
{
	size_t i;

	strbuf_reset(&r->fixed);
	for (i = 0; i < len; i++) {
		char c = in[i];

		switch (r->qstate) {
		case IN_QUOTED:
			strbuf_addch(&r->fixed, c);
			if (c == '"')
				r->qstate = QUOTE_IN_QUOTED;
			continue;
		case QUOTE_IN_QUOTED:
			if (c == '"') {		/* doubled: still inside */
				strbuf_addch(&r->fixed, c);
				r->qstate = IN_QUOTED;
				continue;
			}
			r->qstate = AFTER_CLOSE;	/* it closed the field */
			break;
		case IN_UNQUOTED:
			if (c != r->delim && c != '\n' && c != '\r') {
				strbuf_addch(&r->field, c);
				continue;
			}
			end_unquoted(r);
			break;
		case AT_FIELD:
		case AFTER_CLOSE:
			break;
		}
		if (c == r->delim || c == '\n' || c == '\r') {
			strbuf_addch(&r->fixed, c);
			r->qstate = AT_FIELD;
		} else if (r->qstate == AFTER_CLOSE) {
			strbuf_addch(&r->fixed, c);	/* libcsv refuses what follows */
		} else if (c == '"') {
			strbuf_addch(&r->fixed, c);
			r->qstate = IN_QUOTED;
		} else if (c == ' ' || c == '\t') {
			strbuf_addch(&r->fixed, c);	/* libcsv trims it */
		} else {
			strbuf_addch(&r->field, c);
			r->qstate = IN_UNQUOTED;
		}
	}
}

/* At the end of the input: the unquoted field still held, into r->fixed. */
static void fix_quotes_end(struct reader *r)
{
	strbuf_reset(&r->fixed);
	if (r->qstate == IN_UNQUOTED)
		end_unquoted(r);
}

long csvio_read(FILE *fp, const char *name,
		int (*fn)(void *data, const struct csvio_row *row), void *data)
{
	return csvio_read_delim(fp, name, 0, fn, data);
}

long csvio_read_delim(FILE *fp, const char *name, char delim,
		      int (*fn)(void *data, const struct csvio_row *row), void *data)
{
	struct csv_parser p;
	struct reader r = { 0 };
	char *buf = xmalloc(BLOCK);
	size_t n, off;
	int first = 1;
	long ret = -1;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(buf);
		return error("cannot initialise the CSV parser");
	}
	r.name = name;
	r.fn = fn;
	r.data = data;
	r.line = 1;
	r.delim = delim;
	strbuf_init(&r.text, 256);
	strbuf_init(&r.fixed, 256);
	strbuf_init(&r.field, 256);
	while (!r.stop && (n = fread(buf, 1, BLOCK, fp)) > 0) {
		off = 0;
		/* A UTF-8 byte order mark (spreadsheets write one) is not data. */
		if (first && n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
			off = 3;
		if (first && !r.delim)
			r.delim = detect_delim(buf + off, n - off);
		if (first)
			csv_set_delim(&p, r.delim);
		first = 0;
		while (off < n && !r.stop) {
			char *nl = memchr(buf + off, '\n', n - off);
			size_t seg = nl ? (size_t)(nl - (buf + off)) + 1 : n - off;

			/* Between records (libcsv's ROW_NOT_BEGUN state is 0): a record starting here starts on this line. */
			if (p.pstate == 0)
				r.record_line = r.line;
			fix_quotes(&r, buf + off, seg);
			if (csv_parse(&p, r.fixed.buf, r.fixed.len, on_field, on_record, &r) != r.fixed.len) {
				parse_error(&r, &p);
				goto out;
			}
			off += seg;
			if (nl)
				r.line++;
		}
	}
	if (r.stop)
		goto out;
	if (ferror(fp)) {
		error("%s: read error: %s", name, strerror(errno));
		goto out;
	}
	fix_quotes_end(&r);
	if (csv_parse(&p, r.fixed.buf, r.fixed.len, on_field, on_record, &r) != r.fixed.len) {
		parse_error(&r, &p);
		goto out;
	}
	if (r.stop)
		goto out;
	if (csv_fini(&p, on_field, on_record, &r) != 0) {
		if (csv_error(&p) == CSV_EPARSE)
			error("%s:%lu: malformed CSV: the quoted field starting on this line is never closed",
			      name, r.record_line);
		else
			parse_error(&r, &p);
		goto out;
	}
	if (!r.stop)
		ret = r.records;
out:
	csv_free(&p);
	free(buf);
	strbuf_release(&r.text);
	strbuf_release(&r.fixed);
	strbuf_release(&r.field);
	free(r.offsets);
	free(r.lens);
	free(r.fields);
	return ret;
}

int csvio_utf8_valid(const char *s, size_t len)
{
	/* A CSV field holds text: a NUL byte is as wrong as a broken sequence. */
	return memchr(s, '\0', len) == NULL && utf8_valid(s, len);
}

void csvio_add_field(struct strbuf *out, const char *s, int first)
{
	struct strbuf esc = STRBUF_INIT;
	size_t len = strlen(s), need;

	if (!first)
		strbuf_addch(out, ',');
	if (formula_like(s, len)) {
		strbuf_addch(&esc, '\'');
		strbuf_add(&esc, s, len);
		s = esc.buf;
		len = esc.len;
	}
	/*
	 * A field starting with U+FEFF is quoted too: first in a file, a
	 * reader would take it for a byte order mark and drop it.
	 */
	if (!len) {
		;
	} else if (!strpbrk(s, ",;\t\"\r\n") && s[0] != ' ' && s[len - 1] != ' ' &&
		   s[len - 1] != '\t' && strncmp(s, "\xEF\xBB\xBF", 3) != 0) {
		strbuf_add(out, s, len);
	} else {
		/* RFC 4180 section 2, rules 5-7: enclose in quotes, double the quotes inside. */
		strbuf_grow(out, 2 * len + 2);
		need = csv_write(out->buf + out->len, 2 * len + 2, s, len);
		if (need > 2 * len + 2)
			BUG("csv_write needs %zu bytes", need);
		strbuf_setlen(out, out->len + need);
	}
	strbuf_release(&esc);
}

void csvio_end_record(struct strbuf *out)
{
	strbuf_add(out, "\r\n", 2);
}

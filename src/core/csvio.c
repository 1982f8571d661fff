/*
 * CSV through libcsv (see csvio.h).  libcsv is a push parser: we feed it
 * the file one line at a time (a line ends at LF), which costs nothing
 * extra and lets us know the physical line where every record starts —
 * a record may span lines when a quoted field holds a line break.
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
};

static void on_field(void *s, size_t len, void *data)
{
	struct reader *r = data;

	if (r->stop)
		return;
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

long csvio_read(FILE *fp, const char *name,
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
	strbuf_init(&r.text, 256);
	while (!r.stop && (n = fread(buf, 1, BLOCK, fp)) > 0) {
		off = 0;
		/* A UTF-8 byte order mark (spreadsheets write one) is not data. */
		if (first && n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
			off = 3;
		first = 0;
		while (off < n && !r.stop) {
			char *nl = memchr(buf + off, '\n', n - off);
			size_t seg = nl ? (size_t)(nl - (buf + off)) + 1 : n - off;

			/* Between records (libcsv's ROW_NOT_BEGUN state is 0): a record starting here starts on this line. */
			if (p.pstate == 0)
				r.record_line = r.line;
			if (csv_parse(&p, buf + off, seg, on_field, on_record, &r) != seg) {
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
	size_t len = strlen(s), need;

	if (!first)
		strbuf_addch(out, ',');
	/*
	 * A field starting with U+FEFF is quoted too: first in a file, a
	 * reader would take it for a byte order mark and drop it.
	 */
	if (len && !strpbrk(s, ",\"\r\n") && s[0] != ' ' && s[0] != '\t' &&
	    s[len - 1] != ' ' && s[len - 1] != '\t' && strncmp(s, "\xEF\xBB\xBF", 3) != 0) {
		strbuf_add(out, s, len);
		return;
	}
	if (!len)
		return;
	/* RFC 4180 section 2, rules 5-7: enclose in quotes, double the quotes inside. */
	strbuf_grow(out, 2 * len + 2);
	need = csv_write(out->buf + out->len, 2 * len + 2, s, len);
	if (need > 2 * len + 2)
		BUG("csv_write needs %zu bytes", need);
	strbuf_setlen(out, out->len + need);
}

void csvio_end_record(struct strbuf *out)
{
	strbuf_add(out, "\r\n", 2);
}

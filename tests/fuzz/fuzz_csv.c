/*
 * CSV as `subscribers import` reads it: any bytes through csvio_read.
 * Every record it hands on, written back with csvio_add_field and read
 * again, must give the same fields (RFC 4180 round trip, and the
 * apostrophe before a formula put on and taken off), so an export can
 * always be imported.
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "core/csvio.h"

struct rows {
	struct strbuf text;	/* every field, NUL-separated, records by "\1" */
	struct strbuf written;	/* the records written back as CSV */
	int roundtrip;		/* 0: a record cannot be written back exactly */
};

static int on_row(void *data, const struct csvio_row *row)
{
	struct rows *r = data;
	size_t i;

	FUZZ_CHECK(row->line >= 1);
	FUZZ_CHECK(row->nfields >= 1);
	for (i = 0; i < row->nfields; i++) {
		FUZZ_CHECK(row->fields[i][row->lens[i]] == '\0');
		FUZZ_CHECK(strlen(row->fields[i]) <= row->lens[i]);
		/* A C string cannot carry a NUL; a lone empty field is a blank line. */
		if (strlen(row->fields[i]) != row->lens[i])
			r->roundtrip = 0;
		strbuf_add(&r->text, row->fields[i], row->lens[i]);
		strbuf_addch(&r->text, '\0');
		csvio_add_field(&r->written, row->fields[i], i == 0);
	}
	if (row->nfields == 1 && row->lens[0] == 0)
		r->roundtrip = 0;
	strbuf_addch(&r->text, '\1');
	csvio_end_record(&r->written);
	(void)csvio_utf8_valid(row->fields[0], row->lens[0]);
	return 0;
}

static long parse(const char *buf, size_t len, struct rows *r)
{
	FILE *fp;
	long n;

	if (!len)
		return 0;
	fp = fmemopen((void *)buf, len, "r");
	FUZZ_CHECK(fp != NULL);
	n = csvio_read(fp, "fuzz.csv", on_row, r);
	fclose(fp);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rows a = { STRBUF_INIT, STRBUF_INIT, 1 }, b = { STRBUF_INIT, STRBUF_INIT, 1 };
	long n, m;

	fuzz_quiet();
	n = parse((const char *)data, size, &a);
	if (n > 0 && a.roundtrip) {
		m = parse(a.written.buf, a.written.len, &b);
		FUZZ_CHECK(m == n);
		FUZZ_CHECK(a.text.len == b.text.len && !memcmp(a.text.buf, b.text.buf, a.text.len));
	}
	strbuf_release(&a.text);
	strbuf_release(&a.written);
	strbuf_release(&b.text);
	strbuf_release(&b.written);
	return 0;
}

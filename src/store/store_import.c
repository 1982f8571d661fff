/*
 * A CSV member list into the store (the rules are in store_import.h).
 *
 * Two threads: the reader parses and checks the CSV (import_row) and
 * passes the good rows, as "email, name, attribute values", through a
 * rowpipe to the calling thread, which stores them (store_rows), so the
 * parse overlaps the SQLite work.
 * Fields up to the header row are the reader's; after it, cols/keys are
 * only read.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "base/rowpipe.h"
#include "core/address.h"
#include "core/csvio.h"
#include "store/store.h"
#include "store/store_import.h"

#include <pthread.h>

/* Rows a batch: ~100 KB, two batches at most. */
#define IMPORT_BATCH_ROWS 512

struct import {
	struct store *st;
	const struct store_import_opts *o;
	const char *file;
	FILE *in;
	FILE *rejects;
	struct rowpipe *pipe;
	/* the reader's until the header row is done, then read only */
	long email_col, name_col;
	size_t ncols;
	char **cols;		/* header names, normalized to attribute keys */
	const char **keys;	/* the attribute columns' keys, in order */
	size_t nkeys;
	/* the reader's */
	const char **row;	/* scratch: ncols + 2 */
	struct strbuf email;	/* scratch */
	struct strbuf *conv;	/* one field each, converted from the 8-bit encoding */
	const char **cfields;	/* pointers into conv */
	size_t *clens;
	long rejected;
	int header_done, failed;
	long nrecords;		/* csvio_read_delim()'s result, read after the join */
	/* the storing thread's */
	long counts[4];		/* by enum store_result */
};

/*
 * A header cell as an attribute key: spreadsheets write "Member type";
 * templates want {{subscriber.member_type}}.  ASCII letters are lower-cased,
 * spaces and '-' become '_'.  The result may still be invalid.
 */
static char *column_key(const char *name)
{
	char *k = xstrdup(name), *p;

	for (p = k; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (*p == ' ' || *p == '-')
			*p = '_';
	}
	return k;
}

/* `s` for a one-line report: at most 80 bytes, control characters escaped. */
static void add_shown(struct strbuf *out, const char *s, size_t len)
{
	strbuf_addch(out, '\'');
	strbuf_add_shown(out, s, len < 80 ? len : 80, "\\'");
	if (len > 80)
		strbuf_addstr(out, "...");
	strbuf_addch(out, '\'');
}

/* The headers spreadsheets and mail programs give the address column. */
static int is_email_header(const char *key)
{
	static const char *const names[] = {
		"email", "e_mail", "email_address", "e_mail_address", "emailaddress",
		"mail", "email_addresse", "e_mail_adresse", "courriel", "correo",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(key, names[i]))
			return 1;
	return 0;
}

static int no_email_column(struct import *im, const struct csvio_row *row)
{
	struct strbuf found = STRBUF_INIT;
	size_t i;

	for (i = 0; i < row->nfields && i < 8; i++) {
		if (i)
			strbuf_addstr(&found, ", ");
		add_shown(&found, row->fields[i], row->lens[i]);
	}
	if (row->nfields > 8)
		strbuf_addstr(&found, ", ...");
	error("%s:%lu: no 'email' column in the header row, which has %zu column(s): %s; "
	      "the first row must name the columns, e.g. email,name",
	      im->file, row->line, row->nfields, found.buf);
	strbuf_release(&found);
	return -1;
}

static int import_header(struct import *im, const struct csvio_row *row)
{
	size_t i, k;

	im->header_done = 1;
	im->email_col = im->name_col = -1;
	im->ncols = row->nfields;
	im->cols = xcalloc(row->nfields + 1, sizeof(char *));
	im->keys = xcalloc(row->nfields + 1, sizeof(*im->keys));
	im->row = xcalloc(row->nfields + 2, sizeof(*im->row));
	if (im->o->encoding != STORE_IMPORT_UTF8) {
		im->conv = xcalloc(row->nfields, sizeof(*im->conv));
		im->cfields = xcalloc(row->nfields, sizeof(*im->cfields));
		im->clens = xcalloc(row->nfields, sizeof(*im->clens));
		for (i = 0; i < row->nfields; i++)
			strbuf_init(&im->conv[i], 64);
	}
	for (i = 0; i < row->nfields; i++) {
		long *col = NULL;

		im->cols[i] = column_key(row->fields[i]);
		if (is_email_header(im->cols[i]))
			col = &im->email_col;
		else if (!strcmp(im->cols[i], "name"))
			col = &im->name_col;
		else if (!store_attr_key_valid(im->cols[i]))
			return error("%s:%lu: column %zu ('%s') cannot be an attribute: name it with letters, digits and '_'",
				     im->file, row->line, i + 1, row->fields[i]);
		if (col && *col >= 0)
			return error("%s:%lu: the column '%s' appears twice", im->file, row->line, im->cols[i]);
		if (col)
			*col = (long)i;
		for (k = 0; !col && k < i; k++)
			if (!strcmp(im->cols[k], im->cols[i]))
				/* One of the two would silently lose its values. */
				return error("%s:%lu: columns %zu ('%s') and %zu ('%s') are both the attribute "
					     "'%s': rename one", im->file, row->line, k + 1, row->fields[k],
					     i + 1, row->fields[i], im->cols[i]);
	}
	if (im->email_col < 0)
		return no_email_column(im, row);
	for (i = 0; i < row->nfields; i++)
		if ((long)i != im->email_col && (long)i != im->name_col)
			im->keys[im->nkeys++] = im->cols[i];
	return 0;
}

static void reject(struct import *im, const struct csvio_row *row, const char *reason)
{
	struct strbuf *line = &im->email;

	im->rejected++;
	strbuf_reset(line);
	strbuf_addf(line, "%s:%lu: rejected", im->file, row->line);
	if ((size_t)im->email_col < row->nfields) {
		strbuf_addch(line, ' ');
		add_shown(line, row->fields[im->email_col], row->lens[im->email_col]);
	}
	strbuf_addf(line, ": %s\n", reason);
	fwrite(line->buf, 1, line->len, im->rejects);
}

/* The row's fields as UTF-8, in *out (valid until the next row). */
static const struct csvio_row *convert_row(struct import *im, const struct csvio_row *row,
					   struct csvio_row *out)
{
	size_t i;

	for (i = 0; i < row->nfields; i++) {
		strbuf_reset(&im->conv[i]);
		utf8_from_8bit(&im->conv[i], row->fields[i], row->lens[i],
			       im->o->encoding == STORE_IMPORT_CP1252);
		im->cfields[i] = im->conv[i].buf;
		im->clens[i] = im->conv[i].len;
	}
	*out = *row;
	out->fields = im->cfields;
	out->lens = im->clens;
	return out;
}

/*
 * A file that is not UTF-8 is refused whole at its first bad byte: a
 * row-by-row rejection would import the ASCII rows and mangle nothing
 * but lose every accented name.
 */
static int check_utf8(struct import *im, const struct csvio_row *row)
{
	size_t i;

	for (i = 0; i < row->nfields; i++) {
		size_t bad = utf8_invalid_at(row->fields[i], row->lens[i]);

		if (bad < row->lens[i] || memchr(row->fields[i], '\0', row->lens[i]))
			return error("%s:%lu: column %zu is not UTF-8 (byte 0x%02X); save the file as "
				     "\"CSV UTF-8\", or give --encoding cp1252 (Excel on Windows) or latin1",
				     im->file, row->line, i + 1,
				     bad < row->lens[i] ? (unsigned char)row->fields[i][bad] : 0);
	}
	return 0;
}

/* The reader: check a row; a good one goes down the pipe, a bad one into the report. */
static int import_row(void *data, const struct csvio_row *row)
{
	struct import *im = data;
	struct csvio_row conv_row;
	const char *reason = NULL;
	size_t i, n = 0;

	if (!im->header_done) {
		if (import_header(im, row) < 0) {
			im->failed = 1;
			return -1;
		}
		return 0;
	}
	if (im->o->encoding != STORE_IMPORT_UTF8 && row->nfields == im->ncols)
		row = convert_row(im, row, &conv_row);
	if (im->o->encoding == STORE_IMPORT_UTF8 && check_utf8(im, row) < 0) {
		im->failed = 1;
		return -1;
	}
	if (row->nfields != im->ncols)
		reason = row->nfields < im->ncols ? "fewer fields than the header row"
						  : "more fields than the header row";
	strbuf_reset(&im->email);
	if (!reason)
		address_validate(row->fields[im->email_col], &im->email, &reason);	/* sets reason */
	if (!reason && im->name_col >= 0)
		address_check_name(row->fields[im->name_col], &reason);	/* sets reason */
	if (reason) {
		reject(im, row, reason);
		return 0;
	}
	im->row[n++] = im->email.buf;
	im->row[n++] = im->name_col >= 0 ? row->fields[im->name_col] : NULL;
	for (i = 0; i < row->nfields; i++)
		if ((long)i != im->email_col && (long)i != im->name_col)
			im->row[n++] = row->fields[i];
	return rowpipe_add(im->pipe, n, im->row);
}

static void *reader_main(void *data)
{
	struct import *im = data;

	im->nrecords = csvio_read_delim(im->in, im->file, im->o->delim, import_row, im);
	rowpipe_close(im->pipe);
	return NULL;
}

/* The calling thread: store the rows the reader passes; 0, or -1 (reported). */
static int store_rows(struct import *im)
{
	const char *const *f;
	size_t n;

	while (rowpipe_next(im->pipe, &n, &f)) {
		struct store_subscriber sub;
		enum store_result res;

		sub.email = f[0];
		sub.name = f[1];
		sub.nattrs = n - 2;
		sub.attr_keys = im->keys;
		sub.attr_values = f + 2;
		if (store_subscribe(im->st, &sub, im->o->list, im->o->flags, &res, NULL) < 0) {
			rowpipe_stop(im->pipe);
			return -1;
		}
		im->counts[res]++;
	}
	return 0;
}

/* Read and store the rows, on two threads; 0, or -1 (reported) when storing failed. */
static int run_pipeline(struct import *im)
{
	pthread_t reader;
	int stored;

	im->pipe = rowpipe_new(IMPORT_BATCH_ROWS);
	if (pthread_create(&reader, NULL, reader_main, im) != 0) {
		error("cannot start a thread to read '%s'", im->file);
		im->nrecords = -1;
		stored = -1;
	} else {
		stored = store_rows(im);
		pthread_join(reader, NULL);
	}
	rowpipe_free(im->pipe);
	im->pipe = NULL;
	return stored;
}

static enum store_import_outcome finish(struct import *im, int stored)
{
	if (stored < 0) {
		store_rollback(im->st);
		error("%s: nothing was imported", im->file);
		return STORE_IMPORT_FAILED;
	}
	if (im->nrecords < 0 || im->failed || !im->header_done) {
		if (!im->header_done && im->nrecords >= 0)
			error("%s: the file is empty; the first row must name the columns, e.g. email,name",
			      im->file);
		store_rollback(im->st);
		error("%s: nothing was imported", im->file);
		return STORE_IMPORT_REFUSED;
	}
	if (im->o->dry_run ? store_rollback(im->st) : store_commit(im->st))
		return STORE_IMPORT_FAILED;
	return STORE_IMPORT_DONE;
}

static void import_release(struct import *im)
{
	size_t i;

	for (i = 0; i < im->ncols; i++)
		free(im->cols[i]);
	free(im->cols);
	free(im->keys);
	free(im->row);
	for (i = 0; im->conv && i < im->ncols; i++)
		strbuf_release(&im->conv[i]);
	free(im->conv);
	free(im->cfields);
	free(im->clens);
	strbuf_release(&im->email);
}

enum store_import_outcome store_import(struct store *st, FILE *in, const char *name,
				       const struct store_import_opts *opts, FILE *rejects,
				       struct store_import_counts *counts)
{
	struct import im;
	enum store_import_outcome ret = STORE_IMPORT_FAILED;

	memset(&im, 0, sizeof(im));
	memset(counts, 0, sizeof(*counts));
	im.st = st;
	im.o = opts;
	im.file = name;
	im.in = in;
	im.rejects = rejects;
	strbuf_init(&im.email, 256);
	/* One transaction: all rows or none; a dry run rolls it back. */
	if (store_begin_batch(st) == 0)
		ret = finish(&im, run_pipeline(&im));
	counts->added = im.counts[STORE_ADDED];
	counts->updated = im.counts[STORE_UPDATED];
	counts->unchanged = im.counts[STORE_UNCHANGED];
	counts->skipped = im.counts[STORE_SKIPPED];
	counts->rejected = im.rejected;
	import_release(&im);
	return ret;
}

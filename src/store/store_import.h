#ifndef STORE_IMPORT_H
#define STORE_IMPORT_H
/*
 * Members from a spreadsheet: the rules for a CSV member list and the
 * pipeline that stores it (`subscribers import`).
 *
 * What it reads.  A CSV file (core/csvio.h: RFC 4180, the delimiter
 * ',' ';' or tab detected from the first line unless given; the
 * apostrophe an export puts before a field starting = + - @ tab or CR
 * taken off, in every column, the email's too) whose first
 * record names the columns.  Each header cell becomes a key: ASCII
 * letters lower-cased, ' ' and '-' turned into '_' ("Member type" is
 * member_type, for {{subscriber.member_type}}).
 *   - The email column is required: a key email, e_mail, email_address,
 *     e_mail_address, emailaddress, mail, email_addresse, e_mail_adresse,
 *     courriel or correo ("E-mail", "Email Address", "Mail", ...).
 *   - A column name is optional: the display name.
 *   - Every other column is an attribute; a key that is not a valid
 *     attribute key (store_attr_key_valid) refuses the file, as does the
 *     email or name column twice.
 *   - Encoding: UTF-8, where the first byte that is not UTF-8 (or a NUL)
 *     refuses the whole file with one error naming line, column and byte
 *     (importing the ASCII rows would lose every accented name); or, with
 *     STORE_IMPORT_LATIN1 / STORE_IMPORT_CP1252, the rows' fields are
 *     converted to UTF-8 (the header row is taken as it is: its keys must
 *     be ASCII anyway).
 * A row is rejected, and the import goes on, when it has fewer or more
 * fields than the header row, its email fails address_validate() or its
 * name address_check_name().
 *
 * What it writes.  One transaction (store_begin_batch): each good row is
 * store_subscribe()d to opts->list (created if missing) with opts->flags,
 * the email normalized, the name kept when there is no name column, an
 * empty attribute removing it.  Unsubscribes stick: an unsubscribed,
 * bounced, complained or suppressed address is left alone and counted
 * skipped unless the flags hold STORE_RESUBSCRIBE.  At the end the
 * transaction is committed, or rolled back for opts->dry_run; when the
 * file is refused or the database fails, it is rolled back: all rows or
 * none.  Importing the same file again changes nothing (all unchanged).
 *
 * What it reports.
 *   - Each rejected row, as it is found, one line on `rejects`:
 *       FILE:LINE: rejected 'EMAIL': REASON
 *     LINE the physical line where the record starts, EMAIL the row's
 *     email field as written (at most 80 bytes, control characters and
 *     quotes escaped); "FILE:LINE: rejected: REASON" when the row has no
 *     such field.  A caller that prints the counts first spools it.
 *   - The counts, in *counts (also for a dry run).
 *   - error() naming FILE:LINE for a refused file, then "FILE: nothing
 *     was imported" (also after a database failure during the rows);
 *     csvio's warnings (a quote inside an unquoted field).
 *
 * Threads.  The calling thread stores; a second thread, started and
 * joined inside the call, reads and checks the file and hands the good
 * rows over in batches (base/rowpipe.h: two batches at most, so memory
 * does not grow with the file).  During the call `in` and `rejects` are
 * used by that thread only, the store by the calling thread only; error()
 * may be called from either.
 *
 * Ownership.  The caller owns st, in (not closed), rejects and opts;
 * nothing is kept after the call.
 */
#include <stdio.h>

struct store;

enum store_import_encoding {
	STORE_IMPORT_UTF8,
	STORE_IMPORT_LATIN1,		/* ISO 8859-1 */
	STORE_IMPORT_CP1252,		/* Windows-1252: Excel's "CSV" on Windows */
};

struct store_import_opts {
	const char *list;		/* the list the rows join; non-empty */
	char delim;			/* ',' ';' '\t', or 0: detected */
	enum store_import_encoding encoding;
	unsigned flags;			/* store_subscribe()'s (STORE_RESUBSCRIBE) */
	int dry_run;			/* roll back at the end: the counts, nothing saved */
};

/* What became of the rows (store_subscribe()'s results, and the rejected). */
struct store_import_counts {
	long added, updated, unchanged, skipped, rejected;
};

enum store_import_outcome {
	STORE_IMPORT_DONE,		/* every row stored or rejected; committed (dry run:
					   rolled back) */
	STORE_IMPORT_REFUSED,		/* the file cannot be imported (no usable header,
					   not UTF-8, malformed, empty, unreadable):
					   nothing imported, reported */
	STORE_IMPORT_FAILED,		/* the database or the system failed: nothing
					   imported, reported */
};

/*
 * Import the CSV read from `in`, named `name` in every message (e.g.
 * "members.csv", "<stdin>"); see above.  *counts is set in every case.
 */
enum store_import_outcome store_import(struct store *st, FILE *in, const char *name,
				       const struct store_import_opts *opts, FILE *rejects,
				       struct store_import_counts *counts);

#endif

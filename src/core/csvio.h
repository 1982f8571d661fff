#ifndef CSVIO_H
#define CSVIO_H
/*
 * CSV (RFC 4180) reading and writing through libcsv.
 *
 * Reading streams: the file is parsed in 64 KiB blocks and each record is
 * handed to a callback, then forgotten, so memory does not grow with the
 * file.  A UTF-8 byte order mark at the start is skipped; records may end
 * in CRLF or LF; quoted fields may hold commas, doubled quotes and line
 * breaks; blank lines are ignored; spaces around unquoted fields are
 * trimmed (libcsv's default).  The delimiter is ',' ';' or tab, whichever
 * the first line uses most outside quotes (European Excel writes ';'),
 * unless given.  A quote inside an unquoted field (Bob "B" Smith) is data,
 * as LibreOffice and Python's csv read it, with a warning naming the line;
 * malformed quoting (text after a closing quote, an unterminated quoted
 * field at the end) stops the parse with an error naming file:line.
 *
 * Writing quotes a field only when it needs it (a comma, quote, CR, LF,
 * leading/trailing space, or a leading U+FEFF that a reader would take for
 * a byte order mark) and ends records with CRLF (RFC 4180 section 2).
 *
 * Formulas.  A field that a spreadsheet would run as a formula — first
 * character = + - @ tab or CR, after any leading apostrophes — is written
 * with one apostrophe more in front (=HYPERLINK(...) as '=HYPERLINK(...),
 * '=x as ''=x), so that an export opened in Excel or LibreOffice shows the
 * text; the reader takes exactly one apostrophe off such a field, so what
 * the writer wrote reads back unchanged.  A field like 'x (apostrophe, no
 * formula character after) is data both ways.
 */
#include <stddef.h>
#include <stdio.h>

struct strbuf;

struct csvio_row {
	unsigned long line;		/* physical line where the record starts, 1-based */
	size_t nfields;
	const char *const *fields;	/* NUL-terminated (a field with a NUL byte inside
					   has lens[i] > strlen(fields[i])) */
	const size_t *lens;
};

/*
 * Parse `fp` (named `name` in messages), calling fn for every record; the
 * row and its strings are valid only during the call.  fn returns 0 to go
 * on or -1 to stop.  Returns the number of records, or -1: after error()
 * (read error, malformed CSV) or when fn returned -1 (nothing reported).
 */
long csvio_read(FILE *fp, const char *name,
		int (*fn)(void *data, const struct csvio_row *row), void *data);
/* The same with the delimiter given (',' ';' '\t'); 0 detects it. */
long csvio_read_delim(FILE *fp, const char *name, char delim,
		      int (*fn)(void *data, const struct csvio_row *row), void *data);

/* 1 if s[0..len) is valid UTF-8 (RFC 3629: no overlongs, surrogates or NUL), else 0. */
int csvio_utf8_valid(const char *s, size_t len);

/* Append one field to `out`, preceded by a comma unless `first`. */
void csvio_add_field(struct strbuf *out, const char *s, int first);
/* Append the record terminator (CRLF). */
void csvio_end_record(struct strbuf *out);

#endif

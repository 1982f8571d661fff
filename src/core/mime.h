#ifndef MIME_H
#define MIME_H
/*
 * Building RFC 5322 / MIME messages by hand — libetpan's writer lets CR/LF
 * through, doubles trailing whitespace in QP and makes predictable
 * boundaries (docs/design.md), so we encode ourselves and use libetpan only
 * to parse messages back in tests.
 *
 * Pure: no clock, no randomness, no I/O.  Date, Message-ID and boundary are
 * inputs, so output is byte-for-byte reproducible.  Output is 7-bit, CRLF
 * only, no line over 998 octets (encoded lines ≤ 76).
 */
#include <stddef.h>
#include <time.h>

struct strbuf;

/*
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text.  Input line breaks (LF or
 * CRLF; a lone CR is treated as a line break too) become CRLF; lines are
 * soft-broken at ≤ 76 columns without splitting an =XX escape or a UTF-8
 * sequence; trailing space/tab before a line break or at the end of the
 * input is encoded once (=20/=09), '.' at the start of any encoded line is
 * encoded (=2E) and "From " as =46rom, '=' and control characters as =XX,
 * so decoding gives back the input with CRLF line breaks exactly.  No CRLF
 * is added at the end: in a multipart body the CRLF before the next
 * delimiter belongs to the delimiter (RFC 2046 §5.1.1).  Appends to out.
 */
void mime_qp_encode(const char *in, size_t len, struct strbuf *out);

/* Base64 (RFC 2045 §6.8) in CRLF-terminated lines of 76 characters. */
void mime_base64_encode(const void *in, size_t len, struct strbuf *out);

/*
 * 1 if s (len bytes) contains CR, LF or NUL — such header input is rejected
 * before anything is written.
 */
int mime_has_line_break(const char *s, size_t len);

/*
 * Append an unstructured header field ("Subject: ...", CRLF-terminated).
 * Printable ASCII stays plain, folded before whitespace at 76 columns.  The
 * value is RFC 2047-encoded as a whole when it has non-ASCII or control
 * characters, leading/trailing whitespace, something that looks like an
 * encoded word, or a word too long to fold: "=?UTF-8?Q?...?=" (phrase-safe
 * alphabet) or B, whichever is shorter, each word ≤ 75 characters, never
 * splitting a UTF-8 character, folded with CRLF SP so no line exceeds 76 (RFC 2047 §2).
 * Returns -1 after error() naming `field`, writing nothing, if the value
 * has CR or LF or is not valid UTF-8 (a NUL cannot be inside a C string:
 * callers holding lengths check with mime_has_line_break()).
 */
int mime_add_unstructured(struct strbuf *out, const char *field, const char *value);

/*
 * Append an address header ("To: ...", CRLF-terminated) for one mailbox.
 * The display name (may be NULL/empty: then just the address) is written
 * as bare atoms when possible, else as a quoted-string with \" and \\
 * escaped when ASCII, else as RFC 2047 encoded words (phrase-safe Q or B,
 * RFC 2047 §5(3)); the address goes in <> and on its own folded line when
 * the line would pass 76.  addr must already be validated (address.h).
 * Returns -1 after error() naming `field`, writing nothing, if the name
 * has CR/LF or invalid UTF-8, or addr has a byte ≤ 0x20, ≥ 0x7f, '<' or
 * '>', or no '@'.
 */
int mime_add_mailbox(struct strbuf *out, const char *field, const char *name, const char *addr);

/* RFC 5322 §3.3 date, "Fri, 27 Nov 2026 09:00:00 +0000" (UTC). Appends. */
void mime_format_date(time_t t, struct strbuf *out);

/*
 * Header inputs are C strings; NULL for an optional one omits its header.
 * Required: from_addr, to_addr, message_id, boundary.
 */
struct mime_message {
	const char *from_name, *from_addr;
	const char *to_name, *to_addr;
	const char *subject;
	time_t date;
	const char *message_id;		/* without <>, e.g. "a1b2c3@news.example.org" */
	const char *boundary;		/* "=_" + ≥ 24 random [A-Za-z0-9]: unpredictable, and "=_"
					   can never occur in quoted-printable output */
	const char *list_id;		/* "newsbeat.example.org"; List-Id: NAME <list_id> */
	const char *list_name;		/* display phrase of List-Id, may be NULL */
	const char *unsubscribe_url;	/* https (or http, for tests) URL for List-Unsubscribe;
					   also writes List-Unsubscribe-Post (RFC 8058) */
	const char *unsubscribe_mailto;	/* "mailto:...?subject=..." or NULL */
	const char *archive_url;	/* List-Archive: <base_url> */
	const char *archived_at;	/* Archived-At: <issue page> */
	const char *precedence;		/* "bulk" or NULL */
	const char *extra_headers;	/* NULL or already-formatted CRLF-terminated lines */
	const char *text;  size_t text_len;	/* UTF-8, any line endings */
	const char *html;  size_t html_len;
};

/*
 * Append the whole message: From, To, Subject, Date, Message-ID,
 * MIME-Version, List-Id, List-Unsubscribe, List-Unsubscribe-Post,
 * List-Archive, Archived-At, Precedence, extra_headers, Content-Type; then
 * multipart/alternative with text/plain then text/html, both
 * charset=UTF-8 quoted-printable, and the closing delimiter.  The result
 * is 7-bit, CRLF only, with no line over 998 octets.  Returns 0, or -1
 * after error() naming the offending field (leaving out as it was) when a
 * header input contains CR/LF or is not valid UTF-8, a URL is not
 * http(s)/mailto or contains space, '<', '>' or '"', the Message-ID is not
 * left@right of atext, or the boundary is not "=_" + 24..68 [A-Za-z0-9].
 */
int mime_build(const struct mime_message *m, struct strbuf *out);

#endif

#ifndef MIME_H
#define MIME_H
/*
 * Building RFC 5322 / MIME messages by hand — libetpan's writer lets CR/LF
 * through, doubles trailing whitespace in QP and makes predictable
 * boundaries (see DESIGN.md), so we encode ourselves and use libetpan only
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
 * sequence; trailing space/tab before a line break is encoded (=20/=09),
 * '.' at line start is encoded (=2E) and "From " at line start as =46rom,
 * so the round trip is exact.  Appends to out.
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
 * Append an unstructured header field ("Subject: ...") with its value
 * RFC 2047-encoded when it is not printable ASCII: "=?UTF-8?Q?...?=" or
 * B encoding, each encoded word ≤ 75 characters, never splitting a UTF-8
 * character, folded with CRLF SP so no line exceeds 78 characters.
 * Returns -1 after error() if the value has CR, LF or NUL or is not UTF-8.
 */
int mime_add_unstructured(struct strbuf *out, const char *field, const char *value);

/*
 * Append an address header ("To: ...") for one mailbox: the display name
 * (may be NULL/empty) as a quoted-string when ASCII, RFC 2047 encoded-words
 * (phrase-safe Q or B) when not; addr must already be validated.
 * Returns -1 after error() if name or addr contain CR, LF or NUL.
 */
int mime_add_mailbox(struct strbuf *out, const char *field, const char *name, const char *addr);

/* RFC 5322 §3.3 date, "Fri, 27 Nov 2026 09:00:00 +0000" (UTC). Appends. */
void mime_format_date(time_t t, struct strbuf *out);

/*
 * Split "Display Name <addr@host>" or "addr@host" into name and address
 * (both newly allocated; name may be "").  Returns -1 after error() when
 * the form is not recognised.  Address validity is the caller's business.
 */
int mime_split_mailbox(const char *s, char **name, char **addr);

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
	const char *unsubscribe_url;	/* https URL for List-Unsubscribe (+ -Post header) */
	const char *unsubscribe_mailto;	/* "mailto:...?subject=..." or NULL */
	const char *archive_url;	/* List-Archive: <base_url> */
	const char *archived_at;	/* Archived-At: <issue page> */
	const char *precedence;		/* "bulk" or NULL */
	const char *extra_headers;	/* NULL or already-formatted CRLF-terminated lines */
	const char *text;  size_t text_len;	/* UTF-8, any line endings */
	const char *html;  size_t html_len;
};

/*
 * Append the whole message: headers, then multipart/alternative with
 * text/plain then text/html, both UTF-8 quoted-printable.  Returns 0, or -1
 * after error() naming the offending field when any header input contains
 * CR/LF/NUL or is not valid UTF-8, or the boundary is malformed.
 */
int mime_build(const struct mime_message *m, struct strbuf *out);

#endif

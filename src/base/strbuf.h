#ifndef STRBUF_H
#define STRBUF_H
/*
 * The one growable byte buffer.  Rules (after git's strbuf):
 *  - `buf` is never NULL and is always NUL-terminated at buf[len], so it can
 *    be passed to C string functions; it may also hold NUL bytes inside.
 *  - An initialised strbuf owns its storage; strbuf_release() frees it and
 *    leaves the strbuf empty and reusable.
 *  - After strbuf_detach() the caller owns the returned storage (free()) and
 *    the strbuf is empty again.
 *  - Allocation failure aborts (see xmalloc), so the add functions cannot fail.
 */
#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* Returns the buffer (caller frees); `len`, if not NULL, receives its length. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Ensure room for `extra` more bytes plus the terminating NUL. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
/* Inline: the hot path of every byte-at-a-time writer (escapers, renderers). */
static inline void strbuf_addch(struct strbuf *sb, int c)
{
	if (sb->len + 2 > sb->alloc)
		strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}
void strbuf_addchars(struct strbuf *sb, int c, size_t n);
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Append `s` with &, <, >, " and ' escaped for HTML/XML text and attributes. */
void strbuf_add_html_escaped(struct strbuf *sb, const char *s, size_t len);
/*
 * Append `s` as a JSON string literal, quotes included: valid JSON, and
 * also safe inside an HTML <script> (<, >, & and U+2028/2029 escaped).
 * `s` must be UTF-8.
 */
void strbuf_add_json_string(struct strbuf *sb, const char *s, size_t len);
/*
 * Append s[0..len) as it may be shown on a terminal: the bytes that could
 * move the cursor, recolour or retitle the window, or hide what follows
 * become visible escapes — C0 controls and DEL as \t \n \r or \xNN, C1
 * controls (U+0080..U+009F) as \u0080..\u009f, bytes of invalid UTF-8 as
 * \xNN — and each byte in `quote` (may be NULL; e.g. "\\'" when the
 * result goes between single quotes) gets a backslash before it.
 * Printable ASCII and well-formed UTF-8 are kept.  Every printer of
 * outside text (messages, lists, names, header cells) goes through it.
 */
void strbuf_add_shown(struct strbuf *sb, const char *s, size_t len, const char *quote);
/*
 * Append s[0..len) percent-decoded (RFC 3986 2.1: %XX, either case).
 * Returns 0, or -1 at a malformed escape (what came before it is
 * appended).  Decoded bytes are not checked: the caller refuses what its
 * use cannot take (a NUL, a CR or LF, a '/').
 */
int strbuf_add_percent_decoded(struct strbuf *sb, const char *s, size_t len);
/* Remove trailing ASCII whitespace. */
void strbuf_rtrim(struct strbuf *sb);

/*
 * Read a whole file into sb (appending).  Returns 0, or -1 with errno set
 * (nothing reported: the caller names the file in its message).
 */
int strbuf_read_file(struct strbuf *sb, const char *path);

#endif

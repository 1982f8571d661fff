#ifndef UTF8_H
#define UTF8_H
/*
 * UTF-8 helpers shared by the issue parser, the renderers and the MIME
 * encoder.  Well-formed means RFC 3629 §4: no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
#include <stddef.h>

#include <stdint.h>

/* Length (1-4) of the well-formed sequence at s (at most n bytes), or 0. */
size_t utf8_seq_len(const char *s, size_t n);

/* The same, and the code point it encodes in *cp (untouched when 0). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Offset of the first byte that starts no well-formed sequence, or len. */
size_t utf8_invalid_at(const char *s, size_t len);

/* 1 if all len bytes are well-formed UTF-8. */
#define utf8_valid(s, len) (utf8_invalid_at((s), (len)) == (len))

/*
 * Append s[0..len) to sb as one printable line, for text that came from
 * outside (a remote server's diagnostic) and goes to a terminal, a JSON
 * string or the database: well-formed sequences are kept, control
 * characters (C0, DEL) become a space, bytes that start no well-formed
 * sequence become '?'.
 */
struct strbuf;
void utf8_add_printable(struct strbuf *sb, const char *s, size_t len);

/* Number of characters (code points) in s[0..len): the display width we
   assume for wrapping and underlining. */
size_t utf8_width(const char *s, size_t len);

struct strbuf;
/*
 * Append s[0..len), Latin-1 (ISO 8859-1) or, with cp1252, Windows-1252
 * (what Excel saves as "CSV" on Windows in Western Europe), as UTF-8.
 */
void utf8_from_8bit(struct strbuf *out, const char *s, size_t len, int cp1252);

/* Append code point cp as UTF-8; a surrogate or a value past U+10FFFF as U+FFFD. */
void utf8_add_codepoint(struct strbuf *out, unsigned cp);

#endif

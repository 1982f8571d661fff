#include "base/common.h"
#include "base/strbuf.h"
#include "base/utf8.h"

size_t utf8_seq_len(const char *s, size_t n)
{
	uint32_t cp;

	return utf8_decode(s, n, &cp);
}

size_t utf8_decode(const char *str, size_t n, uint32_t *out)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80) {
		*out = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*out = cp;
	return len;
}

size_t utf8_invalid_at(const char *s, size_t len)
{
	size_t i = 0, l;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		l = utf8_seq_len(s + i, len - i);
		if (!l)
			return i;
		i += l;
	}
	return len;
}

size_t utf8_width(const char *s, size_t len)
{
	size_t i, w = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Windows-1252's 0x80-0x9F (the WHATWG table: the five unassigned bytes stay C1 controls). */
static const unsigned short cp1252_high[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

void utf8_from_8bit(struct strbuf *out, const char *s, size_t len, int cp1252)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i];

		if (cp1252 && c >= 0x80 && c < 0xA0)
			c = cp1252_high[c - 0x80];
		utf8_add_codepoint(out, c);
	}
}

void utf8_add_codepoint(struct strbuf *out, unsigned cp)
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		strbuf_addch(out, (char)cp);
	} else if (cp < 0x800) {
		strbuf_addch(out, (char)(0xC0 | (cp >> 6)));
		strbuf_addch(out, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		strbuf_addch(out, (char)(0xE0 | (cp >> 12)));
		strbuf_addch(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
		strbuf_addch(out, (char)(0x80 | (cp & 0x3F)));
	} else {
		strbuf_addch(out, (char)(0xF0 | (cp >> 18)));
		strbuf_addch(out, (char)(0x80 | ((cp >> 12) & 0x3F)));
		strbuf_addch(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
		strbuf_addch(out, (char)(0x80 | (cp & 0x3F)));
	}
}

void utf8_add_printable(struct strbuf *sb, const char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 && (k = utf8_seq_len(s + i, len - i))) {
			strbuf_add(sb, s + i, k);
			i += k;
			continue;
		}
		strbuf_addch(sb, c < 0x20 || c == 0x7f ? ' ' : c >= 0x80 ? '?' : (char)c);
		i++;
	}
}

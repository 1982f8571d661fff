/*
 * Text helpers for the archive: XML-safe text, JavaScript string literals,
 * and the plain text of rendered HTML (what search sees).  Pure functions.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "archive/archive.h"

/* XML 1.0 section 2.2, Char production. */
void archive_xml_clean(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < len) {
		uint32_t cp;
		size_t n;

		if (p[i] >= 0x20 && p[i] < 0x80) {	/* printable ASCII: the common case */
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		int bad = !n || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
			  cp == 0xFFFE || cp == 0xFFFF;

		if (bad) {
			strbuf_add(out, s + run, i - run);
			i += n ? n : 1;
			run = i;
		} else {
			i += n;
		}
	}
	strbuf_add(out, s + run, len - run);
}

/* Elements that run inside a line of text: no word break at their tags. */
/* The white space HTML collapses between words. */
static int is_html_space(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int inline_element(const char *name, size_t len)
{
	static const char *const names[] = {
		"a", "abbr", "b", "cite", "code", "del", "em", "i", "ins", "kbd", "mark",
		"q", "s", "small", "span", "strong", "sub", "sup", "time", "u",
	};
	size_t k;

	for (k = 0; k < ARRAY_SIZE(names); k++)
		if (strlen(names[k]) == len && !strncasecmp(names[k], name, len))
			return 1;
	return 0;
}

/*
 * The character reference at s (s[0] == '&'): its code point and length,
 * or 0 when it is none the renderers write (then '&' is text).
 */
static size_t char_ref(const char *s, size_t len, unsigned *cp)
{
	static const struct {
		const char *name;
		unsigned cp;
	} named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
		{ "nbsp", ' ' }, { "middot", 0xB7 }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
		{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "ldquo", 0x201C }, { "rdquo", 0x201D },
		{ "hellip", 0x2026 }, { "larr", 0x2190 }, { "rarr", 0x2192 },
	};
	size_t i = 1, k;
	unsigned v = 0;

	if (len > 1 && s[1] == '#') {
		int hex = len > 2 && (s[2] == 'x' || s[2] == 'X');
		size_t digits = 0;

		for (i = hex ? 3 : 2; i < len && digits < 8; i++, digits++) {
			char c = s[i];

			if (c >= '0' && c <= '9')
				v = v * (hex ? 16 : 10) + (unsigned)(c - '0');
			else if (hex && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
				v = v * 16 + (unsigned)((c | 0x20) - 'a' + 10);
			else
				break;
		}
		if (!digits || i >= len || s[i] != ';')
			return 0;
		*cp = v ? v : 0xFFFD;
		return i + 1;
	}
	for (k = 0; k < ARRAY_SIZE(named); k++) {
		size_t n = strlen(named[k].name);

		if (n + 2 <= len && !memcmp(s + 1, named[k].name, n) && s[n + 1] == ';') {
			*cp = named[k].cp;
			return n + 2;
		}
	}
	return 0;
}

/*
 * Tags go; a tag of anything but an inline element is a word break, as
 * the browser shows it; character references are decoded; white space
 * runs become one space.  Comments and the contents of script and style
 * elements are not text.  One pass, no backtracking beyond a tag's end.
 */
void archive_html_text(struct strbuf *out, const char *html, size_t len)
{
	size_t i = 0, start = out->len;
	int space = 0;

	strbuf_grow(out, len);
	while (i < len) {
		unsigned char c = (unsigned char)html[i];

		if (c == '<') {
			const char *end = memchr(html + i, '>', len - i);
			size_t n = i + 1, name_len;
			int closing, hidden;

			if (!end) {
				i = len;	/* an unfinished tag is not text */
				break;
			}
			if (len - i >= 4 && !memcmp(html + i, "<!--", 4)) {
				const char *ce = memmem(html + i + 4, len - i - 4, "-->", 3);

				i = ce ? (size_t)(ce - html) + 3 : len;
				continue;
			}
			closing = n < len && html[n] == '/';
			n += closing;
			name_len = strspn(html + n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
			if (n + name_len > (size_t)(end - html))
				name_len = (size_t)(end - html) - n;
			hidden = (name_len == 6 && !strncasecmp(html + n, "script", 6)) ||
				 (name_len == 5 && !strncasecmp(html + n, "style", 5));
			if (!hidden && !inline_element(html + n, name_len))
				space = 1;
			i = (size_t)(end - html) + 1;
			if (!closing && hidden) {
				const char *close = memmem(html + i, len - i, "</", 2);

				while (close && ((size_t)(close + 2 - html) + name_len > len ||
						 strncasecmp(close + 2, html + n, name_len)))
					close = memmem(close + 2, len - (size_t)(close + 2 - html), "</", 2);
				i = close ? (size_t)(close - html) : len;
			}
			continue;
		}
		if (is_html_space(c)) {
			space = 1;
			i++;
			continue;
		}
		if (c == '&') {
			unsigned cp;
			size_t n = char_ref(html + i, len - i, &cp);

			if (n) {
				i += n;
				/* A space written as a reference is a space: it must
				 * not leave a pending one written out before it, or a
				 * space at the very end. */
				if (is_html_space(cp) || cp == 0xA0) {
					space = 1;
					continue;
				}
				if (space && out->len > start)
					strbuf_addch(out, ' ');
				space = 0;
				utf8_add_codepoint(out, cp);
				continue;
			}
		}
		if (space && out->len > start)
			strbuf_addch(out, ' ');
		space = 0;
		strbuf_addch(out, (char)c);
		i++;
	}
}

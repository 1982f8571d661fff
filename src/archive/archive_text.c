/*
 * Text helpers for the archive: XML-safe text, JavaScript string literals,
 * tag slugs, and plain searchable text from Markdown.  Pure functions.
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

/*
 * Good enough for search: drop template tags, link targets, and Markdown
 * punctuation; collapse white space.  Not a renderer — it only feeds the
 * client-side word match.
 */
void archive_search_text(struct strbuf *out, const char *md, size_t len)
{
	size_t i = 0, run = 0;
	int space = 0, no_close = 0;
	size_t start = out->len, no_paren_before = 0;

	strbuf_grow(out, len);
	while (i < len) {
		unsigned char c = (unsigned char)md[i];
		size_t skip_to = 0;
		int is_space = 0;

		/*
		 * Each search remembers a miss, so that thousands of '{{' without
		 * a '}}', or of '](' without a ')' on a long line, stay linear.
		 */
		if (c == '{' && i + 1 < len && md[i + 1] == '{' && !no_close) {
			const char *end = memmem(md + i + 2, len - i - 2, "}}", 2);

			if (!end)
				no_close = 1;
			if (end) {
				skip_to = (size_t)(end - md) + 2;
				while (skip_to < len && md[skip_to] == '}')
					skip_to++;
			}
		} else if (c == ']' && i + 1 < len && md[i + 1] == '(' && i >= no_paren_before) {
			size_t j = i + 2;

			while (j < len && md[j] != ')' && md[j] != '\n')
				j++;
			if (j < len && md[j] == ')')
				skip_to = j + 1;
			else
				no_paren_before = j;	/* no ')' up to the line's end */
			if (!skip_to)
				skip_to = i + 1;
		} else if (c <= ' ') {
			is_space = 1;
			skip_to = i + 1;
		} else if (c == '#' || c == '*' || c == '_' || c == '`' || c == '>' ||
			   c == '[' || c == ']' || c == '!' || c == '|' || c == '~') {
			skip_to = i + 1;	/* markup: gone without a trace */
		}
		if (!skip_to) {
			if (space && out->len > start && run == i)
				strbuf_addch(out, ' ');
			space = 0;
			i++;
			continue;
		}
		/* Flush the pending run of plain text. */
		if (i > run) {
			if (space && out->len > start)
				strbuf_addch(out, ' ');
			space = 0;
			strbuf_add(out, md + run, i - run);
		}
		if (is_space)
			space = 1;
		i = run = skip_to;
	}
	if (i > run) {
		if (space && out->len > start)
			strbuf_addch(out, ' ');
		strbuf_add(out, md + run, i - run);
	}
}

#ifndef MARKDOWN_H
#define MARKDOWN_H
/*
 * CommonMark rendering with cmark 0.30.2 — the only file that includes
 * cmark.h.  Parsed once per issue; two renderers walk the same tree.
 *
 * The HTML renderer is for email clients: safe mode (raw HTML dropped,
 * javascript:/vbscript:/file:/data: links never reach the output — data:
 * images only for image/png|gif|jpeg|webp), inline styles on every element
 * (clients strip <style>), images max-width:100%, links absolute.
 *
 * The text renderer writes for reading: wrapped at `width` (≤ 72) columns
 * without breaking words or UTF-8 sequences, headings underlined (= for
 * level 1, - for level 2+), links as numbered references "[1]" listed at
 * the end ("[1] https://..."), lists with "- " / "1. " and hanging indent,
 * block quotes prefixed "> ", code blocks indented 4 spaces and not
 * wrapped, thematic breaks as a line of dashes.
 *
 * Template tags ({{...}}) in the Markdown survive both renderers unchanged
 * so the output can be compiled as a Mustache template afterwards (cmark
 * must not escape or wrap inside "{{ ... }}").
 */
#include <stddef.h>

struct strbuf;
struct markdown;

/* Parse (len ≤ ISSUE_MAX_BODY is the caller's job).  Never NULL. */
struct markdown *markdown_parse(const char *md, size_t len);
void markdown_free(struct markdown *m);

/* Append the email HTML fragment of the body to out. */
void markdown_render_html(const struct markdown *m, struct strbuf *out);
/* Append the plain-text rendering, wrapped at width columns. */
void markdown_render_text(const struct markdown *m, int width, struct strbuf *out);

/*
 * Lint hooks for `check`: called for each image (url, alt text possibly
 * empty) and link (url), with the source line.  Either callback may be NULL.
 */
struct markdown_visitor {
	void (*image)(void *data, const char *url, const char *alt, int line);
	void (*link)(void *data, const char *url, int line);
	void *data;
};
void markdown_visit(const struct markdown *m, const struct markdown_visitor *v);

#endif

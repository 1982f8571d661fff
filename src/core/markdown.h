#ifndef MARKDOWN_H
#define MARKDOWN_H
/*
 * CommonMark rendering with cmark 0.30.2 — the only file that includes
 * cmark.h.  Parsed once per issue; two renderers walk the same tree.
 *
 * The HTML renderer is for email clients and the archive page: safe mode
 * (raw HTML blocks and inline HTML are never emitted), the URL policy of
 * markdown_url_kind() (unsafe links render as their text, unsafe images as
 * their alt text), inline styles on every element (clients strip <style>)
 * sized for a 600 px column with a system font stack, images display:block
 * at the column's width (width:100%, and width="536" for Outlook), links
 * in a blue with 6:1 contrast on white and always underlined, so they stay
 * recognisable when a dark-mode client recolours them.  Text and attributes are HTML-escaped.
 *
 * The text renderer writes for reading: wrapped at `width` (≤ 72) columns
 * counting UTF-8 characters, never breaking a word or a template tag,
 * headings underlined (= for level 1, - for level 2+), *strong* and
 * _emphasis_, links as "text [1]" with "Links:" and "[1] https://..." at
 * the end (one number per distinct URL; autolinks stay as they are),
 * images as "[image: alt] [n]", lists with "- " / "1. " and hanging indent,
 * block quotes prefixed "> ", code blocks indented 4 spaces and not
 * wrapped, hard breaks kept, thematic breaks as a line of dashes, raw HTML
 * dropped.
 *
 * Template tags ({{...}}, {{{...}}}) in the Markdown survive both
 * renderers unchanged so the output can be compiled as a Mustache template
 * afterwards: in HTML text a tag made of names, dots, spaces and sigils is
 * copied verbatim (others are escaped like text); in link URLs a tag, also
 * when written %7B%7B...%7D%7D, is kept unencoded so personalised links
 * work.  Tags inside code spans and blocks are not protected from Mustache.
 */
#include <stddef.h>

struct strbuf;
struct markdown;

/*
 * cmark 0.30.2 spends time in proportion to the images opened ("![") times
 * the links closed after them in one paragraph (CVE-2023-22486, fixed in
 * cmark 0.30.3): 512 KiB of "![[]()" takes about a minute.  The estimate
 * is the sum over paragraphs (runs of non-blank lines, an upper bound of
 * what cmark parses as one inline run) of "![" count × ']' count; past
 * MARKDOWN_SHAPE_MAX (tens of milliseconds of parsing) the body is refused.
 * Real issues are many orders of magnitude below (a paragraph with 10
 * images and 100 links costs 1,000).  Block quotes nested deeper than
 * MARKDOWN_QUOTE_MAX are refused too: each level is an element with its
 * own inline style, so 512 KiB of "> " made 36 MB of HTML.
 * Returns 0, or -1 with *line the 1-based line where the paragraph that
 * goes over starts and the reason appended to why ("this paragraph
 * has ...; remove ...").
 */
#define MARKDOWN_SHAPE_MAX 20000000ULL
#define MARKDOWN_QUOTE_MAX 32
int markdown_shape_check(const char *md, size_t len, int *line, struct strbuf *why);

/* Parse (len ≤ ISSUE_MAX_BODY and markdown_shape_check are the caller's job).  Never NULL. */
struct markdown *markdown_parse(const char *md, size_t len);
void markdown_free(struct markdown *m);

/*
 * The local images (image.h): both renderers show each one's src
 * instead of the URL written, and the HTML gives it width and height
 * (at most the 600 px column wide, the height scaled) when its size is
 * known.  images must outlive the renders; NULL (the default) renders
 * URLs as written.
 */
struct image_map;
void markdown_set_images(struct markdown *m, const struct image_map *images);
/* Append the email HTML fragment of the body to out. */
void markdown_render_html(const struct markdown *m, struct strbuf *out);
/* Append the plain-text rendering, wrapped at width columns. */
void markdown_render_text(const struct markdown *m, int width, struct strbuf *out);

/*
 * URL policy shared by both renderers and `check`.  The scheme is read the
 * way browsers read it (leading/trailing spaces and controls stripped, tabs
 * and newlines inside ignored, case-insensitive).  ABSOLUTE: http, https,
 * mailto (and, when image is non-zero, data:image/png|gif|jpeg|webp);
 * RELATIVE: no scheme (path, "#anchor", "{{tag}}") — rendered, but `check`
 * flags it because email has no base URL; UNSAFE: any other scheme
 * (javascript:, vbscript:, file:, data:text/html, ...) — the renderers drop
 * the link and keep its text.
 */
enum markdown_url { MARKDOWN_URL_ABSOLUTE, MARKDOWN_URL_RELATIVE, MARKDOWN_URL_UNSAFE };
enum markdown_url markdown_url_kind(const char *url, int image);

/*
 * Lint hooks for `check`, called in document order with the body line
 * (1-based, relative to the Markdown).  Any callback may be NULL; zero-
 * initialise the struct so callbacks added later stay NULL.
 *   image: url and alt text (possibly "")
 *   link:  url and the link's plain text
 *   text:  each text node's literal (code spans and code blocks excluded)
 *   html:  raw HTML (dropped by the renderers)
 *   code:  a code block spanning lines first..last (fences included)
 */
struct markdown_visitor {
	void (*image)(void *data, const char *url, const char *alt, int line);
	void (*link)(void *data, const char *url, const char *text, int line);
	void (*text)(void *data, const char *text, int line);
	void (*html)(void *data, int line);
	void (*code)(void *data, int first, int last);
	void *data;
};
void markdown_visit(const struct markdown *m, const struct markdown_visitor *v);

#endif

/*
 * CommonMark → email HTML and → readable plain text, from one cmark tree.
 * This is the only file that includes cmark.h.
 *
 * We do not use cmark's own HTML renderer: email clients drop <style>, so
 * every element needs inline styles, and we want our own URL policy (the
 * same one `check` reports against) rather than cmark's.  Raw HTML nodes
 * are simply never emitted, whatever options are set.
 */
#include "base/common.h"
#include "core/markdown.h"
#include "core/image.h"
#include "base/utf8.h"
#include "base/strbuf.h"

#include <cmark.h>
#include <strings.h>

struct markdown {
	cmark_node *doc;
	const struct image_map *images;	/* local images, or NULL */
};

void markdown_set_images(struct markdown *m, const struct image_map *images)
{
	m->images = images;
}

/* What an image shows: the local image's src (image.h), else its URL. */
static const char *image_src(const struct markdown *m, const char *url,
			     const struct image_ref **ref)
{
	const struct image_ref *r = image_map_find(m->images, url);

	if (ref)
		*ref = r;
	return r ? r->src : url;
}

int markdown_shape_check(const char *md, size_t len, int *line, struct strbuf *why)
{
	unsigned long long total = 0;
	size_t i = 0, img = 0, br = 0, quotes = 0;
	int lineno = 1, start = 1, blank = 1, prefix = 1;

	for (i = 0; i <= len; i++) {
		char c = i < len ? md[i] : '\n';

		if (c == '\n') {
			if (blank || i == len) {
				/* The paragraph (if any) ends here. */
				total += (unsigned long long)img * br;
				if (total > MARKDOWN_SHAPE_MAX) {
					*line = start;
					strbuf_addf(why, "this paragraph has %zu images ('![') and %zu ']' "
						    "brackets: cmark would take seconds to minutes on it; remove "
						    "stray '![' or split the paragraph with blank lines", img, br);
					return -1;
				}
				img = br = 0;
			}
			lineno++;
			if (blank)
				start = lineno;
			blank = prefix = 1;
			quotes = 0;
			continue;
		}
		/* The line's leading '>'s (spaces between) are its block quote depth. */
		if (prefix && c == '>' && ++quotes > MARKDOWN_QUOTE_MAX) {
			*line = lineno;
			strbuf_addf(why, "block quotes nested over %d deep ('>' at the start of the "
				    "line); remove the extra '>'", MARKDOWN_QUOTE_MAX);
			return -1;
		}
		if (c != ' ' && c != '\t' && c != '>')
			prefix = 0;
		if (c != ' ' && c != '\t')
			blank = 0;
		if (c == ']')
			br++;
		else if (c == '[' && i > 0 && md[i - 1] == '!')
			img++;
	}
	return 0;
}

struct markdown *markdown_parse(const char *md, size_t len)
{
	struct markdown *m = xcalloc(1, sizeof(*m));

	/* CMARK_OPT_DEFAULT is safe mode in 0.30 (no CMARK_OPT_UNSAFE). */
	m->doc = cmark_parse_document(md, len, CMARK_OPT_DEFAULT | CMARK_OPT_SMART);
	if (!m->doc)
		BUG("cmark_parse_document returned NULL");
	/*
	 * "{{first_name}}" arrives as three text nodes ("{{first", "_",
	 * "name}}"); merged, a template tag is always inside one node.
	 */
	cmark_consolidate_text_nodes(m->doc);
	return m;
}

void markdown_free(struct markdown *m)
{
	if (!m)
		return;
	cmark_node_free(m->doc);
	free(m);
}

/* ------------------------------------------------------------------ URLs */

/*
 * Classify a URL the way a browser's URL parser would see its scheme
 * (WHATWG URL: leading/trailing C0 controls and spaces are stripped, ASCII
 * tab and newline removed anywhere, the scheme compared case-insensitively).
 */
enum markdown_url markdown_url_kind(const char *url, int image)
{
	char scheme[16];
	size_t n = 0, i, len = strlen(url), start = 0;

	while (start < len && (unsigned char)url[start] <= 0x20)
		start++;
	while (len > start && (unsigned char)url[len - 1] <= 0x20)
		len--;
	if (start == len)
		return MARKDOWN_URL_RELATIVE;
	for (i = start; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == ':')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (n && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
			return MARKDOWN_URL_RELATIVE;	/* no scheme: path, ?query, #fragment */
		if (n + 1 < sizeof(scheme))
			scheme[n] = (char)(c | 0x20);
		n++;
	}
	if (i == len || !n)
		return MARKDOWN_URL_RELATIVE;
	if (n >= sizeof(scheme))
		return MARKDOWN_URL_UNSAFE;
	scheme[n] = '\0';
	if (!strcmp(scheme, "http") || !strcmp(scheme, "https") || !strcmp(scheme, "mailto"))
		return MARKDOWN_URL_ABSOLUTE;
	if (image && !strcmp(scheme, "data")) {
		static const char *const ok[] = { "image/png", "image/gif", "image/jpeg", "image/webp" };
		struct strbuf rest = STRBUF_INIT;
		size_t k;
		int r = MARKDOWN_URL_UNSAFE;

		for (k = i + 1; k < len; k++)
			if (url[k] != '\t' && url[k] != '\n' && url[k] != '\r')
				strbuf_addch(&rest, url[k] >= 'A' && url[k] <= 'Z' ? url[k] | 0x20 : url[k]);
		for (k = 0; k < ARRAY_SIZE(ok); k++) {
			size_t l = strlen(ok[k]);

			if (!strncmp(rest.buf, ok[k], l) && (rest.buf[l] == ';' || rest.buf[l] == ','))
				r = MARKDOWN_URL_ABSOLUTE;
		}
		strbuf_release(&rest);
		return r;
	}
	/* A template tag as the whole URL ("{{unsubscribe_url}}") has no ':' and is relative above. */
	return MARKDOWN_URL_UNSAFE;
}

/* Length of a template tag "{{...}}" / "{{{...}}}" at s (no newline inside), or 0. */
static size_t tag_len(const char *s, size_t len)
{
	size_t i;

	if (len < 4 || s[0] != '{' || s[1] != '{')
		return 0;
	for (i = 2; i + 1 < len; i++) {
		if (s[i] == '\n')
			return 0;
		if (s[i] == '}' && s[i + 1] == '}') {
			if (s[2] == '{' && i + 2 < len && s[i + 2] == '}')
				return i + 3;
			return i + 2;
		}
		if (i > 200)
			return 0;
	}
	return 0;
}

/*
 * A tag is emitted verbatim (for the Mustache pass that follows) only when
 * it holds nothing that HTML would interpret: names, dots, sigils.  Any
 * other "{{...}}" is escaped like ordinary text.
 */
static int tag_is_plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("{}_.-#^/!&> ", c) || c >= 0x80))
			return 0;
	}
	return 1;
}

static void add_text_html(struct strbuf *out, const char *s, size_t len)
{
	size_t i = 0, start = 0, t;

	while (i < len) {
		if (s[i] == '{' && (t = tag_len(s + i, len - i)) && tag_is_plain(s + i, t)) {
			strbuf_add_html_escaped(out, s + start, i - start);
			strbuf_add(out, s + i, t);
			i += t;
			start = i;
		} else {
			i++;
		}
	}
	strbuf_add_html_escaped(out, s + start, len - start);
}

/*
 * Write url into an href/src attribute: percent-encode what is not URL-safe
 * (as cmark's houdini_escape_href does), HTML-escape & and ', and keep
 * template tags ("{{x}}", also when written "%7B%7Bx%7D%7D") verbatim so
 * personalised links still work after the Mustache pass.
 */
/* Undo a previous percent-encoding of braces (%7B → {, %7D → }) so "{{tag}}" is whole again. */
static void decode_braces(struct strbuf *u, const char *url)
{
	size_t i;

	for (i = 0; url[i]; i++) {
		if (url[i] == '%' && hexval(url[i + 1]) == 7 &&
		    (url[i + 2] == 'B' || url[i + 2] == 'b' || url[i + 2] == 'D' || url[i + 2] == 'd')) {
			strbuf_addch(u, (url[i + 2] | 0x20) == 'b' ? '{' : '}');
			i += 2;
		} else {
			strbuf_addch(u, url[i]);
		}
	}
}

static void add_url_attr(struct strbuf *out, const char *url)
{
	static const char safe[] = "-_.~!*'();:@&=+$,/?#[]%";
	struct strbuf u = STRBUF_INIT;
	size_t i, t, len;

	decode_braces(&u, url);
	len = u.len;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)u.buf[i];

		if (c == '{' && (t = tag_len(u.buf + i, len - i)) && tag_is_plain(u.buf + i, t) &&
		    !memchr(u.buf + i, ' ', t)) {
			strbuf_add(out, u.buf + i, t);
			i += t - 1;
		} else if (c == '&') {
			strbuf_addstr(out, "&amp;");
		} else if (c == '\'') {
			strbuf_addstr(out, "&#x27;");
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c && strchr(safe, c))) {
			strbuf_addch(out, (char)c);
		} else {
			strbuf_addf(out, "%%%02X", c);
		}
	}
	strbuf_release(&u);
}

/* The plain text of a node's inline children (image alt text, link text). */
static void plain_text(cmark_node *node, struct strbuf *out)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			strbuf_addstr(out, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			strbuf_addch(out, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/* ------------------------------------------------------------------ HTML */

/*
 * Styles for a 600 px column.  Colours: body text is left to the template
 * (so clients that invert for dark mode can); the link blue #1a5fb4 has
 * 6.3:1 contrast on white and links are always underlined, so they stay
 * recognisable when a client recolours them.
 */
#define FONT "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
/* The headings' face: the e-mail template's title and the archive's (style.css --heading-font). */
#define HEADING_FONT "font-family:Georgia,'Times New Roman',serif;"
#define MONO "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;"
static const char st_p[] = FONT "font-size:16px;line-height:1.6;margin:0 0 16px 0;";
/* The last paragraph of a quote or list item: the container has the spacing. */
static const char st_p_last[] = FONT "font-size:16px;line-height:1.6;margin:0;";
static const char *const st_h[] = {
	HEADING_FONT "font-size:26px;line-height:1.25;font-weight:700;margin:28px 0 12px 0;",
	HEADING_FONT "font-size:21px;line-height:1.3;font-weight:700;margin:24px 0 10px 0;",
	HEADING_FONT "font-size:18px;line-height:1.35;font-weight:700;margin:20px 0 8px 0;",
	HEADING_FONT "font-size:16px;line-height:1.4;font-weight:700;margin:16px 0 8px 0;",
};
static const char st_a[] = "color:#1a5fb4;text-decoration:underline;";
static const char st_list[] = FONT "font-size:16px;line-height:1.6;margin:0 0 16px 0;padding:0 0 0 24px;";
static const char st_li[] = "margin:0 0 6px 0;";
static const char st_quote[] = "margin:0 0 16px 0;padding:4px 0 4px 16px;border-left:4px solid #b8c2cc;color:#4a5563;font-style:italic;";
static const char st_pre[] = MONO "font-size:14px;line-height:1.45;margin:0 0 16px 0;padding:12px;background-color:#f3f4f6;color:#1f2328;border-radius:4px;white-space:pre-wrap;word-wrap:break-word;overflow-x:auto;";
static const char st_code[] = MONO "font-size:0.9em;background-color:#f3f4f6;color:#1f2328;padding:1px 4px;border-radius:3px;";
/*
 * Images fill the text column.  Outlook for Windows ignores max-width and
 * reads the width attribute: the text column, 600 px less the template's
 * 32 px padding on each side.  The CSS width is a percentage, not only
 * max-width: an image the client has not loaded (many block images until
 * asked) is drawn as a box of the attribute's width, which max-width does
 * not shrink inside the layout tables, and pushed the message past a
 * phone's screen.  An image narrower than the column (a logo) keeps its
 * own width, so only max-width applies to it.
 */
static const char st_img[] = "max-width:100%;height:auto;border:0;outline:none;margin:0 0 16px 0;";
#define IMG_WIDTH 536
static const char st_hr[] = "border:0;border-top:1px solid #d0d7de;height:0;margin:24px 0;";

/* In a tight list, paragraphs in items render without <p> (as cmark does). */
static int in_tight_list(cmark_node *para)
{
	cmark_node *item = cmark_node_parent(para);
	cmark_node *list = item ? cmark_node_parent(item) : NULL;

	return list && cmark_node_get_type(item) == CMARK_NODE_ITEM &&
	       cmark_node_get_list_tight(list);
}

/*
 * The width (and, when the file is known, the height) a client lays out
 * before the image loads, and the style: Outlook (Word's engine) ignores
 * max-width and uses the attributes, so an image wider than the column,
 * or of unknown size (on a web server), gets the column's width, its
 * height scaled; a smaller one keeps its size.  Ends the tag.
 */
static void html_image_size(const struct image_ref *r, struct strbuf *out)
{
	unsigned long w = IMG_WIDTH, h = 0;

	if (r && r->width && r->height) {
		w = r->width;
		h = r->height;
		if (w > IMG_WIDTH) {
			h = (h * IMG_WIDTH + w / 2) / w;
			w = IMG_WIDTH;
		}
	}
	strbuf_addf(out, " width=\"%lu\"", w);
	if (r && r->width && r->height)
		strbuf_addf(out, " height=\"%lu\"", h ? h : 1);
	strbuf_addf(out, " style=\"display:block;%s%s\">", w < IMG_WIDTH ? "" : "width:100%;", st_img);
}

static void html_image(const struct markdown *m, cmark_node *n, struct strbuf *out)
{
	const struct image_ref *ref;
	const char *url = image_src(m, cmark_node_get_url(n), &ref);
	const char *title = cmark_node_get_title(n);
	struct strbuf alt = STRBUF_INIT;

	plain_text(n, &alt);
	if (markdown_url_kind(url, 1) == MARKDOWN_URL_UNSAFE) {
		/* Keep what the reader should know: the alt text. */
		add_text_html(out, alt.buf, alt.len);
	} else {
		strbuf_addstr(out, "<img src=\"");
		add_url_attr(out, url);
		strbuf_addstr(out, "\" alt=\"");
		add_text_html(out, alt.buf, alt.len);
		strbuf_addch(out, '"');
		if (title && *title) {
			strbuf_addstr(out, " title=\"");
			add_text_html(out, title, strlen(title));
			strbuf_addch(out, '"');
		}
		html_image_size(ref, out);
	}
	strbuf_release(&alt);
}

void markdown_render_html(const struct markdown *m, struct strbuf *out)
{
	cmark_iter *it = cmark_iter_new(m->doc);
	cmark_event_type ev;
	/* Per open link: was an <a> emitted (unsafe links render text only)? */
	unsigned char *link_open = NULL;
	size_t nlinks = 0, alloc = 0;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		int enter = ev == CMARK_EVENT_ENTER;
		const char *lit;

		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_DOCUMENT:
			break;
		case CMARK_NODE_PARAGRAPH:
			if (in_tight_list(n)) {
				if (!enter && cmark_node_next(n))
					strbuf_addch(out, '\n');
				break;
			}
			if (!enter) {
				strbuf_addstr(out, "</p>\n");
			} else {
				cmark_node *up = cmark_node_parent(n);
				int last = !cmark_node_next(n) && up &&
					   (cmark_node_get_type(up) == CMARK_NODE_BLOCK_QUOTE ||
					    cmark_node_get_type(up) == CMARK_NODE_ITEM);

				strbuf_addf(out, "<p style=\"%s\">", last ? st_p_last : st_p);
			}
			break;
		case CMARK_NODE_HEADING: {
			int level = cmark_node_get_heading_level(n);
			const char *st = st_h[level > 4 ? 3 : level - 1];

			if (enter)
				strbuf_addf(out, "<h%d style=\"%s\">", level, st);
			else
				strbuf_addf(out, "</h%d>\n", level);
			break;
		}
		case CMARK_NODE_BLOCK_QUOTE:
			if (enter)
				strbuf_addf(out, "<blockquote style=\"%s\">\n", st_quote);
			else
				strbuf_addstr(out, "</blockquote>\n");
			break;
		case CMARK_NODE_LIST: {
			int ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;

			if (!enter) {
				strbuf_addstr(out, ordered ? "</ol>\n" : "</ul>\n");
				break;
			}
			strbuf_addstr(out, ordered ? "<ol" : "<ul");
			if (ordered && cmark_node_get_list_start(n) != 1)
				strbuf_addf(out, " start=\"%d\"", cmark_node_get_list_start(n));
			strbuf_addf(out, " style=\"%s\">\n", st_list);
			break;
		}
		case CMARK_NODE_ITEM:
			if (enter)
				strbuf_addf(out, "<li style=\"%s\">", st_li);
			else
				strbuf_addstr(out, "</li>\n");
			break;
		case CMARK_NODE_CODE_BLOCK:
			lit = cmark_node_get_literal(n);
			strbuf_addf(out, "<pre style=\"%s\"><code>", st_pre);
			strbuf_add_html_escaped(out, lit, strlen(lit));
			strbuf_addstr(out, "</code></pre>\n");
			break;
		case CMARK_NODE_THEMATIC_BREAK:
			strbuf_addf(out, "<hr style=\"%s\">\n", st_hr);
			break;
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_CUSTOM_BLOCK:
		case CMARK_NODE_CUSTOM_INLINE:
			/* Raw HTML never reaches the output (DESIGN: safe mode). */
			break;
		case CMARK_NODE_TEXT:
			lit = cmark_node_get_literal(n);
			add_text_html(out, lit, strlen(lit));
			break;
		case CMARK_NODE_SOFTBREAK:
			strbuf_addch(out, '\n');
			break;
		case CMARK_NODE_LINEBREAK:
			strbuf_addstr(out, "<br>\n");
			break;
		case CMARK_NODE_CODE:
			lit = cmark_node_get_literal(n);
			strbuf_addf(out, "<code style=\"%s\">", st_code);
			strbuf_add_html_escaped(out, lit, strlen(lit));
			strbuf_addstr(out, "</code>");
			break;
		case CMARK_NODE_EMPH:
			strbuf_addstr(out, enter ? "<em>" : "</em>");
			break;
		case CMARK_NODE_STRONG:
			strbuf_addstr(out, enter ? "<strong>" : "</strong>");
			break;
		case CMARK_NODE_LINK:
			if (enter) {
				const char *url = cmark_node_get_url(n);
				const char *title = cmark_node_get_title(n);
				int safe = markdown_url_kind(url, 0) != MARKDOWN_URL_UNSAFE;

				ALLOC_GROW(link_open, nlinks + 1, alloc);
				link_open[nlinks++] = (unsigned char)safe;
				if (!safe)
					break;
				strbuf_addstr(out, "<a href=\"");
				add_url_attr(out, url);
				strbuf_addch(out, '"');
				if (title && *title) {
					strbuf_addstr(out, " title=\"");
					add_text_html(out, title, strlen(title));
					strbuf_addch(out, '"');
				}
				strbuf_addf(out, " style=\"%s\">", st_a);
			} else if (nlinks && link_open[--nlinks]) {
				strbuf_addstr(out, "</a>");
			}
			break;
		case CMARK_NODE_IMAGE:
			html_image(m, n, out);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		default:
			break;
		}
	}
	free(link_open);
	cmark_iter_free(it);
}

/* ------------------------------------------------------------------ text */

struct level {
	char *first, *rest;	/* prefix for the first line, then for the others */
	int used;
};

struct text {
	struct strbuf *out;
	int width;
	struct level *lv;
	size_t nlv, alv;
	char **refs;		/* link references, [1] is refs[0] */
	size_t nrefs, arefs;
	size_t *slots;		/* open-addressing index into refs (value = index + 1) */
	size_t nslots;
	const struct markdown *m;	/* for the local images' URLs */
};

/*
 * Width as the reader will see it: section, inverted-section, closing and
 * comment tags ({{#x}} {{^x}} {{/x}} {{!x}}) render as nothing, so they take
 * no room; a variable tag counts as written, a fair guess for a name.
 */
static size_t text_width(const char *s, size_t len)
{
	size_t i = 0, w = 0, tl;

	while (i < len) {
		if (s[i] == '{' && (tl = tag_len(s + i, len - i))) {
			size_t k = 2;

			while (k < tl && (s[i + k] == '{' || s[i + k] == ' '))
				k++;
			if (strchr("#^/!", s[i + k])) {
				i += tl;
				continue;
			}
			w += utf8_width(s + i, tl);
			i += tl;
			continue;
		}
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
		i++;
	}
	return w;
}

static void push_level(struct text *t, const char *first, const char *rest)
{
	ALLOC_GROW(t->lv, t->nlv + 1, t->alv);
	t->lv[t->nlv].first = xstrdup(first);
	t->lv[t->nlv].rest = xstrdup(rest);
	t->lv[t->nlv].used = 0;
	t->nlv++;
}

static void pop_level(struct text *t)
{
	t->nlv--;
	free(t->lv[t->nlv].first);
	free(t->lv[t->nlv].rest);
}

/* Width left for text after the prefix of the next line. */
static int avail(const struct text *t)
{
	size_t i, w = 0;
	int a;

	for (i = 0; i < t->nlv; i++) {
		const char *p = t->lv[i].used ? t->lv[i].rest : t->lv[i].first;

		w += utf8_width(p, strlen(p));
	}
	a = t->width - (int)w;
	/* Deeply nested text still gets a usable line. */
	if (a < 10)
		a = t->width < 10 ? t->width : 10;
	return a < 1 ? 1 : a;
}

/* Emit one line (without '\n') with the current prefixes; no trailing spaces. */
static void emit_line(struct text *t, const char *s, size_t len)
{
	size_t i, mark = t->out->len;

	for (i = 0; i < t->nlv; i++) {
		strbuf_addstr(t->out, t->lv[i].used ? t->lv[i].rest : t->lv[i].first);
		t->lv[i].used = 1;
	}
	strbuf_add(t->out, s, len);
	while (t->out->len > mark && t->out->buf[t->out->len - 1] == ' ')
		t->out->len--;
	t->out->buf[t->out->len] = '\0';
	strbuf_addch(t->out, '\n');
}

/* FNV-1a */
static size_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static int add_ref(struct text *t, const char *raw)
{
	struct strbuf u = STRBUF_INIT;
	const char *url;
	size_t i;

	decode_braces(&u, raw);
	url = u.buf;

	/* An index keeps a body of thousands of links linear. */
	if ((t->nrefs + 1) * 2 > t->nslots) {
		size_t n = t->nslots ? t->nslots * 2 : 64;

		free(t->slots);
		t->slots = xcalloc(n, sizeof(*t->slots));
		t->nslots = n;
		for (i = 0; i < t->nrefs; i++) {
			size_t h = str_hash(t->refs[i]) & (n - 1);

			while (t->slots[h])
				h = (h + 1) & (n - 1);
			t->slots[h] = i + 1;
		}
	}
	for (i = str_hash(url) & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1))
		if (!strcmp(t->refs[t->slots[i] - 1], url)) {
			strbuf_release(&u);
			return (int)t->slots[i];
		}
	ALLOC_GROW(t->refs, t->nrefs + 1, t->arefs);
	t->refs[t->nrefs++] = strbuf_detach(&u, NULL);
	t->slots[i] = t->nrefs;
	return (int)t->nrefs;
}

/*
 * The inline content of a leaf block as one string: soft breaks become
 * spaces, hard breaks '\n'; links become "text [n]".
 */
static void inline_text(struct text *t, cmark_node *block, struct strbuf *s)
{
	cmark_iter *it = cmark_iter_new(block);
	cmark_event_type ev;
	size_t *link_start = NULL, nls = 0, als = 0;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		int enter = ev == CMARK_EVENT_ENTER;

		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			strbuf_addstr(s, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
			strbuf_addch(s, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			strbuf_addch(s, '\n');
			break;
		case CMARK_NODE_STRONG:
			strbuf_addch(s, '*');
			break;
		case CMARK_NODE_EMPH:
			strbuf_addch(s, '_');
			break;
		case CMARK_NODE_LINK: {
			const char *url = cmark_node_get_url(n);
			const char *text;

			if (enter) {
				ALLOC_GROW(link_start, nls + 1, als);
				link_start[nls++] = s->len;
				break;
			}
			text = s->buf + link_start[--nls];
			if (markdown_url_kind(url, 0) == MARKDOWN_URL_UNSAFE || !*url)
				break;
			/* Autolinks: the text already is the URL. */
			if (!strcmp(text, url) ||
			    (!strncmp(url, "mailto:", 7) && !strcmp(text, url + 7)))
				break;
			strbuf_addf(s, " [%d]", add_ref(t, url));
			break;
		}
		case CMARK_NODE_IMAGE: {
			const char *url = image_src(t->m, cmark_node_get_url(n), NULL);
			struct strbuf alt = STRBUF_INIT;

			plain_text(n, &alt);
			strbuf_addstr(s, "[image");
			if (alt.len) {
				strbuf_addstr(s, ": ");
				strbuf_addbuf(s, &alt);
			}
			strbuf_addch(s, ']');
			if (markdown_url_kind(url, 1) != MARKDOWN_URL_UNSAFE && *url &&
			    strncasecmp(url, "data:", 5))
				strbuf_addf(s, " [%d]", add_ref(t, url));
			strbuf_release(&alt);
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		}
		default:
			break;
		}
	}
	free(link_start);
	cmark_iter_free(it);
}

/*
 * Greedy wrap of s at the available width.  Words are runs without spaces;
 * a template tag, spaces and all, is one word; a word wider than the line
 * stands alone on its line, unbroken.  '\n' forces a break.  Returns the
 * widest line's width.
 */
static size_t wrap(struct text *t, const char *s, size_t len)
{
	struct strbuf line = STRBUF_INIT;
	size_t i = 0, lw = 0, maxw = 0;

	while (i <= len) {
		size_t ws, we, w;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= len || s[i] == '\n') {
			if (line.len || i < len) {
				emit_line(t, line.buf, line.len);
				maxw = lw > maxw ? lw : maxw;
			}
			strbuf_reset(&line);
			lw = 0;
			if (i >= len)
				break;
			i++;
			continue;
		}
		ws = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') {
			size_t tl = s[i] == '{' ? tag_len(s + i, len - i) : 0;

			i += tl ? tl : 1;
		}
		we = i;
		w = text_width(s + ws, we - ws);
		if (line.len && lw + 1 + w > (size_t)avail(t)) {
			emit_line(t, line.buf, line.len);
			maxw = lw > maxw ? lw : maxw;
			strbuf_reset(&line);
			lw = 0;
		}
		if (line.len) {
			strbuf_addch(&line, ' ');
			lw++;
		}
		strbuf_add(&line, s + ws, we - ws);
		lw += w;
	}
	strbuf_release(&line);
	return maxw;
}

static void text_blocks(struct text *t, cmark_node *parent, int depth);

static void blank_line(struct text *t)
{
	emit_line(t, "", 0);
}

static void text_block(struct text *t, cmark_node *n, int depth)
{
	struct strbuf s = STRBUF_INIT;

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		inline_text(t, n, &s);
		wrap(t, s.buf, s.len);
		break;
	case CMARK_NODE_HEADING: {
		size_t w;

		inline_text(t, n, &s);
		w = wrap(t, s.buf, s.len);
		if (w) {
			strbuf_reset(&s);
			strbuf_addchars(&s, cmark_node_get_heading_level(n) == 1 ? '=' : '-', w);
			emit_line(t, s.buf, s.len);
		}
		break;
	}
	case CMARK_NODE_CODE_BLOCK: {
		const char *p = cmark_node_get_literal(n), *eol;

		for (; *p; p = eol + 1) {
			eol = strchr(p, '\n');
			if (!eol)
				eol = p + strlen(p);
			strbuf_reset(&s);
			strbuf_addstr(&s, "    ");
			strbuf_add(&s, p, (size_t)(eol - p));
			emit_line(t, s.buf, s.len);
			if (!*eol)
				break;
		}
		break;
	}
	case CMARK_NODE_THEMATIC_BREAK:
		strbuf_addchars(&s, '-', (size_t)avail(t));
		emit_line(t, s.buf, s.len);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		push_level(t, "> ", "> ");
		text_blocks(t, n, depth + 1);
		pop_level(t);
		break;
	case CMARK_NODE_LIST: {
		int ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
		int num = cmark_node_get_list_start(n), count = 0, last;
		char delim = cmark_node_get_list_delim(n) == CMARK_PAREN_DELIM ? ')' : '.';
		int tight = cmark_node_get_list_tight(n);
		size_t mw;
		cmark_node *item;
		char marker[32], pad[32];

		for (item = cmark_node_first_child(n); item; item = cmark_node_next(item))
			count++;
		last = num + (count ? count - 1 : 0);
		mw = ordered ? (size_t)snprintf(marker, sizeof(marker), "%d%c ", last, delim) : 2;
		memset(pad, ' ', mw);
		pad[mw] = '\0';
		for (item = cmark_node_first_child(n); item; item = cmark_node_next(item), num++) {
			if (item != cmark_node_first_child(n) && !tight)
				blank_line(t);
			if (ordered)
				snprintf(marker, sizeof(marker), "%d%c%-*s", num, delim,
					 (int)(mw - (size_t)snprintf(NULL, 0, "%d%c", num, delim)), "");
			else
				snprintf(marker, sizeof(marker), "- ");
			push_level(t, marker, pad);
			if (!cmark_node_first_child(item))
				emit_line(t, "", 0);
			text_blocks(t, item, depth + 1);
			pop_level(t);
		}
		break;
	}
	case CMARK_NODE_ITEM:
		text_blocks(t, n, depth + 1);
		break;
	default:
		/* HTML blocks: dropped, as in the HTML part. */
		break;
	}
	strbuf_release(&s);
}

static int renders_something(cmark_node *n)
{
	return cmark_node_get_type(n) != CMARK_NODE_HTML_BLOCK &&
	       cmark_node_get_type(n) != CMARK_NODE_CUSTOM_BLOCK;
}

static void text_blocks(struct text *t, cmark_node *parent, int depth)
{
	cmark_node *n, *parent_list = NULL;
	int first = 1, tight = 0;

	if (cmark_node_get_type(parent) == CMARK_NODE_ITEM) {
		parent_list = cmark_node_parent(parent);
		tight = parent_list && cmark_node_get_list_tight(parent_list);
	}
	/*
	 * Absurd nesting (">>>>>>..." thousands deep) would recurse without
	 * bound: past a sane depth, flatten the rest into one paragraph.
	 */
	if (depth > 48) {
		struct strbuf s = STRBUF_INIT;

		plain_text(parent, &s);
		wrap(t, s.buf, s.len);
		strbuf_release(&s);
		return;
	}
	for (n = cmark_node_first_child(parent); n; n = cmark_node_next(n)) {
		if (!renders_something(n))
			continue;
		if (!first && !tight)
			blank_line(t);
		first = 0;
		text_block(t, n, depth);
	}
}

void markdown_render_text(const struct markdown *m, int width, struct strbuf *out)
{
	struct text t = { out, width > 0 ? width : 72, NULL, 0, 0, NULL, 0, 0, NULL, 0, m };
	size_t i;

	text_blocks(&t, m->doc, 0);
	if (t.nrefs) {
		strbuf_addstr(out, "\nLinks:\n");
		for (i = 0; i < t.nrefs; i++) {
			strbuf_addf(out, "[%zu] %s\n", i + 1, t.refs[i]);
			free(t.refs[i]);
		}
	}
	free(t.refs);
	free(t.slots);
	free(t.lv);
}

/* ------------------------------------------------------------------ visit */

/*
 * cmark 0.30 gives inline nodes no source line, so count the line endings
 * (soft and hard breaks) since the start of their leaf block.
 */
void markdown_visit(const struct markdown *m, const struct markdown_visitor *v)
{
	cmark_iter *it = cmark_iter_new(m->doc);
	cmark_event_type ev;
	int line = 1;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(n);

		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (type < CMARK_NODE_FIRST_INLINE || type > CMARK_NODE_LAST_INLINE) {
			line = cmark_node_get_start_line(n);
			if (type == CMARK_NODE_HTML_BLOCK && v->html)
				v->html(v->data, line);
			if (type == CMARK_NODE_CODE_BLOCK && v->code)
				v->code(v->data, line, cmark_node_get_end_line(n));
			continue;
		}
		switch (type) {
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			line++;
			break;
		case CMARK_NODE_TEXT:
			if (v->text)
				v->text(v->data, cmark_node_get_literal(n), line);
			break;
		case CMARK_NODE_HTML_INLINE:
			if (v->html)
				v->html(v->data, line);
			break;
		case CMARK_NODE_LINK:
			if (v->link) {
				struct strbuf s = STRBUF_INIT;

				plain_text(n, &s);
				v->link(v->data, cmark_node_get_url(n), s.buf, line);
				strbuf_release(&s);
			}
			break;
		case CMARK_NODE_IMAGE:
			if (v->image) {
				struct strbuf alt = STRBUF_INIT;

				plain_text(n, &alt);
				v->image(v->data, cmark_node_get_url(n), alt.buf, line);
				strbuf_release(&alt);
			}
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/*
 * Pre-send checks.  Source-line checks (placeholders, pipe tables) skip
 * code blocks, which may legitimately contain anything; tree checks (links,
 * images, ~~, [^1], raw HTML) use markdown_visit so code spans never count.
 * Lines are file lines: a body line L is file line L + body_line - 1.
 */
#include "base/common.h"
#include "core/lint.h"
#include "core/image.h"
#include "core/issue.h"
#include "core/markdown.h"
#include "base/strbuf.h"

#include <ctype.h>
#include <strings.h>

void lint_release(struct lint *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].message);
		free(l->v[i].hint);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
	l->dropped[LINT_ERROR] = l->dropped[LINT_WARNING] = 0;
}

void lint_add(struct lint *l, const char *file, int line, enum lint_level level,
	      const char *hint, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct lint_finding *f;
	va_list ap;

	if (l->n >= LINT_MAX) {
		l->dropped[level]++;
		return;
	}
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	f = &l->v[l->n++];
	f->file = file ? xstrdup(file) : NULL;
	f->line = line;
	f->level = level;
	f->message = strbuf_detach(&sb, NULL);
	f->hint = hint ? xstrdup(hint) : NULL;
}

/* A shortened, printable copy of a URL for messages. */
static void add_short(struct strbuf *sb, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < 60; i++)
		strbuf_addch(sb, (unsigned char)s[i] < 0x20 ? '?' : s[i]);
	if (s[i])
		strbuf_addstr(sb, "...");
}

struct ctx {
	struct lint *l;
	const struct issue *is;
	int off;		/* body line → file line */
	int *code;		/* pairs of code block line ranges (body lines) */
	size_t ncode, acode;
};

static void check_url(struct ctx *c, const char *url, int line, int image)
{
	struct strbuf u = STRBUF_INIT;
	const char *what = image ? "image" : "link";

	add_short(&u, url);
	if (!*url) {
		lint_add(c->l, NULL, line, LINT_ERROR, image ? "![description](https://...)" : "[text](https://...)",
			 "%s has no address", what);
	} else if (markdown_url_kind(url, image) == MARKDOWN_URL_UNSAFE) {
		lint_add(c->l, NULL, line, LINT_ERROR, "use an https:// or mailto: address",
			 "%s '%s' has an unsafe or unsupported scheme and is removed from the email", what, u.buf);
	} else if (markdown_url_kind(url, image) == MARKDOWN_URL_RELATIVE) {
		/* A whole URL from a template variable is filled in per recipient. */
		if (!strncmp(url, "{{", 2) || !strncmp(url, "%7B%7B", 6) || !strncmp(url, "%7b%7b", 6))
			;
		/* issues/assets/NAME: published by the archive, checked by lint_images. */
		else if (image && image_local(url, NULL, NULL))
			;
		else if (url[0] == '#')
			lint_add(c->l, NULL, line, LINT_WARNING, "most email clients ignore in-page links; link to the archive page instead",
				 "anchor link '%s'", u.buf);
		else
			lint_add(c->l, NULL, line, LINT_ERROR,
				 image ? "put the file in issues/assets/ and write ![...](assets/NAME), "
					 "or write the full address, e.g. https://news.example.org/..."
				       : "write the full address, e.g. https://news.example.org/...",
				 "relative %s '%s' does not work in email (there is no base URL)", what, u.buf);
	} else if (image && !strncasecmp(url, "data:", 5)) {
		lint_add(c->l, NULL, line, LINT_WARNING, "host the image and link it with https://",
			 "data: image: Gmail and Outlook do not show embedded data: images");
	}
	strbuf_release(&u);
}

static void v_image(void *data, const char *url, const char *alt, int line)
{
	struct ctx *c = data;
	const char *p = alt;

	line += c->off;
	check_url(c, url, line, 1);
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p)
		lint_add(c->l, NULL, line, LINT_WARNING,
			 "describe it: ![Short description](url); screen readers and clients that block images show only this",
			 "image without alt text");
}

static void v_link(void *data, const char *url, const char *text, int line)
{
	struct ctx *c = data;

	line += c->off;
	/* "[^1]: https://..." is a link reference definition, so [^1] became a link. */
	if (text[0] == '^') {
		lint_add(c->l, NULL, line, LINT_WARNING,
			 "CommonMark has no footnotes; write the note inline, in parentheses",
			 "footnote '[%s]' will show as a link, not a footnote", text);
		return;
	}
	check_url(c, url, line, 0);
}

static void v_text(void *data, const char *text, int line)
{
	struct ctx *c = data;
	const char *p, *q;

	line += c->off;
	/* ~~strike~~: GitHub renders it, CommonMark (cmark) shows the tildes. */
	if ((p = strstr(text, "~~")) && p[2] && p[2] != ' ' && (q = strstr(p + 2, "~~")) && q[-1] != ' ')
		lint_add(c->l, NULL, line, LINT_WARNING,
			 "use *emphasis*, or remove the text; strikethrough is not CommonMark",
			 "'~~' will show literally: CommonMark has no strikethrough");
	/*
	 * Linear time: a label holds no '[', so the scans stay disjoint (and
	 * no strstr from each match: ASan's measures the whole rest each call).
	 */
	for (p = text; (p = strchr(p, '[')); p++) {
		if (p[1] != '^')
			continue;
		q = p + 2;
		while (*q && *q != ']' && *q != ' ' && *q != '[')
			q++;
		if (*q == ']' && q > p + 2) {
			lint_add(c->l, NULL, line, LINT_WARNING,
				 "CommonMark has no footnotes; write the note inline, in parentheses",
				 "footnote '%.*s' will show literally", (int)(q - p + 1), p);
			break;
		}
	}
}

static void v_html(void *data, int line)
{
	struct ctx *c = data;

	lint_add(c->l, NULL, line + c->off, LINT_WARNING,
		 "use Markdown instead: **bold**, [text](https://...), ![alt](https://...)",
		 "raw HTML is removed from the email");
}

static void v_code(void *data, int first, int last)
{
	struct ctx *c = data;

	ALLOC_GROW(c->code, c->ncode + 2, c->acode);
	c->code[c->ncode++] = first;
	c->code[c->ncode++] = last;
}

static int in_code(const struct ctx *c, int line)
{
	size_t i;

	for (i = 0; i < c->ncode; i += 2)
		if (line >= c->code[i] && line <= c->code[i + 1])
			return 1;
	return 0;
}

static int word_char(unsigned char ch)
{
	return isalnum(ch) || ch == '_' || ch >= 0x80;
}

/* Placeholders an editor leaves to come back to: whole words, "TK" as in journalism. */
static void check_placeholders(struct lint *l, const char *s, size_t len, int line, const char *where)
{
	/* Not "XXX" (a congress numbered in Roman numerals) nor "TBD" (a fair thing to tell readers). */
	static const char *const words[] = { "TK", "TODO", "FIXME" };
	unsigned seen = 0;	/* each placeholder reported once per line */
	size_t i, k;

	for (i = 0; i < len; i++) {
		if (i && word_char((unsigned char)s[i - 1]))
			continue;
		for (k = 0; k < ARRAY_SIZE(words); k++) {
			size_t wl = strlen(words[k]);

			if (!(seen & (1u << k)) && i + wl <= len && !memcmp(s + i, words[k], wl) &&
			    (i + wl == len || !word_char((unsigned char)s[i + wl]))) {
				seen |= 1u << k;
				lint_add(l, NULL, line, LINT_ERROR, "finish or remove it before sending",
					 "placeholder '%s' left in %s", words[k], where);
			}
		}
		if (!(seen & 0x80u) && i + 11 <= len && !strncasecmp(s + i, "lorem ipsum", 11)) {
			seen |= 0x80u;
			lint_add(l, NULL, line, LINT_ERROR, "replace the filler with real text",
				 "'lorem ipsum' filler text left in %s", where);
		}
	}
}

/* A GitHub table delimiter row: cells of -, with optional : and |. */
static int is_delimiter_row(const char *s, size_t len)
{
	size_t i;
	int dash = 0, pipe = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '-')
			dash = 1;
		else if (s[i] == '|')
			pipe = 1;
		else if (!strchr(": \t", s[i]))
			return 0;
	}
	return dash && pipe;
}

static void check_lines(struct ctx *c)
{
	const char *body = c->is->body, *p = body, *eol, *prev = NULL;
	size_t prev_len = 0;
	int line = 1, in_table = 0;

	for (; *p; p = eol + 1, line++) {
		size_t len;

		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		len = (size_t)(eol - p);
		if (!in_code(c, line)) {
			check_placeholders(c->l, p, len, line + c->off, "the text");
			if (prev && memchr(prev, '|', prev_len) && is_delimiter_row(p, len)) {
				if (!in_table)
					lint_add(c->l, NULL, line - 1 + c->off, LINT_WARNING,
						 "use a list, or an image of the table with alt text",
						 "pipe table will show as plain text with '|' characters: CommonMark has no tables");
				in_table = 1;
			} else if (!memchr(p, '|', len)) {
				in_table = 0;
			}
			prev = p;
			prev_len = len;
		} else {
			prev = NULL;
		}
		if (!*eol)
			break;
	}
}

struct images_ctx {
	struct lint *l;
	const struct image_map *map;
	int off;
};

static void v_local_image(void *data, const char *url, const char *alt, int line)
{
	struct images_ctx *c = data;
	const struct image_ref *r;
	struct strbuf u = STRBUF_INIT;

	(void)alt;
	line += c->off;
	if (!image_local(url, NULL, NULL))
		return;
	add_short(&u, url);
	r = image_map_find(c->map, url);
	if (!r || !r->found)
		lint_add(c->l, NULL, line, LINT_ERROR, "put the file there, or correct the name",
			 "image '%s' is missing: there is no file '%s'", u.buf, r ? r->path : url);
	else if (r->bytes > IMAGE_WARN_BYTES)
		lint_add(c->l, NULL, line, LINT_WARNING, "resize or compress it (most are well under 200 KB)",
			 "image '%s' is %.1f MB: readers on a phone download all of it", u.buf,
			 (double)r->bytes / (1024.0 * 1024.0));
	if (r && r->found && !r->width)
		lint_add(c->l, NULL, line, LINT_WARNING, "save it as PNG, JPEG or GIF",
			 "image '%s' is not a PNG, JPEG or GIF whose size can be read: it gets no "
			 "width, and Outlook shows it at full size", u.buf);
	strbuf_release(&u);
}

void lint_images(struct lint *l, const struct issue *is, const struct markdown *m,
		 const struct image_map *map)
{
	struct images_ctx c = { l, map, is->body_line - 1 };
	struct markdown_visitor v;

	memset(&v, 0, sizeof(v));
	v.image = v_local_image;
	v.data = &c;
	markdown_visit(m, &v);
}

void lint_issue(struct lint *l, const struct issue *is, const struct markdown *m)
{
	struct ctx c = { l, is, is->body_line - 1, NULL, 0, 0 };
	struct markdown_visitor v = { v_image, v_link, v_text, v_html, v_code, &c };
	struct strbuf slug = STRBUF_INIT;
	const char *p;
	size_t i;

	if (is->title)
		check_placeholders(l, is->title, strlen(is->title), is->title_line, "the title");
	if (is->subject)
		check_placeholders(l, is->subject, strlen(is->subject), is->subject_line, "the subject");
	if (is->preheader && *is->preheader)
		check_placeholders(l, is->preheader, strlen(is->preheader), is->preheader_line, "the preheader");

	for (p = is->body; p && *p && isspace((unsigned char)*p); p++)
		;
	if (!p || !*p)
		lint_add(l, NULL, is->body_line, LINT_ERROR, "write the issue below the closing '---'",
			 "the issue has no text");

	for (i = 0; i < is->ntags; i++) {
		strbuf_reset(&slug);
		if (issue_tag_slug(is->tags[i], &slug))
			lint_add(l, NULL, is->tags_line, LINT_WARNING, "shorten the tag",
				 "tag '%.40s...' is too long for a file name: its archive page is "
				 "tags/%.40s....html, cut to %d characters", is->tags[i], slug.buf,
				 ISSUE_TAG_SLUG_MAX);
	}
	strbuf_release(&slug);

	markdown_visit(m, &v);
	check_lines(&c);
	free(c.code);
}

void lint_html_size(struct lint *l, size_t bytes)
{
	if (bytes > LINT_HTML_MAX)
		lint_add(l, NULL, 0, LINT_ERROR,
			 "shorten the issue or move long sections to the web archive",
			 "the HTML part is %zu KB, over %d KB: Gmail clips it and hides the unsubscribe link",
			 (bytes + 1023) / 1024, LINT_HTML_MAX / 1024);
	else if (bytes > LINT_HTML_WARN)
		lint_add(l, NULL, 0, LINT_WARNING,
			 "shorten it before it grows further",
			 "the HTML part is %zu KB, close to the %d KB at which Gmail clips messages",
			 (bytes + 1023) / 1024, LINT_HTML_MAX / 1024);
}

/* Same place, same message: compose renders the body more than once (HTML, text). */
static int seen_before(const struct lint *l, const char *file, int line, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct lint_finding *f = &l->v[i];
		const char *q;

		if (f->line == line && !f->file == !file && (!file || !strcmp(f->file, file)) &&
		    (q = strchr(f->message, '\'')) && !strncmp(q + 1, name, strlen(name)) &&
		    q[1 + strlen(name)] == '\'')
			return 1;
	}
	return 0;
}

/* subscriber.<attribute>: an imported column, not one every subscriber has. */
static int is_attribute(const char *name)
{
	return !strncmp(name, "subscriber.", 11) && strcmp(name, "subscriber.email") &&
	       strcmp(name, "subscriber.name") && strcmp(name, "subscriber.list");
}

void lint_unfilled(struct lint *l, const struct issue *is, const char *name,
		   const char *where, int line)
{
	static const char hint[] = "check the spelling; variables are newsletter.*, issue.*, subscriber.*, unsubscribe_url";
	enum lint_level level = LINT_ERROR;
	struct strbuf h = STRBUF_INIT;
	const char *file = where;

	/*
	 * Full: count it without the search below, which scans the body (each
	 * of thousands of unfilled names would make check quadratic).
	 */
	if (l->n >= LINT_MAX) {
		l->dropped[is_attribute(name) ? LINT_WARNING : LINT_ERROR]++;
		return;
	}
	/* For the body, compose reports a line of the rendered HTML: find the Markdown line. */
	if (where && !strcmp(where, is->path)) {
		const char *p, *q;
		int bline = 0;

		file = NULL;
		for (p = is->body; p && (p = strstr(p, "{{")); p += 2) {
			q = p + 2;
			while (*q == '{' || *q == '&' || *q == ' ')
				q++;
			if (!strncmp(q, name, strlen(name))) {
				const char *s;

				bline = 1;
				for (s = is->body; s < p; s++)
					bline += *s == '\n';
				break;
			}
		}
		line = bline ? bline + is->body_line - 1 : 0;
	}
	if (seen_before(l, file, line, name))
		return;
	/*
	 * subscriber.<attribute> comes from the subscriber store (imported
	 * columns); check renders for a sample reader who has none, so it can
	 * only warn.
	 */
	if (is_attribute(name)) {
		level = LINT_WARNING;
		strbuf_addf(&h, "filled only for subscribers imported with a '%s' column; otherwise check the spelling",
			    name + 11);
	} else {
		strbuf_addstr(&h, hint);
	}
	lint_add(l, file, line, level, h.buf, "template variable '%s' is filled by nothing", name);
	strbuf_release(&h);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct lint_finding *x = a, *y = b;
	int r;

	if (!x->file != !y->file)
		return x->file ? 1 : -1;
	if (x->file && (r = strcmp(x->file, y->file)))
		return r;
	return (x->line > y->line) - (x->line < y->line);
}

void lint_sort(struct lint *l)
{
	/* Insertion sort: stable, and lists are short. */
	size_t i, j;

	for (i = 1; i < l->n; i++) {
		struct lint_finding f = l->v[i];

		for (j = i; j > 0 && cmp_finding(&l->v[j - 1], &f) > 0; j--)
			l->v[j] = l->v[j - 1];
		l->v[j] = f;
	}
}

size_t lint_count(const struct lint *l, enum lint_level level)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->v[i].level == level;
	return n + l->dropped[level];
}

void lint_print(const struct lint *l, const char *path, FILE *fp)
{
	size_t i, ne = lint_count(l, LINT_ERROR), nw = lint_count(l, LINT_WARNING);
	struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;

	/* Findings quote the issue's text: escaped, it cannot drive the terminal. */
	for (i = 0; i < l->n; i++) {
		const struct lint_finding *f = &l->v[i];

		strbuf_reset(&sb);
		strbuf_addstr(&sb, f->file ? f->file : path);
		strbuf_addch(&sb, ':');
		if (f->line)
			strbuf_addf(&sb, "%d:", f->line);
		strbuf_addf(&sb, " %s: %s", f->level == LINT_ERROR ? "error" : "warning", f->message);
		if (f->hint)
			strbuf_addf(&sb, " (%s)", f->hint);
		strbuf_reset(&out);
		strbuf_add_shown(&out, sb.buf, sb.len, NULL);
		fputs(out.buf, fp);
		fputc('\n', fp);
	}
	strbuf_release(&sb);
	strbuf_release(&out);
	if (l->dropped[LINT_ERROR] + l->dropped[LINT_WARNING])
		fprintf(fp, "%s: %zu more findings not shown\n", path,
			l->dropped[LINT_ERROR] + l->dropped[LINT_WARNING]);
	if (!ne && !nw)
		fprintf(fp, "%s: no problems found\n", path);
	else
		fprintf(fp, "%s: %zu error%s, %zu warning%s\n", path, ne, ne == 1 ? "" : "s",
			nw, nw == 1 ? "" : "s");
}

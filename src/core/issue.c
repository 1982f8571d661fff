/*
 * Issue files: YAML front matter (libyaml's document API) and a CommonMark
 * body.  Every error names FILE:LINE and says what to write instead.
 *
 * Line numbers: libyaml marks are 0-based and relative to the text we hand
 * it (the lines between the two "---"), so a mark's line L is file line
 * L + fm_line, where fm_line is the file line of the first front matter line.
 */
#include "base/common.h"
#include "base/hash.h"
#include "core/issue.h"
#include "core/markdown.h"
#include "base/utf8.h"
#include "base/strbuf.h"
#include "base/fsutil.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>
#include <yaml.h>

/* 1-based line of byte offset off in buf. */
static int line_of(const char *buf, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/* Is line [p, end) (without its '\n') the delimiter "---" (or "..." to close)? */
static int is_delim(const char *p, const char *end, int closing)
{
	size_t n = (size_t)(end - p);

	while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 3 && !memcmp(p, "---", 3))
		return 1;
	return closing && n == 3 && !memcmp(p, "...", 3);
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i, dim;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	*y = atoi(s);
	*m = atoi(s + 5);
	*d = atoi(s + 8);
	if (*y < 1900 || *m < 1 || *m > 12)
		return -1;
	dim = mdays[*m - 1] + (*m == 2 && leap(*y));
	return *d >= 1 && *d <= dim ? 0 : -1;
}

struct fm {
	const char *path;
	int base;		/* file line of front matter line 0 */
	yaml_document_t *doc;
};

static int node_line(const struct fm *f, const yaml_node_t *n)
{
	return (int)n->start_mark.line + f->base;
}

int issue_text_check(const char *s, size_t len, struct strbuf *why)
{
	size_t i = 0;

	if (memchr(s, '\n', len) || memchr(s, '\r', len)) {
		strbuf_addstr(why, "contains a line break; it becomes a mail header, keep it on one line");
		return -1;
	}
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_seq_len(s + i, len - i);

		if (!n) {
			strbuf_addstr(why, "is not valid UTF-8; write it as UTF-8");
			return -1;
		}
		/* C0 (TAB aside), DEL and C1 (U+0080..U+009F): terminal and header poison. */
		if ((c < 0x20 && c != '\t') || c == 0x7f || c == '\0' ||
		    (n == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)) {
			unsigned cp = n == 2 ? (unsigned char)s[i + 1] : c;

			if (cp == 0)
				strbuf_addstr(why, "contains a NUL character; remove it");
			else
				strbuf_addf(why, "contains a control character (0x%02x); remove it", cp);
			return -1;
		}
		i += n;
	}
	return 0;
}

int issue_list_check(const char *s, struct strbuf *why)
{
	if (!*s) {
		strbuf_addstr(why, "is empty; name a list, e.g. members");
		return -1;
	}
	return issue_text_check(s, strlen(s), why);
}

/* A string field: a scalar, not empty, no line breaks when it becomes a header. */
static int get_string(const struct fm *f, const char *key, yaml_node_t *v,
		      int header, char **out)
{
	const char *s;
	size_t len;

	if (v->type != YAML_SCALAR_NODE)
		return error("%s:%d: '%s' must be text, e.g. %s: \"...\" (quote it if it contains ': ' or '#')",
			     f->path, node_line(f, v), key, key);
	s = (const char *)v->data.scalar.value;
	len = v->data.scalar.length;
	if (header) {
		struct strbuf why = STRBUF_INIT;
		int r = 0;

		if (issue_text_check(s, len, &why) < 0)
			r = error("%s:%d: '%s' %s", f->path, node_line(f, v), key, why.buf);
		strbuf_release(&why);
		if (r < 0)
			return r;
	}
	if (memchr(s, '\0', len))
		return error("%s:%d: '%s' contains a NUL character; remove it",
			     f->path, node_line(f, v), key);
	if (utf8_invalid_at(s, len) != len)
		return error("%s:%d: '%s' is not valid UTF-8; save the file as UTF-8",
			     f->path, node_line(f, v), key);
	/* YAML's null ("key:", "key: ~", "key: null") is an empty string here. */
	if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL")))
		len = 0;
	free(*out);
	*out = xstrndup(s, len);
	return 0;
}

static int is_plain(const yaml_node_t *v)
{
	return v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int set_field(struct issue *is, const struct fm *f, const char *key,
		     yaml_node_t *k, yaml_node_t *v)
{
	int line = node_line(f, v);

	if (!strcmp(key, "title")) {
		if (get_string(f, key, v, 1, &is->title) < 0)
			return -1;
		if (!*is->title)
			return error("%s:%d: 'title' is empty; write the issue's title, e.g. title: \"CMR in heart failure\"",
				     f->path, line);
		is->title_line = line;
	} else if (!strcmp(key, "subject")) {
		if (get_string(f, key, v, 1, &is->subject) < 0)
			return -1;
		if (!*is->subject)
			return error("%s:%d: 'subject' is empty; remove the line to use the default subject",
				     f->path, line);
		is->subject_line = line;
	} else if (!strcmp(key, "preheader")) {
		if (get_string(f, key, v, 1, &is->preheader) < 0)
			return -1;
		is->preheader_line = line;
	} else if (!strcmp(key, "list")) {
		struct strbuf why = STRBUF_INIT;
		int r = 0;

		if (get_string(f, key, v, 0, &is->list) < 0)
			return -1;
		/* The one rule for list names, which --list also takes. */
		if (issue_list_check(is->list, &why) < 0)
			r = error("%s:%d: 'list' %s (or remove the line)", f->path, line, why.buf);
		strbuf_release(&why);
		if (r < 0)
			return r;
	} else if (!strcmp(key, "issue")) {
		const char *s = (const char *)v->data.scalar.value;
		char *end;
		long n;

		if (!is_plain(v) || !isdigit((unsigned char)*s))
			goto not_number;
		errno = 0;
		n = strtol(s, &end, 10);
		if (*end || errno || n < 1 || n > 999999)
			goto not_number;
		is->number = (int)n;
		return 0;
not_number:
		return error("%s:%d: 'issue' must be a whole number, e.g. issue: 42", f->path, line);
	} else if (!strcmp(key, "date")) {
		if (v->type != YAML_SCALAR_NODE ||
		    parse_date((const char *)v->data.scalar.value, &is->year, &is->month, &is->day) < 0)
			return error("%s:%d: 'date' must be a real date written YYYY-MM-DD, e.g. date: 2026-11-27",
				     f->path, line);
		free(is->date);
		is->date = xstrdup((const char *)v->data.scalar.value);
	} else if (!strcmp(key, "draft")) {
		const char *s = (const char *)v->data.scalar.value;

		if (is_plain(v) && (!strcmp(s, "true") || !strcmp(s, "yes")))
			is->draft = 1;
		else if (is_plain(v) && (!strcmp(s, "false") || !strcmp(s, "no")))
			is->draft = 0;
		else
			return error("%s:%d: 'draft' must be true or false", f->path, line);
	} else if (!strcmp(key, "tags")) {
		yaml_node_item_t *it;

		if (v->type != YAML_SEQUENCE_NODE)
			return error("%s:%d: 'tags' must be a list, e.g. tags: [research, meetings]",
				     f->path, line);
		is->tags_line = line;
		for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *t = yaml_document_get_node(f->doc, *it);
			char *s = NULL;

			if (!t || t->type != YAML_SCALAR_NODE)
				return error("%s:%d: each tag must be a word, e.g. tags: [research, meetings]",
					     f->path, t ? node_line(f, t) : line);
			if (get_string(f, "tags", t, 1, &s) < 0)
				return -1;
			is->tags = xrealloc(is->tags, (is->ntags + 1) * sizeof(*is->tags));
			is->tags[is->ntags++] = s;
		}
	} else if (!strcmp(key, "segment")) {
		size_t n = 1, i;

		/* segment: country=Italy, or a list of terms: segment: [a=b, c!=d] */
		if (v->type != YAML_SCALAR_NODE && v->type != YAML_SEQUENCE_NODE)
			return error("%s:%d: 'segment' must be KEY=VALUE or a list of them, e.g. "
				     "segment: [country=Italy, member_type!=student]", f->path, line);
		is->segment_line = line;
		if (v->type == YAML_SEQUENCE_NODE)
			n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		for (i = 0; i < n; i++) {
			yaml_node_t *t = v;
			char *term = NULL;

			if (v->type == YAML_SEQUENCE_NODE)
				t = yaml_document_get_node(f->doc, v->data.sequence.items.start[i]);
			if (!t || t->type != YAML_SCALAR_NODE)
				return error("%s:%d: each segment term is KEY=VALUE or KEY!=VALUE",
					     f->path, t ? node_line(f, t) : line);
			if (get_string(f, "segment", t, 1, &term) < 0)
				return -1;
			is->segment = xrealloc(is->segment, (is->nsegment + 1) * sizeof(*is->segment));
			is->segment[is->nsegment++] = term;
		}
	} else {
		warning("%s:%d: unknown field '%s' ignored (known: title, issue, date, subject, preheader, list, draft, tags, segment)",
			f->path, node_line(f, k), key);
	}
	return 0;
}

static int parse_front_matter(struct issue *is, const char *path, const char *fm,
			      size_t len, int base, int close_line)
{
	static const char *const keys[] = { "title", "issue", "date", "subject",
		"preheader", "list", "draft", "tags", "segment" };
	int seen[ARRAY_SIZE(keys)] = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *pair;
	struct fm f = { path, base, &doc };
	int r = -1;
	size_t i;

	if (!yaml_parser_initialize(&parser))
		return error("%s: cannot initialise the YAML parser", path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)fm, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	if (!yaml_parser_load(&parser, &doc)) {
		const char *problem = parser.problem ? parser.problem : "syntax error";
		const yaml_mark_t *m = &parser.problem_mark;
		const char *hint = "values containing ': ' or ' #' need \"quotes\"";

		/* An unclosed quote or bracket is reported at the end: point at its start. */
		if (parser.context && strstr(problem, "end of stream")) {
			m = &parser.context_mark;
			hint = "close the quote or bracket that starts here";
		} else if (strstr(problem, "tab")) {
			hint = "indent with spaces, not tabs";
		}
		error("%s:%d: bad YAML in front matter: %s%s%s (%s)",
		      path, (int)m->line + base, problem,
		      parser.context ? " " : "", parser.context ? parser.context : "", hint);
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type != YAML_MAPPING_NODE &&
	    !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
		error("%s:%d: front matter must be 'key: value' lines, e.g. title: \"...\"",
		      path, node_line(&f, root));
		goto out;
	}
	for (pair = root && root->type == YAML_MAPPING_NODE ? root->data.mapping.pairs.start : NULL;
	     pair && pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
		const char *key;

		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			error("%s:%d: front matter keys must be plain words", path,
			      k ? node_line(&f, k) : base);
			goto out;
		}
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			if (strcmp(key, keys[i]))
				continue;
			if (seen[i]) {
				error("%s:%d: '%s' is given twice (first on line %d); keep one",
				      path, node_line(&f, k), key, seen[i]);
				goto out;
			}
			seen[i] = node_line(&f, k);
		}
		if (set_field(is, &f, key, k, v) < 0)
			goto out;
	}
	if (!is->title) {
		error("%s:%d: missing 'title'; add a line like title: \"CMR in heart failure\"", path, close_line);
		goto out;
	}
	if (!is->number) {
		error("%s:%d: missing 'issue'; add a line like issue: 42", path, close_line);
		goto out;
	}
	if (!is->date) {
		error("%s:%d: missing 'date'; add a line like date: 2026-11-27", path, close_line);
		goto out;
	}
	r = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

int issue_parse(struct issue *is, const char *path, const char *buf, size_t len)
{
	const char *p, *end, *eol, *fm_start, *fm_end = NULL, *body;
	const char *nul;
	size_t bad;
	int line, close_line = 0;
	struct strbuf b = STRBUF_INIT;

	memset(is, 0, sizeof(*is));
	is->path = xstrdup(path);
	is->preheader = xstrdup("");

	if ((nul = memchr(buf, '\0', len)))
		return error("%s:%d: the file contains a NUL byte; save it as plain UTF-8 text",
			     path, line_of(buf, (size_t)(nul - buf)));
	/* A UTF-8 byte order mark (editors on Windows add one) is not content. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	bad = utf8_invalid_at(buf, len);
	if (bad != len)
		return error("%s:%d: invalid UTF-8 (byte 0x%02x); save the file as UTF-8",
			     path, line_of(buf, bad), (unsigned char)buf[bad]);

	end = buf + len;
	eol = memchr(buf, '\n', len);
	if (!len || !is_delim(buf, eol ? eol : end, 0))
		return error("%s:1: no front matter: the file must start with a line '---', then title, issue and date, then '---'",
			     path);
	if (!eol)
		return error("%s:1: front matter is not closed: add a line '---' after the fields", path);
	fm_start = eol + 1;
	line = 2;
	for (p = fm_start; p < end; line++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (is_delim(p, eol ? eol : end, 1)) {
			fm_end = p;
			close_line = line;
			p = eol ? eol + 1 : end;
			break;
		}
		if (!eol) {
			p = end;
			break;
		}
		p = eol + 1;
	}
	if (!fm_end)
		return error("%s:1: front matter is not closed: add a line '---' after the fields", path);
	body = p;
	is->body_line = close_line + 1;

	if (parse_front_matter(is, path, fm_start, (size_t)(fm_end - fm_start), 2, close_line) < 0)
		return -1;

	if ((size_t)(end - body) > ISSUE_MAX_BODY)
		return error("%s:%d: the body is %zu bytes, over the %d KiB cap (a bound on Markdown parsing time, cmark CVE-2023-22486); split the issue",
			     path, is->body_line, (size_t)(end - body), ISSUE_MAX_BODY / 1024);
	/* CRLF files: the renderers and line counts want plain LF. */
	strbuf_grow(&b, (size_t)(end - body));
	for (p = body; p < end;) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		const char *stop = cr ? cr : end;

		strbuf_add(&b, p, (size_t)(stop - p));
		if (!cr)
			break;
		if (!(cr + 1 < end && cr[1] == '\n'))
			strbuf_addch(&b, '\r');	/* a lone CR stays */
		p = cr + 1;
	}
	is->body = strbuf_detach(&b, &is->body_len);
	{
		struct strbuf why = STRBUF_INIT;
		int at, r = 0;

		if (markdown_shape_check(is->body, is->body_len, &at, &why) < 0)
			r = error("%s:%d: %s", path, is->body_line + at - 1, why.buf);
		strbuf_release(&why);
		if (r < 0)
			return r;
	}
	return 0;
}

int issue_load(struct issue *is, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (strbuf_read_file(&sb, path) < 0) {
		memset(is, 0, sizeof(*is));
		r = error("cannot read issue '%s': %s", path, strerror(errno));
		strbuf_release(&sb);
		return r;
	}
	r = issue_parse(is, path, sb.buf, sb.len);
	strbuf_release(&sb);
	return r;
}

void issue_release(struct issue *is)
{
	size_t i;

	free(is->path);
	free(is->title);
	free(is->date);
	free(is->subject);
	free(is->preheader);
	free(is->list);
	for (i = 0; i < is->ntags; i++)
		free(is->tags[i]);
	free(is->tags);
	for (i = 0; i < is->nsegment; i++)
		free(is->segment[i]);
	free(is->segment);
	free(is->body);
	memset(is, 0, sizeof(*is));
}

char *issue_subject(const struct issue *is, const char *newsletter_name)
{
	struct strbuf sb = STRBUF_INIT;

	if (is->subject)
		return xstrdup(is->subject);
	strbuf_addf(&sb, "%s #%d: %s", newsletter_name, is->number, is->title);
	return strbuf_detach(&sb, NULL);
}

enum issue_state issue_state(const struct issue *is, time_t now)
{
	char today[16];
	struct tm tm;

	if (is->draft)
		return ISSUE_DRAFT;
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	return strcmp(is->date, today) > 0 ? ISSUE_FUTURE : ISSUE_PUBLISHED;
}

void issue_slug(const struct issue *is, struct strbuf *out)
{
	strbuf_addf(out, "issue-%d", is->number);
}

int issue_tag_slug(const char *tag, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)tag;
	size_t start = out->len;
	uint32_t h = FNV32_INIT;	/* stable across builds and machines */
	int dash = 0;

	for (; *p; p++) {
		h = fnv32(h, p, 1);
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    (*p >= 'A' && *p <= 'Z') || *p >= 0x80) {
			if (dash && out->len > start)
				strbuf_addch(out, '-');
			dash = 0;
			if (*p >= 0x80)
				strbuf_addf(out, "%02x", *p);	/* non-ASCII letters keep their identity */
			else if (*p >= 'A' && *p <= 'Z')
				strbuf_addch(out, *p - 'A' + 'a');
			else
				strbuf_addch(out, *p);
		} else {
			dash = 1;
		}
	}
	if (out->len == start)
		strbuf_addstr(out, "tag");
	if (out->len - start <= ISSUE_TAG_SLUG_MAX)
		return 0;
	strbuf_setlen(out, start + ISSUE_TAG_SLUG_MAX - 9);
	while (out->buf[out->len - 1] == '-')
		strbuf_setlen(out, out->len - 1);
	strbuf_addf(out, "-%08x", (unsigned)h);
	return 1;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int issue_resolve(const char *issues_dir, const char *arg, struct strbuf *out)
{
	struct strbuf tried = STRBUF_INIT;
	size_t len = strlen(arg);
	int r;

	if (!*arg)
		return error("empty issue name; give issue-42, 42 or a path to the .md file");
	if (all_digits(arg)) {
		path_join(&tried, issues_dir, "issue-");
		strbuf_addstr(&tried, arg);
		strbuf_addstr(&tried, ".md");
	} else if (!strncmp(arg, "issue-", 6) && all_digits(arg + 6)) {
		path_join(&tried, issues_dir, arg);
		strbuf_addstr(&tried, ".md");
	} else {
		strbuf_addstr(&tried, arg);
		/* "issues/issue-42" without .md */
		if (!path_exists(tried.buf) && (len < 3 || strcmp(arg + len - 3, ".md")))
			strbuf_addstr(&tried, ".md");
		/* A bare file name ("issue-42.md") is looked for in the issues directory too. */
		if (!path_exists(tried.buf) && !strchr(arg, '/')) {
			struct strbuf alt = STRBUF_INIT;

			path_join(&alt, issues_dir, tried.buf);
			if (path_exists(alt.buf)) {
				strbuf_reset(&tried);
				strbuf_addbuf(&tried, &alt);
			}
			strbuf_release(&alt);
		}
	}
	if (path_exists(tried.buf) && !is_dir(tried.buf)) {
		char *cwd = getcwd(NULL, 0);
		size_t cl = cwd ? strlen(cwd) : 0;

		/* Messages read better as "issues/issue-42.md" than as an absolute path. */
		if (cl > 1 && !strncmp(tried.buf, cwd, cl) && tried.buf[cl] == '/' && tried.buf[cl + 1])
			strbuf_addstr(out, tried.buf + cl + 1);
		else
			strbuf_addbuf(out, &tried);
		free(cwd);
		strbuf_release(&tried);
		return 0;
	}
	r = error("no issue '%s' (looked for '%s'); 'newsbeat new' creates one", arg, tried.buf);
	strbuf_release(&tried);
	return r;
}

struct numbered {
	long n;
	char *path;
};

static int cmp_numbered(const void *a, const void *b)
{
	const struct numbered *x = a, *y = b;

	return (x->n > y->n) - (x->n < y->n);
}

int issue_list(const char *issues_dir, char ***paths, size_t *n)
{
	DIR *d = opendir(issues_dir);
	struct dirent *de;
	struct numbered *v = NULL;
	size_t nv = 0, alloc = 0, i;

	*paths = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return error("cannot read directory '%s': %s", issues_dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		struct strbuf p = STRBUF_INIT;
		char *num;

		if (len < 10 || strncmp(name, "issue-", 6) || strcmp(name + len - 3, ".md"))
			continue;
		num = xstrndup(name + 6, len - 9);
		if (!all_digits(num) || strlen(num) > 9) {
			free(num);
			continue;
		}
		ALLOC_GROW(v, nv + 1, alloc);
		v[nv].n = atol(num);
		free(num);
		path_join(&p, issues_dir, name);
		v[nv++].path = strbuf_detach(&p, NULL);
	}
	closedir(d);
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_numbered);
	*paths = xcalloc(nv ? nv : 1, sizeof(char *));
	for (i = 0; i < nv; i++)
		(*paths)[i] = v[i].path;
	*n = nv;
	free(v);
	return 0;
}

/*
 * Mustache templates (https://mustache.github.io/mustache.5.html and the
 * official spec suite): compiled once into a flat list of
 * operations, rendered many times.
 *
 * Compilation does all the text work: tags are found, standalone lines
 * ("a line holding only a section, comment, partial or delimiter tag and
 * whitespace is removed whole") are cut out, dotted names are split and
 * hashed, partials are loaded and compiled.  Rendering walks the op list;
 * it allocates nothing but output growth and keeps its context stack in
 * C stack frames, so a const template can be rendered from many threads.
 *
 * A section is one op followed by its body; op->end is the index just
 * past the body, so rendering a section is a recursive call on a range.
 *
 * Standalone partials indent every line of the partial's *source* (spec,
 * partials.json "Standalone Indentation"), not interpolated values.  A
 * partial referenced standalone is therefore compiled in an "indentable"
 * variant with OP_INDENT at each surviving line start; the indentation is
 * a chain of strings passed down at render time, so nested indented
 * partials and recursive partials need no per-indentation copy.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/tmpl_internal.h"

/*
 * Rendering recurses on the C stack, possibly in a thread with a small
 * one: partials and template values nest at most TMPL_MAX_DEPTH deep
 * (recursive partials are legal, but one that goes deeper never ends:
 * a render error), and sections within one template at most
 * TMPL_MAX_NESTING (a compile error).
 */
#define TMPL_MAX_DEPTH 100
#define TMPL_MAX_NESTING 100
/*
 * A recursive partial whose data does not end the recursion (a leaf
 * without "children" finds its parent's by context fallback) branches
 * exponentially before reaching TMPL_MAX_DEPTH.  One render executes at
 * most this many ops (a 20 KB email takes a few thousand), then fails:
 * truncated output would be sent (without the unsubscribe link at the
 * end), so both limits are errors, never warnings.
 */
#define TMPL_MAX_STEPS 10000000UL

enum op_type {
	OP_TEXT,	/* src[off .. off+len) */
	OP_INDENT,	/* start of a line in an indentable partial */
	OP_VAR,		/* {{name}}, {{{name}}}, {{&name}} */
	OP_SECTION,	/* {{#name}} body {{/name}} */
	OP_INVERTED,	/* {{^name}} body {{/name}} */
	OP_PARTIAL,	/* {{>name}} */
};

struct tname_part {
	const char *s;	/* points into tname.full */
	size_t len;
	uint32_t hash;
};

/* A tag's name, split on '.' once at compile time. */
struct tname {
	char *full;	/* as written (trimmed): messages, close-tag matching */
	size_t nparts;	/* 0 for the implicit iterator "." */
	struct tname_part *parts;
};

struct op {
	enum op_type type;
	int line;		/* 1-based line of the tag, for the missing callback */
	int raw;		/* OP_VAR: insert without escaping */
	int standalone;		/* OP_PARTIAL: indentation applies */
	size_t off, len;	/* OP_TEXT: the bytes; OP_PARTIAL: its indentation */
	size_t end;		/* OP_SECTION, OP_INVERTED: index past the body */
	struct tname *name;	/* OP_VAR, OP_SECTION, OP_INVERTED */
	const struct tmpl *partial;	/* OP_PARTIAL */
};

/*
 * A compiled template.  The root (what tmpl_compile returns) owns every
 * partial compiled for it in `parts`; partials have empty `parts`.
 */
struct tmpl {
	char *name;
	char *src;
	size_t len;
	enum tmpl_escape escape;
	struct op *ops;
	size_t nops, alloc_ops;
	/* partials only: the cache key */
	char *pkey;
	int indentable;
	/* root only */
	struct tmpl **parts;
	size_t nparts, alloc_parts;
};

static struct tmpl *tmpl_new(const char *name, const char *src, size_t len,
			     enum tmpl_escape escape)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));

	t->name = xstrdup(name);
	t->src = xstrndup(src, len);
	t->len = len;
	t->escape = escape;
	return t;
}

static void tname_free(struct tname *n)
{
	if (!n)
		return;
	free(n->full);
	free(n->parts);
	free(n);
}

void tmpl_free(struct tmpl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nops; i++)
		tname_free(t->ops[i].name);
	for (i = 0; i < t->nparts; i++)
		tmpl_free(t->parts[i]);
	free(t->parts);
	free(t->ops);
	free(t->src);
	free(t->name);
	free(t->pkey);
	free(t);
}

/* ---- compilation ---- */

struct compiler {
	struct tmpl *root;
	const struct tmpl_options *opts;
};

/* Per-template parse state. */
struct parse {
	struct tmpl *t;
	const char *s;
	size_t n;
	int at_line_start;	/* no op emitted yet on the current line */
	/* line counting, advanced monotonically */
	size_t line_pos;
	int line;
};

static struct op *push_op(struct tmpl *t, enum op_type type, int line)
{
	struct op *op;

	ALLOC_GROW(t->ops, t->nops + 1, t->alloc_ops);
	op = &t->ops[t->nops++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->line = line;
	return op;
}

static int line_at(struct parse *p, size_t pos)
{
	for (; p->line_pos < pos; p->line_pos++)
		if (p->s[p->line_pos] == '\n')
			p->line++;
	return p->line;
}

/* Before an op that produces output on this line: the line's indentation. */
static void mark_line(struct parse *p, int line)
{
	if (p->t->indentable && p->at_line_start)
		push_op(p->t, OP_INDENT, line);
	p->at_line_start = 0;
}

static void emit_text(struct parse *p, size_t a, size_t b)
{
	while (a < b) {
		const char *nl = p->t->indentable ? memchr(p->s + a, '\n', b - a) : NULL;
		size_t e = nl ? (size_t)(nl - p->s) + 1 : b;
		struct op *op;

		mark_line(p, 0);
		op = push_op(p->t, OP_TEXT, 0);
		op->off = a;
		op->len = e - a;
		p->at_line_start = p->s[e - 1] == '\n';
		a = e;
	}
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static struct tname *parse_name(const char *s, size_t len)
{
	struct tname *n = xcalloc(1, sizeof(*n));
	size_t i, start, k;

	n->full = xstrndup(s, len);
	if (len == 1 && s[0] == '.')
		return n;
	n->nparts = 1;
	for (i = 0; i < len; i++)
		if (s[i] == '.')
			n->nparts++;
	n->parts = xcalloc(n->nparts, sizeof(*n->parts));
	for (i = start = k = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			n->parts[k].s = n->full + start;
			n->parts[k].len = i - start;
			n->parts[k].hash = tval_hash(n->full + start, i - start);
			k++;
			start = i + 1;
		}
	}
	return n;
}

/*
 * The first occurrence of tag (tlen >= 1 bytes) in s[0..n), or NULL.  memchr
 * for the first byte, then a compare: glibc's memmem goes a byte at a time
 * for short needles, and templates are mostly text between delimiters.
 */
static const char *find_tag(const char *s, size_t n, const char *tag, size_t tlen)
{
	const char *end = s + n, *q = s;

	while ((size_t)(end - q) >= tlen && (q = memchr(q, tag[0], (size_t)(end - q) - tlen + 1))) {
		if (!memcmp(q, tag, tlen))
			return q;
		q++;
	}
	return NULL;
}

/*
 * Find the closing delimiter `ctag` at or after `from`; with `pre` set, it
 * must be preceded by that character (the '}' of "}}}" or the '=' of a
 * delimiter change).  Returns its offset, or (size_t)-1.
 */
static size_t find_close(const char *s, size_t n, size_t from, const char *ctag,
			 size_t clen, char pre)
{
	size_t min = from;

	while (from < n) {
		const char *q = find_tag(s + from, n - from, ctag, clen);
		size_t at;

		if (!q)
			break;
		at = (size_t)(q - s);
		if (!pre || (at > min && s[at - 1] == pre))
			return at;
		from = at + 1;
	}
	return (size_t)-1;
}

/* Parse "{{=<% %>=}}" content: two words without whitespace or '='. */
static int parse_delims(const char *s, size_t len, const char **o, size_t *olen,
			const char **c, size_t *clen)
{
	size_t i = 0, a;

	while (i < len && is_space(s[i]))
		i++;
	a = i;
	while (i < len && !is_space(s[i]) && s[i] != '=')
		i++;
	if (i == a || i == len || !is_space(s[i]))
		return -1;
	*o = s + a;
	*olen = i - a;
	while (i < len && is_space(s[i]))
		i++;
	a = i;
	while (i < len && !is_space(s[i]) && s[i] != '=')
		i++;
	if (i == a)
		return -1;
	*c = s + a;
	*clen = i - a;
	while (i < len && is_space(s[i]))
		i++;
	return i == len ? 0 : -1;
}

static int compile_one(struct compiler *c, struct tmpl *t);

/*
 * The compiled partial `name` (indentable variant or not) into *out.
 * Returns 0, or 1 when it does not exist and that is allowed (*out NULL),
 * or -1 after error().
 */
static int get_partial(struct compiler *c, const char *name, int indentable,
		       const struct tmpl *from, int line, const struct tmpl **out)
{
	struct tmpl *root = c->root, *p;
	struct strbuf src = STRBUF_INIT;
	const char *display = NULL;
	size_t i;

	*out = NULL;
	for (i = 0; i < root->nparts; i++) {
		p = root->parts[i];
		if (p->indentable == indentable && !strcmp(p->pkey, name)) {
			*out = p;
			return 0;
		}
	}
	if (!c->opts || !c->opts->partial ||
	    c->opts->partial(c->opts->partial_data, name, &src, &display) < 0) {
		strbuf_release(&src);
		if (c->opts && c->opts->missing_partial_ok)
			return 1;
		return error("%s:%d: missing partial '%s'", from->name, line, name);
	}
	p = tmpl_new(display ? display : name, src.buf, src.len, root->escape);
	strbuf_release(&src);
	p->pkey = xstrdup(name);
	p->indentable = indentable;
	/* registered before compiling, so that recursive partials find it */
	ALLOC_GROW(root->parts, root->nparts + 1, root->alloc_parts);
	root->parts[root->nparts++] = p;
	if (compile_one(c, p) < 0)
		return -1;
	*out = p;
	return 0;
}

static int compile_one(struct compiler *c, struct tmpl *t)
{
	struct parse p = { t, t->src, t->len, 1, 0, 1 };
	const char *s = t->src, *otag = "{{", *ctag = "}}";
	size_t n = t->len, olen = 2, clen = 2, pos = 0;
	size_t *open = NULL, nopen = 0, alloc_open = 0;
	int ret = -1;

	while (pos < n) {
		const char *q = find_tag(s + pos, n - pos, otag, olen);
		size_t start, inner, cs, ce, close, after, ls, e, next;
		int line, standalone;
		char type;

		if (!q) {
			emit_text(&p, pos, n);
			break;
		}
		start = (size_t)(q - s);
		line = line_at(&p, start);
		inner = start + olen;
		type = inner < n ? s[inner] : '\0';
		switch (type) {
		case '{':
			close = find_close(s, n, inner + 1, ctag, clen, '}');
			cs = inner + 1;
			ce = close == (size_t)-1 ? 0 : close - 1;
			break;
		case '=':
			close = find_close(s, n, inner + 1, ctag, clen, '=');
			cs = inner + 1;
			ce = close == (size_t)-1 ? 0 : close - 1;
			break;
		case '!': case '#': case '^': case '/': case '>': case '&':
			close = find_close(s, n, inner, ctag, clen, 0);
			cs = inner + 1;
			ce = close;
			break;
		default:
			close = find_close(s, n, inner, ctag, clen, 0);
			cs = inner;
			ce = close;
			break;
		}
		if (close == (size_t)-1) {
			error("%s:%d: unclosed tag (no '%.*s' after '%.*s')", t->name, line,
			      (int)clen, ctag, (int)olen, otag);
			goto out;
		}
		after = close + clen;
		while (cs < ce && is_space(s[cs]))
			cs++;
		while (ce > cs && is_space(s[ce - 1]))
			ce--;

		/* Standalone: only whitespace around the tag on its line. */
		standalone = 0;
		next = after;
		ls = start;
		if (type && strchr("!#^/>=", type)) {
			while (ls > 0 && s[ls - 1] != '\n')
				ls--;
			for (e = ls; e < start && is_blank(s[e]); e++)
				;
			if (e == start) {
				for (e = after; e < n && is_blank(s[e]); e++)
					;
				if (e == n)
					standalone = 1, next = n;
				else if (s[e] == '\n')
					standalone = 1, next = e + 1;
				else if (s[e] == '\r' && e + 1 < n && s[e + 1] == '\n')
					standalone = 1, next = e + 2;
			}
		}
		if (standalone) {
			emit_text(&p, pos, ls);
			p.at_line_start = 1;
		} else {
			emit_text(&p, pos, start);
			/* the line stays, so in a partial it keeps its indentation */
			mark_line(&p, line);
		}
		pos = next;

		if (type != '!' && type != '=' && cs == ce) {
			error("%s:%d: empty tag name", t->name, line);
			goto out;
		}
		switch (type) {
		case '!':
			break;
		case '=':
			if (parse_delims(s + cs, ce - cs, &otag, &olen, &ctag, &clen) < 0) {
				error("%s:%d: bad set-delimiter tag '%.*s'", t->name, line,
				      (int)(after - start), s + start);
				goto out;
			}
			break;
		case '#':
		case '^': {
			struct op *op;

			if (nopen >= TMPL_MAX_NESTING) {
				error("%s:%d: sections nested more than %d deep", t->name, line,
				      TMPL_MAX_NESTING);
				goto out;
			}
			op = push_op(t, type == '#' ? OP_SECTION : OP_INVERTED, line);
			op->name = parse_name(s + cs, ce - cs);
			ALLOC_GROW(open, nopen + 1, alloc_open);
			open[nopen++] = t->nops - 1;
			break;
		}
		case '/': {
			struct op *op;

			if (!nopen) {
				error("%s:%d: close tag '%.*s' without an open section",
				      t->name, line, (int)(ce - cs), s + cs);
				goto out;
			}
			op = &t->ops[open[nopen - 1]];
			if (strlen(op->name->full) != ce - cs ||
			    memcmp(op->name->full, s + cs, ce - cs)) {
				error("%s:%d: mismatched close tag '%.*s' (open section is '%s' from line %d)",
				      t->name, line, (int)(ce - cs), s + cs,
				      op->name->full, op->line);
				goto out;
			}
			op->end = t->nops;
			nopen--;
			break;
		}
		case '>': {
			char *name = xstrndup(s + cs, ce - cs);
			const struct tmpl *part;
			int r = get_partial(c, name, standalone, t, line, &part);
			struct op *op;

			free(name);
			if (r < 0)
				goto out;
			if (r > 0)
				break;
			op = push_op(t, OP_PARTIAL, line);
			op->partial = part;
			op->standalone = standalone;
			if (standalone) {
				op->off = ls;
				op->len = start - ls;
			}
			break;
		}
		default: {
			struct op *op = push_op(t, OP_VAR, line);

			op->raw = type == '{' || type == '&';
			op->name = parse_name(s + cs, ce - cs);
			break;
		}
		}
	}
	if (nopen) {
		const struct op *op = &t->ops[open[nopen - 1]];

		error("%s:%d: unclosed section '%s'", t->name, op->line, op->name->full);
		goto out;
	}
	ret = 0;
out:
	free(open);
	return ret;
}

struct tmpl *tmpl_compile(const char *name, const char *src, size_t len,
			  const struct tmpl_options *opts)
{
	struct compiler c;
	struct tmpl *t = tmpl_new(name, src, len, opts ? opts->escape : TMPL_ESCAPE_HTML);

	c.root = t;
	c.opts = opts;
	if (compile_one(&c, t) < 0) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

/* ---- rendering ---- */

/* Context pushed by a section: a linked list through C stack frames. */
struct frame {
	const struct tval *v;
	const struct frame *up;
};

/* Indentation of standalone partials, outermost last in the chain. */
struct indent {
	const char *s;
	size_t len;
	const struct indent *up;
};

struct render {
	struct strbuf *out;
	const struct tval *const *base;	/* the caller's stack */
	size_t nbase;
	tmpl_missing_fn missing;
	void *missing_data;
	unsigned depth;
	unsigned long steps;
	const struct tmpl *root;	/* for the error message */
	/*
	 * Set when a limit is hit: rendering unwinds, and the innermost tag
	 * with a line on the way out says where (fail_t:fail_line).
	 */
	const char *fail;
	const struct tmpl *fail_t;
	int fail_line;
};

/* A limit was hit at op in t: stop rendering. */
static void render_fail(struct render *r, const char *why)
{
	if (!r->fail)
		r->fail = why;
}

/* Unwinding after a failure: the first op with a line is where it blew up. */
static void render_locate(struct render *r, const struct tmpl *t, const struct op *op)
{
	if (!r->fail_t && op->line > 0) {
		r->fail_t = t;
		r->fail_line = op->line;
	}
}

/*
 * Spec name resolution (interpolation.json overview): the first part is
 * looked up from the top of the context stack down; the remaining parts
 * only in the value found, never again in the stack.
 */
static const struct tval *lookup(const struct render *r, const struct frame *top,
				 const struct tname *nm)
{
	const struct tname_part *p = nm->parts;
	const struct tval *v = NULL;
	const struct frame *f;
	size_t i;

	if (!nm->nparts)
		return top ? top->v : r->nbase ? r->base[r->nbase - 1] : NULL;
	for (f = top; f && !v; f = f->up)
		v = tval_get_n(f->v, p->s, p->len, p->hash);
	for (i = r->nbase; i-- > 0 && !v;)
		v = tval_get_n(r->base[i], p->s, p->len, p->hash);
	for (i = 1; v && i < nm->nparts; i++)
		v = tval_get_n(v, nm->parts[i].s, nm->parts[i].len, nm->parts[i].hash);
	return v;
}

/*
 * Truthiness.  The spec makes false, null and empty lists falsey; we also
 * treat the empty string as falsey (as mustache.js does), so that
 * {{#subscriber.name}}...{{/subscriber.name}} tests for a usable name.
 */
static int truthy(const struct tval *v)
{
	if (!v)
		return 0;
	switch (v->kind) {
	case TVAL_NULL:
		return 0;
	case TVAL_BOOL:
		return v->u.b;
	case TVAL_STRING:
		return v->u.str.len > 0;
	case TVAL_LIST:
		return v->u.list.n > 0;
	default:
		return 1;
	}
}

static void emit_indent(struct strbuf *out, const struct indent *ind)
{
	if (!ind)
		return;
	emit_indent(out, ind->up);
	strbuf_add(out, ind->s, ind->len);
}

static void render_range(const struct tmpl *t, size_t i, size_t end,
			 const struct frame *top, const struct indent *ind,
			 struct render *r);

static void render_nested(const struct tmpl *t, const struct frame *top,
			  const struct indent *ind, struct render *r)
{
	if (r->depth >= TMPL_MAX_DEPTH) {
		render_fail(r, "depth");
		return;
	}
	r->depth++;
	render_range(t, 0, t->nops, top, ind, r);
	r->depth--;
}

static void interpolate(const struct tmpl *t, const struct op *op, const struct tval *v,
			const struct frame *top, struct render *r)
{
	switch (v->kind) {
	case TVAL_STRING:
		if (op->raw || t->escape == TMPL_ESCAPE_NONE)
			strbuf_add(r->out, v->u.str.s, v->u.str.len);
		else
			strbuf_add_html_escaped(r->out, v->u.str.s, v->u.str.len);
		break;
	case TVAL_NUMBER:
		strbuf_add(r->out, v->u.str.s, v->u.str.len);
		break;
	case TVAL_BOOL:
		strbuf_addstr(r->out, v->u.b ? "true" : "false");
		break;
	case TVAL_TEMPLATE:
		/* the sub-template escapes its own variables */
		render_nested(v->u.t, top, NULL, r);
		break;
	default:
		break;
	}
}

static void report_missing(const struct tmpl *t, const struct op *op, struct render *r)
{
	if (r->missing)
		r->missing(r->missing_data, op->name->full, t->name, op->line);
}

static void render_range(const struct tmpl *t, size_t i, size_t end,
			 const struct frame *top, const struct indent *ind,
			 struct render *r)
{
	while (i < end) {
		const struct op *op = &t->ops[i];
		const struct tval *v;
		struct frame f;

		if (r->fail)
			return;
		if (++r->steps > TMPL_MAX_STEPS) {
			render_fail(r, "steps");
			render_locate(r, t, op);
			return;
		}
		switch (op->type) {
		case OP_TEXT:
			strbuf_add(r->out, t->src + op->off, op->len);
			i++;
			break;
		case OP_INDENT:
			emit_indent(r->out, ind);
			i++;
			break;
		case OP_VAR:
			v = lookup(r, top, op->name);
			if (v)
				interpolate(t, op, v, top, r);
			else
				report_missing(t, op, r);
			if (r->fail)
				render_locate(r, t, op);
			i++;
			break;
		case OP_SECTION:
			v = lookup(r, top, op->name);
			if (!v)
				report_missing(t, op, r);
			if (truthy(v)) {
				f.up = top;
				if (v->kind == TVAL_LIST) {
					size_t k;

					for (k = 0; k < v->u.list.n; k++) {
						f.v = v->u.list.items[k];
						render_range(t, i + 1, op->end, &f, ind, r);
					}
				} else {
					f.v = v;
					render_range(t, i + 1, op->end, &f, ind, r);
				}
			}
			if (r->fail)
				render_locate(r, t, op);
			i = op->end;
			break;
		case OP_INVERTED:
			/*
			 * Not reported when missing: {{^x}} is how a template
			 * says what to do when x is absent.
			 */
			v = lookup(r, top, op->name);
			if (!truthy(v))
				render_range(t, i + 1, op->end, top, ind, r);
			if (r->fail)
				render_locate(r, t, op);
			i = op->end;
			break;
		case OP_PARTIAL: {
			struct indent ni = { t->src + op->off, op->len, ind };

			render_nested(op->partial, top, op->standalone ? &ni : NULL, r);
			if (r->fail)
				render_locate(r, t, op);
			i++;
			break;
		}
		}
	}
}

int tmpl_render_ex(const struct tmpl *t, const struct tval *const *stack, size_t n,
		   struct strbuf *out, tmpl_missing_fn missing, void *missing_data)
{
	struct render r;
	struct strbuf where = STRBUF_INIT, during = STRBUF_INIT;
	int ret;

	r.out = out;
	r.base = stack;
	r.nbase = n;
	r.missing = missing;
	r.missing_data = missing_data;
	r.depth = 0;
	r.steps = 0;
	r.root = t;
	r.fail = NULL;
	r.fail_t = NULL;
	r.fail_line = 0;
	render_range(t, 0, t->nops, NULL, NULL, &r);
	if (!r.fail)
		return 0;
	if (r.fail_t)
		strbuf_addf(&where, "%s:%d", r.fail_t->name, r.fail_line);
	else
		strbuf_addstr(&where, t->name);
	if (!r.fail_t || strcmp(r.fail_t->name, t->name))
		strbuf_addf(&during, " while rendering %s", t->name);
	if (!strcmp(r.fail, "depth"))
		ret = error("%s: partials nested more than %d deep%s (a partial that includes itself?)",
			    where.buf, TMPL_MAX_DEPTH, during.buf);
	else
		ret = error("%s: template expansion exceeds %lu steps%s "
			    "(a partial that includes itself more than once?)",
			    where.buf, TMPL_MAX_STEPS, during.buf);
	strbuf_release(&where);
	strbuf_release(&during);
	return ret;
}

int tmpl_render(const struct tmpl *t, const struct tval *const *stack, size_t n,
		struct strbuf *out)
{
	return tmpl_render_ex(t, stack, n, out, NULL, NULL);
}

/* tmpl_each_name's walk: the sections around the op, the partials being walked. */
struct walk {
	tmpl_name_fn fn;
	void *data;
	const char **sections;
	size_t nsections, alloc;
	const struct tmpl *chain[TMPL_MAX_DEPTH];
	size_t depth;
};

static void walk_range(struct walk *w, const struct tmpl *t, size_t i, size_t end);

static void walk_partial(struct walk *w, const struct tmpl *p)
{
	size_t k;

	for (k = 0; k < w->depth; k++)
		if (w->chain[k] == p)
			break;
	if (k < w->depth || w->depth == TMPL_MAX_DEPTH) {
		w->fn(w->data, NULL, w->sections, w->nsections);
		return;
	}
	w->chain[w->depth++] = p;
	walk_range(w, p, 0, p->nops);
	w->depth--;
}

static void walk_range(struct walk *w, const struct tmpl *t, size_t i, size_t end)
{
	while (i < end) {
		const struct op *op = &t->ops[i];

		switch (op->type) {
		case OP_VAR:
			w->fn(w->data, op->name->full, w->sections, w->nsections);
			i++;
			break;
		case OP_SECTION:
		case OP_INVERTED:
			w->fn(w->data, op->name->full, w->sections, w->nsections);
			if (op->type == OP_SECTION) {
				ALLOC_GROW(w->sections, w->nsections + 1, w->alloc);
				w->sections[w->nsections++] = op->name->full;
			}
			walk_range(w, t, i + 1, op->end);
			if (op->type == OP_SECTION)
				w->nsections--;
			i = op->end;
			break;
		case OP_PARTIAL:
			if (op->partial)
				walk_partial(w, op->partial);
			i++;
			break;
		default:
			i++;
			break;
		}
	}
}

void tmpl_each_name(const struct tmpl *t, tmpl_name_fn fn, void *data)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.data = data;
	w.chain[w.depth++] = t;
	walk_range(&w, t, 0, t->nops);
	free(w.sections);
}

#ifndef TMPL_H
#define TMPL_H
/*
 * Mustache templates: compiled once, rendered many times.
 * Conformance: every case of the official Mustache spec (comments,
 * delimiters, interpolation, inverted, partials, sections; run by
 * tests/unit/test_tmpl_spec.c); lambdas and inheritance are not supported.
 *
 * Values (struct tval) form the data tree a template reads.  A render takes
 * a *stack* of context values (bottom first) so that shared, per-issue data
 * and per-recipient data can be combined without copying: e.g.
 * { issue_ctx, recipient_ctx }.  Dotted names ("subscriber.name") and the
 * implicit iterator "." work as the spec says.
 *
 * Beyond the spec: false, null, an empty list AND an empty string are
 * falsey (so {{#subscriber.name}} tests for a usable name); booleans
 * interpolate as "true"/"false", lists and objects as nothing.  Partials
 * and template values nest at most 100 deep; deeper is a render error.
 */
#include <stddef.h>

struct strbuf;
struct tmpl;

enum tval_kind {
	TVAL_NULL, TVAL_BOOL, TVAL_NUMBER, TVAL_STRING, TVAL_LIST, TVAL_OBJECT,
	/*
	 * A compiled template used as a value: interpolating it renders that
	 * template with the current context stack; its output is inserted
	 * without escaping (the sub-template escapes its own variables).  Used
	 * for the issue content, which contains {{subscriber.name}} etc.  As a
	 * section it is truthy.
	 */
	TVAL_TEMPLATE,
};

struct tval;

/*
 * Constructors.  A value is owned by whatever it is added to (tval_set,
 * tval_push); a root value is freed with tval_free, which frees children.
 * Strings are copied.  tval_template does NOT take ownership of the template.
 */
struct tval *tval_null(void);
struct tval *tval_bool(int b);
struct tval *tval_number(double d);		/* rendered like the spec: 1.21, 85, ... */
struct tval *tval_string(const char *s);
struct tval *tval_string_n(const char *s, size_t len);
struct tval *tval_list(void);
struct tval *tval_object(void);
struct tval *tval_template(const struct tmpl *t);
void tval_free(struct tval *v);

/* Add `child` under `key` in an object (replacing and freeing an existing one). */
void tval_set(struct tval *obj, const char *key, struct tval *child);
/* Convenience: tval_set(obj, key, tval_string(s)). */
void tval_set_str(struct tval *obj, const char *key, const char *s);
/* Append to a list. */
void tval_push(struct tval *list, struct tval *child);
/* Look up a direct child of an object, or NULL. */
struct tval *tval_get(const struct tval *obj, const char *key);
/*
 * Replace a string value's content in place (for per-recipient reuse of one
 * context tree without reallocating it).  v must be TVAL_STRING.
 */
void tval_string_assign(struct tval *v, const char *s, size_t len);
enum tval_kind tval_kind_of(const struct tval *v);

enum tmpl_escape {
	TMPL_ESCAPE_HTML,	/* {{x}} escapes & < > " ' (HTML and XML) */
	TMPL_ESCAPE_NONE,	/* {{x}} inserts verbatim (text/plain output) */
};

/*
 * Partials are loaded at compile time through this callback: on success it
 * appends the partial's source to `src`, sets *display_name (static or
 * owned by the loader, used in error messages), and returns 0; it returns
 * -1 when there is no such partial.  A missing partial is an error at
 * compile time (name:line of the {{> x}} tag).  Recursive partials are
 * allowed (compiled lazily or with a depth bound).
 */
typedef int (*tmpl_partial_fn)(void *data, const char *name, struct strbuf *src,
			      const char **display_name);

struct tmpl_options {
	enum tmpl_escape escape;
	tmpl_partial_fn partial;	/* NULL: no partials available */
	void *partial_data;
	/* Spec mode: a missing partial renders as empty instead of an error. */
	int missing_partial_ok;
};

/*
 * Compile `src` (len bytes, need not be NUL-terminated).  `name` is used in
 * messages ("templates/email.html:12: unclosed section 'items'").
 * Returns NULL after error() on a syntax error: unclosed or mismatched
 * section, bad delimiter change, unclosed tag, missing partial.
 */
struct tmpl *tmpl_compile(const char *name, const char *src, size_t len,
			  const struct tmpl_options *opts);
void tmpl_free(struct tmpl *t);

/*
 * Called for a variable or section name that resolves to nothing (used by
 * `check` to report unfilled variables), with the full dotted name, the
 * name of the template or partial holding the tag, and the tag's line.
 * Names inside sections that are not rendered are never evaluated and not
 * reported; nor are inverted sections ({{^x}} is how a template handles a
 * missing x).  A name present with a null value is not missing.  May be NULL.
 */
typedef void (*tmpl_missing_fn)(void *data, const char *name, const char *tmpl_name, int line);

/*
 * Render, appending to out.  stack[0..n-1], top of stack last.
 * Returns 0 (missing names render empty), or -1 after error() when the
 * expansion never ends: partials or template values nested more than 100
 * deep, or more than 10 million steps (a partial including itself twice
 * expands exponentially).  The message is "FILE:LINE: ..." with the
 * innermost template and tag where it blew up, and names t if that is a
 * partial.  out then holds incomplete output: never use it.
 * Thread-safe: a compiled template may be rendered from several threads.
 */
int tmpl_render(const struct tmpl *t, const struct tval *const *stack, size_t n,
		struct strbuf *out);
int tmpl_render_ex(const struct tmpl *t, const struct tval *const *stack, size_t n,
		   struct strbuf *out, tmpl_missing_fn missing, void *missing_data);

/*
 * Every name a render of t may look up, without rendering, for a caller
 * that needs to know what the output can depend on (the archive's build
 * cache): fn(data, name, sections, n) for each variable, section and
 * inverted section, with the full dotted names of the sections around it
 * that push a context ({{#x}}, not {{^x}}), outermost first.  The implicit
 * iterator is ".".  A partial is walked where it is included, under the
 * sections around the include; a partial that includes itself (directly
 * or not) is walked once per chain, and where the chain comes back to it
 * fn gets name NULL: "anything may be looked up here".
 */
typedef void (*tmpl_name_fn)(void *data, const char *name, const char *const *sections, size_t n);
void tmpl_each_name(const struct tmpl *t, tmpl_name_fn fn, void *data);

#endif

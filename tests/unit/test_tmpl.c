/*
 * Our own template cases: compile errors with name:line, template values,
 * the missing callback, escaping, values, rendering from several threads.
 * The official spec suite is test_tmpl_spec.c.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/tmpl.h"
#include "tap.h"
#include <pthread.h>

static char last_error[4096], last_warning[4096];
static int nerrors, nwarnings;

static void capture(const char *level, const char *msg)
{
	if (strcmp(level, "error")) {
		nwarnings++;
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
		return;
	}
	nerrors++;
	snprintf(last_error, sizeof(last_error), "%s", msg);
}

/* Partials for the tests: a fixed table. */
static const char *const partial_table[][2] = {
	{ "footer", "-- \n{{name}}\n" },
	{ "bad", "line one\n{{#open}}\n" },
	{ "box", "[\n{{>inner}}\n]\n" },
	{ "inner", "<{{x}}>\n" },
	{ "rec", "[{{#b}}{{>rec}}{{/b}}]" },
	{ "fork", "{{#a}}<{{>fork}}>{{/a}}" },
	{ "tree", "{{name}}{{#kids}}({{>tree}}){{/kids}}" },
	{ "self", "s\n{{>self}}" },
	{ "twice", "<b>\n\n{{>twice}}{{>twice}}\n</b>\n" },
};

static int table_partial(void *data, const char *name, struct strbuf *src,
			 const char **display_name)
{
	size_t i;

	(void)data;
	for (i = 0; i < ARRAY_SIZE(partial_table); i++) {
		if (!strcmp(partial_table[i][0], name)) {
			strbuf_addstr(src, partial_table[i][1]);
			*display_name = partial_table[i][0];
			return 0;
		}
	}
	return -1;
}

static struct tmpl *compile(const char *name, const char *src, enum tmpl_escape esc)
{
	struct tmpl_options opts = { esc, table_partial, NULL, 0 };

	return tmpl_compile(name, src, strlen(src), &opts);
}

/* Compile must fail with exactly this message. */
static void compile_fails(const char *src, const char *want, const char *what)
{
	struct tmpl *t;

	last_error[0] = '\0';
	nerrors = 0;
	t = compile("t.html", src, TMPL_ESCAPE_HTML);
	ok(!t, "%s: compile fails", what);
	is_int(nerrors, 1, "%s: one error reported", what);
	is_str(last_error, want, "%s: message", what);
	tmpl_free(t);
}

static void test_errors(void)
{
	compile_fails("a\n{{#items}}\nb\n", "t.html:2: unclosed section 'items'",
		      "unclosed section");
	compile_fails("{{#a}}\n{{#b}}\n{{/b}}\n", "t.html:1: unclosed section 'a'",
		      "unclosed outer section");
	compile_fails("{{#a}}\n\n{{/b}}\n",
		      "t.html:3: mismatched close tag 'b' (open section is 'a' from line 1)",
		      "mismatched close tag");
	compile_fails("x\ny {{/a}}", "t.html:2: close tag 'a' without an open section",
		      "close without open");
	compile_fails("one\ntwo {{name\nthree\n",
		      "t.html:2: unclosed tag (no '}}' after '{{')", "unclosed tag");
	compile_fails("{{{name}}\n", "t.html:1: unclosed tag (no '}}' after '{{')",
		      "unclosed triple mustache");
	compile_fails("a\n\n{{=<% %>=}}\n<% name\n",
		      "t.html:4: unclosed tag (no '%>' after '<%')",
		      "unclosed tag after delimiter change");
	compile_fails("\n{{=<%%>=}}", "t.html:2: bad set-delimiter tag '{{=<%%>=}}'",
		      "set-delimiter with one word");
	compile_fails("{{= a b c =}}", "t.html:1: bad set-delimiter tag '{{= a b c =}}'",
		      "set-delimiter with three words");
	compile_fails("{{=<% %>}}", "t.html:1: unclosed tag (no '}}' after '{{')",
		      "set-delimiter without closing '='");
	compile_fails("hi\n\n {{> nosuch }}\n", "t.html:3: missing partial 'nosuch'",
		      "missing partial");
	compile_fails("{{>bad}}", "bad:2: unclosed section 'open'",
		      "error inside a partial names the partial");
	compile_fails("a {{ }} b", "t.html:1: empty tag name", "empty tag");
	{
		struct strbuf deep = STRBUF_INIT;
		int i;

		for (i = 0; i < 101; i++)
			strbuf_addstr(&deep, "{{#a}}\n");
		compile_fails(deep.buf, "t.html:101: sections nested more than 100 deep",
			      "nesting bound");
		strbuf_release(&deep);
	}

	{
		struct tmpl_options opts = { TMPL_ESCAPE_HTML, NULL, NULL, 1 };
		struct tmpl *t = tmpl_compile("t", "[{{>x}}]", 8, &opts);
		struct strbuf out = STRBUF_INIT;

		ok(t != NULL, "missing partial allowed with missing_partial_ok");
		if (t)
			tmpl_render(t, NULL, 0, &out);
		is_str(out.buf, "[]", "missing partial renders empty");
		strbuf_release(&out);
		tmpl_free(t);
	}
}

static char *render(const struct tmpl *t, const struct tval *const *stack, size_t n)
{
	struct strbuf out = STRBUF_INIT;

	tmpl_render(t, stack, n, &out);
	return strbuf_detach(&out, NULL);
}

static void check_render(const char *src, enum tmpl_escape esc, const struct tval *data,
			 const char *want, const char *what)
{
	struct tmpl *t = compile("t", src, esc);
	const struct tval *stack[1] = { data };
	char *got;

	if (!t) {
		ok(0, "%s: compiles", what);
		return;
	}
	got = render(t, stack, 1);
	is_str(got, want, "%s", what);
	free(got);
	tmpl_free(t);
}

static void test_escaping(void)
{
	struct tval *d = tval_object();

	tval_set_str(d, "x", "a&b <i>\"q\" 'a'");
	check_render("{{x}}", TMPL_ESCAPE_HTML, d, "a&amp;b &lt;i&gt;&quot;q&quot; &#39;a&#39;",
		     "html escaping of & < > \" '");
	check_render("{{{x}}}|{{&x}}", TMPL_ESCAPE_HTML, d,
		     "a&b <i>\"q\" 'a'|a&b <i>\"q\" 'a'", "triple and & are raw");
	check_render("{{x}}", TMPL_ESCAPE_NONE, d, "a&b <i>\"q\" 'a'",
		     "TMPL_ESCAPE_NONE inserts verbatim");
	tval_free(d);
}

static void test_values(void)
{
	struct tval *d = tval_object(), *list = tval_list(), *o;

	tval_set(d, "n1", tval_number(1.21));
	tval_set(d, "n2", tval_number(85));
	tval_set(d, "n3", tval_number(-0.5));
	tval_set(d, "n4", tval_number(1234567890123.0));
	tval_set(d, "n5", tval_number(0.1 + 0.2));
	tval_set(d, "t", tval_bool(1));
	tval_set(d, "f", tval_bool(0));
	tval_set(d, "empty", tval_string(""));
	tval_set(d, "nul", tval_null());
	check_render("{{n1}} {{n2}} {{n3}} {{n4}} {{n5}}", TMPL_ESCAPE_HTML, d,
		     "1.21 85 -0.5 1234567890123 0.30000000000000004", "number formatting");
	check_render("{{t}} {{f}}", TMPL_ESCAPE_HTML, d, "true false", "booleans interpolate");
	check_render("[{{#empty}}yes{{/empty}}{{^empty}}no{{/empty}}]", TMPL_ESCAPE_HTML, d,
		     "[no]", "empty string is falsey");
	check_render("[{{#nul}}yes{{/nul}}{{^nul}}no{{/nul}}{{nul}}]", TMPL_ESCAPE_HTML, d,
		     "[no]", "null is falsey and renders empty");

	/* replacing a key frees the old value; tval_get finds the new one */
	tval_set_str(d, "name", "first");
	tval_set_str(d, "name", "second");
	ok(tval_kind_of(tval_get(d, "name")) == TVAL_STRING, "tval_get finds a key");
	ok(tval_get(d, "nosuch") == NULL, "tval_get misses");
	ok(tval_kind_of(NULL) == TVAL_NULL, "tval_kind_of(NULL)");
	check_render("{{name}}", TMPL_ESCAPE_HTML, d, "second", "tval_set replaces");

	/* in-place reuse, including growth and an overlapping source */
	{
		struct tval *s = tval_get(d, "name");
		char big[300];

		tval_string_assign(s, "Zoë", strlen("Zoë"));
		check_render("{{name}}", TMPL_ESCAPE_HTML, d, "Zoë", "tval_string_assign");
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		tval_string_assign(s, big, strlen(big));
		check_render("{{name}}", TMPL_ESCAPE_HTML, d, big, "tval_string_assign grows");
		tval_string_assign(s, "ab", 2);
		check_render("{{name}}", TMPL_ESCAPE_HTML, d, "ab", "tval_string_assign shrinks");
	}

	o = tval_object();
	tval_set_str(o, "x", "1");
	tval_push(list, o);
	o = tval_object();
	tval_set_str(o, "x", "2");
	tval_push(list, o);
	tval_set(d, "items", list);
	check_render("{{#items}}<{{x}}>{{/items}}", TMPL_ESCAPE_HTML, d, "<1><2>", "list section");
	tval_free(d);
}

/* The issue content is itself a template, rendered with the caller's stack. */
static void test_template_values(void)
{
	const char *body_src = "<p>Dear {{subscriber.name}}, {{#issue}}issue {{number}}{{/issue}}</p>";
	struct tmpl *body = compile("issue-7.md", body_src, TMPL_ESCAPE_HTML);
	struct tmpl *page = compile("email.html",
				    "<h1>{{issue.title}}</h1>\n{{content}}|{{{content}}}\n",
				    TMPL_ESCAPE_HTML);
	struct tval *issue_ctx = tval_object(), *issue = tval_object();
	struct tval *rcpt = tval_object(), *sub = tval_object(), *name;
	const struct tval *stack[2];
	char *got;

	tval_set_str(issue, "title", "News & <views>");
	tval_set(issue, "number", tval_number(7));
	tval_set(issue_ctx, "issue", issue);
	tval_set(issue_ctx, "content", tval_template(body));
	tval_set_str(sub, "name", "Ann <a@x>");
	tval_set(rcpt, "subscriber", sub);
	stack[0] = issue_ctx;
	stack[1] = rcpt;

	got = render(page, stack, 2);
	is_str(got, "<h1>News &amp; &lt;views&gt;</h1>\n"
		    "<p>Dear Ann &lt;a@x&gt;, issue 7</p>|<p>Dear Ann &lt;a@x&gt;, issue 7</p>\n",
	       "template value: rendered with the stack, not escaped again");
	free(got);

	/* per recipient: reuse the tree, only the name changes */
	name = tval_get(sub, "name");
	tval_string_assign(name, "Bo", 2);
	got = render(page, stack, 2);
	is_str(got, "<h1>News &amp; &lt;views&gt;</h1>\n"
		    "<p>Dear Bo, issue 7</p>|<p>Dear Bo, issue 7</p>\n",
	       "template value: second recipient");
	free(got);

	check_render("{{#content}}yes{{/content}}", TMPL_ESCAPE_HTML, issue_ctx, "yes",
		     "template value is truthy as a section");

	/* a template value that refers to itself is an error at the depth bound */
	{
		struct tmpl *self = compile("self", "x\n{{me}}", TMPL_ESCAPE_HTML);
		struct tval *d = tval_object();
		const struct tval *st[1] = { d };
		struct strbuf out = STRBUF_INIT;

		tval_set(d, "me", tval_template(self));
		nerrors = 0;
		last_error[0] = '\0';
		is_int(tmpl_render_ex(self, st, 1, &out, NULL, NULL), -1,
		       "self-referencing template value: render fails");
		is_int(nerrors, 1, "self-referencing template value: one error");
		is_str(last_error, "self:2: partials nested more than 100 deep "
		       "(a partial that includes itself?)",
		       "self-referencing template value: message");
		strbuf_release(&out);
		tval_free(d);
		tmpl_free(self);
	}

	tval_free(issue_ctx);
	tval_free(rcpt);
	tmpl_free(page);
	tmpl_free(body);
}

struct missing_log {
	struct strbuf sb;
};

static void on_missing(void *data, const char *name, const char *tmpl_name, int line)
{
	struct missing_log *log = data;

	strbuf_addf(&log->sb, "%s:%d:%s;", tmpl_name, line, name);
}

static void test_missing(void)
{
	struct tmpl *body = compile("body.md", "Hi {{subscriber.nickname}}", TMPL_ESCAPE_HTML);
	struct tmpl *t = compile("email.html",
				 "{{title}}\n"
				 "{{#nosection}}{{never}}{{/nosection}}\n"
				 "{{#off}}{{never2}}{{/off}}{{#empty}}{{never3}}{{/empty}}\n"
				 "{{^absent}}fallback{{/absent}}\n"
				 "{{#on}}{{a.b.c}}{{/on}} {{>footer}}{{content}}",
				 TMPL_ESCAPE_HTML);
	struct tval *d = tval_object();
	struct missing_log log = { STRBUF_INIT };
	struct strbuf out = STRBUF_INIT;
	const struct tval *stack[1] = { d };

	tval_set(d, "off", tval_bool(0));
	tval_set(d, "on", tval_bool(1));
	tval_set(d, "empty", tval_list());
	tval_set(d, "a", tval_object());
	tval_set(d, "content", tval_template(body));
	tmpl_render_ex(t, stack, 1, &out, on_missing, &log);
	is_str(log.sb.buf,
	       "email.html:1:title;email.html:2:nosection;email.html:5:a.b.c;"
	       "footer:2:name;body.md:1:subscriber.nickname;",
	       "missing callback: names, templates, lines; not inside false sections");
	is_str(out.buf, "\n\n\nfallback\n -- \n\nHi ", "output with missing names");
	strbuf_release(&out);
	strbuf_release(&log.sb);
	tval_free(d);
	tmpl_free(t);
	tmpl_free(body);
}


/*
 * Render a template that must hit a limit: the render fails with one error
 * (no warning, since the output would be truncated) whose text is want.
 */
static void check_render_error(const char *name, const char *src, const struct tval *d,
			       const char *want, const char *what)
{
	struct tmpl *t = compile(name, src, TMPL_ESCAPE_HTML);
	const struct tval *stack[1] = { d };
	struct strbuf out = STRBUF_INIT;

	nwarnings = nerrors = 0;
	last_error[0] = '\0';
	is_int(tmpl_render_ex(t, stack, 1, &out, NULL, NULL), -1, "%s: render fails", what);
	is_int(nwarnings, 0, "%s: no warning", what);
	is_int(nerrors, 1, "%s: one error", what);
	is_str(last_error, want, "%s: the error names the template and line", what);
	strbuf_release(&out);
	tmpl_free(t);
}

static void test_partials(void)
{
	struct tval *d = tval_object(), *kids = tval_list(), *k;

	tval_set_str(d, "x", "X");
	check_render("  {{>box}}\nend\n", TMPL_ESCAPE_HTML, d, "  [\n  <X>\n  ]\nend\n",
		     "nested standalone partials indent cumulatively");
	check_render("a {{>box}}b", TMPL_ESCAPE_HTML, d, "a [\n<X>\n]\nb",
		     "inline partial is not indented");

	tval_set_str(d, "name", "root");
	k = tval_object();
	tval_set_str(k, "name", "leaf");
	/* without its own "kids" the leaf would find root's (context fallback) */
	tval_set(k, "kids", tval_list());
	tval_push(kids, k);
	tval_set(d, "kids", kids);
	check_render("{{>tree}}", TMPL_ESCAPE_HTML, d, "root(leaf)", "recursive partial");

	/*
	 * A list found again at every level: 2^100 renders.  It reaches the
	 * depth bound first: an error naming the partial and the line where
	 * it blew up, not empty or truncated output.
	 */
	{
		struct tval *l = tval_list();

		tval_push(l, tval_bool(1));
		tval_push(l, tval_bool(1));
		tval_set(d, "a", l);
	}
	check_render_error("runaway.html", "\n{{>fork}}", d,
			   "fork:1: partials nested more than 100 deep while "
			   "rendering runaway.html (a partial that includes itself?)",
			   "runaway recursion");
	/*
	 * The step limit: 10^8 renders of x without any recursion, stopped
	 * with an error at the innermost section it was in, not truncated
	 * output and a warning.
	 */
	{
		struct tval *ten = tval_list();
		int j;

		for (j = 0; j < 10; j++)
			tval_push(ten, tval_bool(1));
		tval_set(d, "ten", ten);
	}
	check_render_error("wide.html",
			   "{{#ten}}\n{{#ten}}\n{{#ten}}\n{{#ten}}\n{{#ten}}\n"
			   "{{#ten}}\n{{#ten}}\n  {{#ten}}x{{/ten}}\n"
			   "{{/ten}}\n{{/ten}}\n{{/ten}}\n{{/ten}}\n{{/ten}}\n{{/ten}}\n"
			   "{{/ten}}\n", d,
			   "wide.html:8: template expansion exceeds 10000000 steps "
			   "(a partial that includes itself more than once?)",
			   "step limit");
	/* A partial that includes itself unconditionally hits the depth bound. */
	check_render_error("loop.html", "a\n\n{{>self}}", d,
			   "self:2: partials nested more than 100 deep while rendering "
			   "loop.html (a partial that includes itself?)",
			   "self-including partial");
	/* Twice, in a real file: the error is at the line of the first include. */
	check_render_error("email.html", "<p>\n{{>twice}}\n</p>", d,
			   "twice:3: partials nested more than 100 deep while rendering "
			   "email.html (a partial that includes itself?)",
			   "partial including itself twice");
	tval_free(d);
}

/* Context stack: the top of the caller's stack wins; dotted names don't fall back. */
static void test_stack(void)
{
	struct tmpl *t = compile("t", "{{who}} {{shared}} {{a.b}} {{#a}}{{z}}{{/a}}",
				 TMPL_ESCAPE_HTML);
	struct tval *bottom = tval_object(), *top = tval_object(), *a = tval_object();
	const struct tval *stack[2] = { bottom, top };
	char *got;

	tval_set_str(bottom, "who", "bottom");
	tval_set_str(bottom, "shared", "S");
	tval_set_str(bottom, "z", "Z");
	tval_set_str(top, "who", "top");
	tval_set(top, "a", a);
	tval_set(bottom, "a", tval_object());
	tval_set_str(tval_get(bottom, "a"), "b", "ERROR");
	got = render(t, stack, 2);
	is_str(got, "top S  Z", "stack lookup order and dotted-name resolution");
	free(got);
	got = render(t, NULL, 0);
	is_str(got, "   ", "empty stack renders empty");
	free(got);
	tval_free(bottom);
	tval_free(top);
	tmpl_free(t);
}

struct thread_arg {
	const struct tmpl *t;
	const struct tval *data;
	const char *want;
	int good;
};

static void *render_many(void *p)
{
	struct thread_arg *a = p;
	struct strbuf out = STRBUF_INIT;
	const struct tval *stack[1] = { a->data };
	int i;

	a->good = 1;
	for (i = 0; i < 2000; i++) {
		strbuf_reset(&out);
		tmpl_render(a->t, stack, 1, &out);
		if (strcmp(out.buf, a->want))
			a->good = 0;
	}
	strbuf_release(&out);
	return NULL;
}

static void test_threads(void)
{
	struct tmpl *t = compile("t", "{{#items}}\n  {{>inner}}\n{{/items}}\n", TMPL_ESCAPE_HTML);
	struct tval *d1 = tval_object(), *d2 = tval_object(), *l1 = tval_list(), *l2 = tval_list();
	struct thread_arg args[2];
	pthread_t th[2];
	int i, good = 1;

	for (i = 0; i < 3; i++) {
		struct tval *o = tval_object();

		tval_set(o, "x", tval_number(i));
		tval_push(l1, o);
		o = tval_object();
		tval_set_str(o, "x", "&");
		tval_push(l2, o);
	}
	tval_set(d1, "items", l1);
	tval_set(d2, "items", l2);
	args[0] = (struct thread_arg){ t, d1, "  <0>\n  <1>\n  <2>\n", 0 };
	args[1] = (struct thread_arg){ t, d2, "  <&amp;>\n  <&amp;>\n  <&amp;>\n", 0 };
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, render_many, &args[i]);
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		good &= args[i].good;
	}
	ok(good, "one compiled template rendered from two threads");
	tval_free(d1);
	tval_free(d2);
	tmpl_free(t);
}

/*
 * Random templates from Mustache-ish tokens (fixed seed): each compiles or
 * fails with one error, and what compiles renders or fails with one error.  Run under `make debug`
 * this is a small sanitizer fuzz of the parser and renderer.
 */
static void test_random_templates(void)
{
	static const char *const tokens[] = {
		"{{", "}}", "{{{", "}}}", "#", "^", "/", ">", "!", "&", "=", "a", "b", ".",
		"a.b", " ", "\n", "\r\n", "\t", "x", "<%", "%>", "{{=<% %>=}}", "<%={{ }}=%>",
		"{{#a}}", "{{/a}}", "{{^b}}", "{{/b}}", "{{>rec}}", "{{>footer}}", "{{.}}",
	};
	struct tval *d = tval_object(), *l = tval_list();
	const struct tval *stack[1] = { d };
	struct strbuf src = STRBUF_INIT, out = STRBUF_INIT;
	unsigned long seed = 12345;
	int i, k, compiled = 0, consistent = 1;

	tval_push(l, tval_string("<1>"));
	tval_push(l, tval_number(2));
	tval_set(d, "a", l);
	tval_set_str(d, "b", "&");
	for (i = 0; i < 3000; i++) {
		struct tmpl *t;
		int n;

		strbuf_reset(&src);
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (int)(seed >> 59) + 1;
		for (k = 0; k < n; k++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			strbuf_addstr(&src, tokens[(seed >> 33) % ARRAY_SIZE(tokens)]);
		}
		nerrors = 0;
		t = compile("fuzz", src.buf, TMPL_ESCAPE_HTML);
		if (t) {
			compiled++;
			strbuf_reset(&out);
			/* {{>rec}} with a truthy b never ends: one error */
			if (tmpl_render(t, stack, 1, &out) < 0 ? nerrors != 1 : nerrors != 0)
				consistent = 0;
		} else if (nerrors != 1) {
			consistent = 0;
		}
		tmpl_free(t);
	}
	ok(consistent, "random templates: success without error, failure with one error "
	   "(compile and render)");
	ok(compiled > 300 && compiled < 2700, "random templates: a mix compiles (%d of 3000)",
	   compiled);
	strbuf_release(&src);
	strbuf_release(&out);
	tval_free(d);
}

/* tmpl_each_name's calls as "name@section/section" lines ("*" for NULL). */
static void collect_name(void *data, const char *name, const char *const *sections, size_t n)
{
	struct strbuf *sb = data;
	size_t k;

	strbuf_addstr(sb, name ? name : "*");
	strbuf_addch(sb, '@');
	for (k = 0; k < n; k++)
		strbuf_addf(sb, "%s%s", k ? "/" : "", sections[k]);
	strbuf_addch(sb, ' ');
}

static void check_names(const char *src, const char *want, const char *what)
{
	struct tmpl *t = compile("t.html", src, TMPL_ESCAPE_HTML);
	struct strbuf sb = STRBUF_INIT;

	if (!t) {
		ok(0, "names: %s: does not compile: %s", what, last_error);
		return;
	}
	tmpl_each_name(t, collect_name, &sb);
	is_str(sb.buf, want, "names: %s", what);
	strbuf_release(&sb);
	tmpl_free(t);
}

static void test_each_name(void)
{
	check_names("hi {{a}} {{{b.c}}} {{&d}}", "a@ b.c@ d@ ", "variables, dotted as written");
	check_names("{{#s}}{{x}}{{^t}}{{y}}{{/t}}{{/s}}{{z}}",
		    "s@ x@s t@s y@s z@ ", "sections push, inverted sections do not");
	check_names("{{#a.b}}{{#c}}{{.}}{{/c}}{{/a.b}}", "a.b@ c@a.b .@a.b/c ",
		    "nested sections, the implicit iterator");
	check_names("{{! comment }}{{=<% %>=}}<% v %>", "v@ ", "comments and delimiters are not names");
	check_names("{{#s}}{{>inner}}{{/s}}{{>inner}}", "s@ x@s x@ ",
		    "a partial is walked where it is included");
	check_names("{{#k}}{{>box}}{{/k}}", "k@ x@k ", "nested partials");
	/* Standalone, rec is its indentable variant, which includes the plain one once. */
	check_names("{{>rec}}", "b@ b@b *@b/b ", "a recursive partial: NULL where it comes back");
	check_names("x{{>rec}}", "b@ *@b ", "an inline recursive partial");
	check_names("{{>fork}}{{>fork}}", "a@ *@a a@ *@a ", "each include of it walked again");
}

int main(void)
{
	set_report_routine(capture);
	test_errors();
	test_escaping();
	test_values();
	test_template_values();
	test_missing();
	test_partials();
	test_stack();
	test_threads();
	test_random_templates();
	test_each_name();
	return tap_done();
}
